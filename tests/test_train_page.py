"""The Train page with AppTest: the form checks settings before start, and runs render from the store."""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers.scale import free_port
from streamlit.testing.v1 import AppTest

from core import paths, tasks
from core.data import datasets, samples
from core.learn import catalog, jobs, run_files
from core.learn.runs import RunStore
from core.vision.digits import DigitCrop


@pytest.fixture
def page(app_test: Callable[[], AppTest], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Train page after its first run; no trainer process is ever started."""
    monkeypatch.setattr(jobs, "_spawn", lambda run_id: 4242)
    monkeypatch.setattr(jobs, "trainer_alive", lambda run_id: True)
    return app_test().run().switch_page("pages/train.py").run()


def start_button(app: AppTest):
    return next(button for button in app.button if button.key == "train_start")


def charts(app: AppTest) -> list:
    return app.get("vega_lite_chart")


def fill_run(store: RunStore, status: str = "running", epochs_done: int = 1, dataset: str = "mnist") -> int:
    """A run as a trainer would have recorded it: 3 epochs of 10 batches, `epochs_done` of them done."""
    run_id = store.create_run(
        {"recipe": "mnist-dense-512", "dataset": dataset, "epochs": 3, "batch_size": 32}, "filled"
    )
    store.claim_run(run_id, 4242)
    store.mark_started(run_id, 4242, total_epochs=3, steps_per_epoch=10, device="CPU (2 cores)")
    steps = range(10 * epochs_done + 4)
    rows = [
        {"step": s, "epoch": s // 10, "batch": s % 10, "loss": 2 / (1 + s), "accuracy": s / 40, "time_s": s / 10}
        for s in steps
    ]
    store.add_batch_metrics(run_id, rows)
    for epoch in range(epochs_done):
        store.add_epoch_metrics(
            run_id,
            {
                "epoch": epoch,
                "loss": 1 - epoch / 5,
                "accuracy": 0.5,
                "val_loss": 1.1,
                "val_accuracy": 0.45,
                "time_s": 1,
            },
        )
    return run_id


def finish_run(store: RunStore, run_id: int, model_dir: Path) -> Path:
    """Give a run the results and model file of a completed run."""
    model_path = model_dir / "model.keras"
    model_path.write_bytes(b"not really a model")
    labels = [str(d) for d in range(10)]
    card = {"labels": labels, "command": "python -m core.train --recipe mnist-dense-512", "input_shape": [28, 28, 1]}
    model_path.with_suffix(".json").write_text(json.dumps(card))
    confusion = [[5 if t == p else 0 for p in range(10)] for t in range(10)]
    store.update_run(
        run_id, model_path=str(model_path), card=card, test_accuracy=0.9, test_loss=0.3, confusion=confusion
    )
    store.mark_finished(run_id, "completed")
    return model_path


def test_form_defaults_to_the_recipe_and_shows_its_source(page, tiny_mnist_dir):
    page.run()
    assert page.selectbox(key="train_dataset").value == "mnist"
    assert page.number_input(key="train_mnist-dense-512_epochs").value == 5
    assert any("Chollet, Deep Learning with Python" in caption.value for caption in page.caption)
    assert not start_button(page).disabled


def test_recipes_offered_fit_the_dataset(tiny_mnist_dir, page):
    # Issue #32: MNIST offered asl-cnn-augmented (which mirrors images), fashion-dense-128 and letters-cnn (64 px).
    assert page.selectbox(key="train_recipe_mnist").options == [
        "mnist-dense-512",
        "mnist-dense-64-32",
        "mnist-tf-beginner",
        "digits-cnn",
        "digits-fast",
    ]
    page.selectbox(key="train_dataset").select("fashion_mnist").run()
    assert page.selectbox(key="train_recipe_fashion_mnist").options == ["fashion-dense-128", "fashion-cnn"]
    page.selectbox(key="train_dataset").select("pima").run()
    assert page.selectbox(key="train_recipe_pima").options == ["pima-dense"]
    page.selectbox(key="train_dataset").select("sign_mnist").run()
    assert page.selectbox(key="train_recipe_sign_mnist").options[:3] == [
        "asl-dense-512",
        "asl-cnn",
        "asl-cnn-augmented",
    ]


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """An empty data folder, set before the page first runs."""
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path / "empty"))


def test_missing_dataset_is_explained_and_start_is_disabled(no_data, page):
    page.selectbox(key="train_dataset").select("sign_mnist").run()
    assert "sign_mnist_train.csv" in page.error[0].value
    assert start_button(page).disabled


def test_fresh_install_lists_datasets_with_what_they_need_and_where(no_data, tmp_path, page):
    options = page.selectbox(key="train_dataset").options
    assert f"ASL photos + Sign MNIST (needs asl_photos/ and the Sign MNIST files in {tmp_path / 'empty'})" in options
    assert "My digits (10 more to save)" in options
    assert not [option for option in options if "not enough saved" in option]
    page.selectbox(key="train_dataset").select("letters").run()
    assert str(tmp_path / "empty") in page.error[0].value
    assert start_button(page).disabled


def test_invalid_setting_is_explained_before_start(page, tiny_mnist_dir):
    page.number_input(key="train_mnist-dense-512_limit").set_value(5).run()
    assert page.error[0].value == "The sample limit must be between 10 and 10000000, not 5."
    assert start_button(page).disabled


def test_start_queues_the_run_with_the_form_settings(page, tiny_mnist_dir):
    page.number_input(key="train_mnist-dense-512_epochs").set_value(1).run()
    start_button(page).click().run()
    (run,) = RunStore().list_runs()
    assert (run.status, run.pid, run.spec["epochs"], run.spec["recipe"]) == ("running", 4242, 1, "mnist-dense-512")
    assert "Starting" in page.get("progress")[0].proto.text
    assert start_button(page).label == "Add to the queue"


def test_live_run_shows_progress_curves_and_stops_on_request(page, tiny_mnist_dir):
    store = RunStore()
    run_id = fill_run(store)
    page.run()
    (progress,) = page.get("progress")
    assert progress.proto.text.startswith("Epoch 2/3 · batch 4/10")
    assert len(charts(page)) == 4  # loss and accuracy, per batch and per epoch
    page.button(key=f"train_stop_{run_id}").click().run()
    assert store.stop_requested(run_id)
    assert page.button(key=f"train_stop_{run_id}").disabled


def test_a_run_on_a_ray_node_says_which_node(page, tiny_mnist_dir):
    store = RunStore()
    run_id = fill_run(store)
    store.update_run(run_id, node_id="a84e47d31bf1c631e7d5fc4f14aacfcba36e28dcd41192abc43d51eb")
    page.run()
    header = f"**Run {run_id}: filled** · training on CPU (2 cores) on Ray node a84e47d3"
    assert header in [md.value for md in page.markdown]


def test_on_a_cluster_the_form_can_ask_for_a_gpu_node_and_locally_it_does_not(app_test, tiny_mnist_dir, monkeypatch):
    local = app_test().run().switch_page("pages/train.py").run()
    assert not [box for box in local.checkbox if box.label == "Train on a GPU node"]
    monkeypatch.setenv("HANDLAB_RUNNER", "ray")
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{free_port()}")  # No cluster: the run fails, its spec stays.
    page = app_test().run().switch_page("pages/train.py").run()
    page.checkbox(key="train_mnist-dense-512_gpu").check().run()
    assert any(caption.value.endswith(" --gpu`") for caption in page.caption)  # "The same run from a terminal"
    start_button(page).click().run()
    assert RunStore().list_runs()[0].spec["gpu"] is True


def test_queued_run_is_listed_and_can_be_cancelled(page, tiny_mnist_dir):
    store = RunStore()
    fill_run(store)
    waiting = store.create_run({"recipe": "mnist-dense-512", "dataset": "mnist", "epochs": 2}, "waiting")
    page.run()
    assert any("Waiting to train" in md.value for md in page.markdown)
    page.button(key=f"train_cancel_{waiting}").click().run()
    assert store.get_run(waiting).status == "stopped"


def test_start_from_idle_and_a_queued_run_beginning_both_say_it_is_starting(page, tiny_mnist_dir):
    page.number_input(key="train_mnist-dense-512_epochs").set_value(1).run()
    start_button(page).click().run()
    assert [toast.value for toast in page.toast] == ["Run 1 is starting."]
    start_button(page).click().run()
    assert [toast.value for toast in page.toast] == ["Run 2 waits for the run before it."]
    assert "1. Run 2: mnist-dense-512 on mnist, 1 epoch" in [md.value for md in page.markdown]  # not "1 epochs"
    RunStore().mark_finished(1, "completed")
    page.run()  # the page's next look at the runs starts the queued one
    assert RunStore().get_run(2).status == "running"
    assert [toast.value for toast in page.toast] == ["Run 2 is starting."]


def test_finished_run_shows_results_confusion_matrix_and_can_become_the_draw_model(page, tiny_mnist_dir, tmp_path):
    store = RunStore()
    run_id = fill_run(store, epochs_done=3)
    model_path = finish_run(store, run_id, tmp_path)
    page.run()
    assert page.success[0].value.startswith(f"Run {run_id} completed 3 of 3 epochs")
    assert page.metric[0].value == "90.0%"
    assert len(charts(page)) == 5  # four curves and the confusion matrix
    page.button(key=f"train_use_{run_id}").click().run()
    assert catalog.active_model("digits") == model_path.resolve()
    assert any("the model the app uses for digits" in s.value for s in page.success)


def test_a_run_trained_on_another_node_can_become_the_draw_model_from_the_store(page, tiny_mnist_dir, tmp_path):
    store = RunStore()
    run_id = fill_run(store, epochs_done=3)
    elsewhere = finish_run(store, run_id, tmp_path)
    run_files.save_run_files(store, run_id, tmp_path)
    for name in ("model.keras", "model.json"):
        (tmp_path / name).unlink()  # The Ray node's scratch folder is gone; its files are in the store.
    page.run()
    page.button(key=f"train_use_{run_id}").click().run()
    assert not page.exception
    fetched = paths.run_dir(run_id) / "model.keras"
    assert catalog.active_model("digits") == fetched.resolve()
    assert fetched.read_bytes() == b"not really a model"
    assert not elsewhere.exists()


def test_finished_run_is_offered_as_a_start_for_fine_tuning(page, tiny_mnist_dir, tmp_path):
    store = RunStore()
    run_id = fill_run(store, epochs_done=3)
    finish_run(store, run_id, tmp_path)
    page.run()
    start = page.selectbox(key="train_mnist-dense-512_start")
    assert f"Run {run_id}: filled (90.0%)" in start.options
    start.select_index(start.options.index(f"Run {run_id}: filled (90.0%)")).run()
    start_button(page).click().run()
    newest = RunStore().list_runs()[0]
    assert newest.spec["init_model"] == str(tmp_path / "model.keras")


@pytest.mark.parametrize("dataset", [name for name, info in datasets.DATASETS.items() if info.task])
def test_a_run_on_any_dataset_of_a_task_is_a_start_model_and_can_become_its_pages_model(
    no_data, page, tmp_path, dataset
):
    store = RunStore()
    run_id = fill_run(store, epochs_done=3, dataset=dataset)
    model_path = finish_run(store, run_id, tmp_path)
    page.run()
    page.selectbox(key="train_dataset").select(dataset).run()
    (start,) = [box for box in page.selectbox if box.key.endswith("_start")]
    assert f"Run {run_id}: filled (90.0%)" in start.options
    task = datasets.task_of(dataset)
    use = page.button(key=f"train_use_{run_id}")
    assert use.label == tasks.get_task(task).use_label
    use.click().run()
    assert catalog.active_model(task) == model_path.resolve()


def test_a_mnist_pen_run_fine_tunes_and_becomes_the_draw_model(no_data, page, tmp_path):
    store = RunStore()
    run_id = fill_run(store, epochs_done=3, dataset="mnist_pen")
    model_path = finish_run(store, run_id, tmp_path)
    page.run()
    page.selectbox(key="train_dataset").select("mnist").run()
    assert f"Run {run_id}: filled (90.0%)" in page.selectbox(key="train_mnist-dense-512_start").options
    use = page.button(key=f"train_use_{run_id}")
    assert use.label == "Use this model on the Draw page"
    use.click().run()
    assert catalog.active_model("digits") == model_path.resolve()


def test_failed_and_interrupted_runs_say_why(page, tiny_mnist_dir):
    store = RunStore()
    failed = fill_run(store)
    store.mark_finished(failed, "failed", error="RuntimeError: injected failure")
    page.run()
    assert page.error[0].value == f"Run {failed} failed: RuntimeError: injected failure"
    lost = fill_run(store)
    page.run()  # The page watches it train...
    store.interrupt_run(
        lost, 4242, "Its trainer (process 4242) ended without finishing it; the metrics so far are kept."
    )
    page.run()  # ...and shows it when it ends.
    assert "interrupted after 1 of 3 epochs" in page.warning[0].value
    assert len(charts(page)) == 4  # its metrics are kept and drawn


def test_fine_tuning_on_my_sign_landmarks_warns_that_the_model_forgets(page):
    page.selectbox(key="train_dataset").select("my_sign_landmarks").run()
    recipe = page.selectbox(key="train_recipe_my_sign_landmarks").value
    assert not any("makes the letters model worse" in w.value for w in page.warning)  # fresh weights: no warning
    start = page.selectbox(key=f"train_{recipe}_start")
    start.select_index(start.options.index("Shipped model")).run()
    assert not page.exception
    warning = next(w.value for w in page.warning if "makes the letters model worse" in w.value)
    assert "39%" in warning
    assert "“My signs + ASL hand landmarks” instead" in warning


def test_my_signs_mixed_into_the_asl_landmarks_say_how_and_do_not_warn(page):
    page.selectbox(key="train_dataset").select("my_signs_with_asl").run()
    recipe = page.selectbox(key="train_recipe_my_signs_with_asl").value
    assert recipe == "letters-landmarks"
    start = page.selectbox(key=f"train_{recipe}_start")
    start.select_index(start.options.index("Shipped model")).run()
    assert not page.exception
    assert not any("makes the letters model worse" in w.value for w in page.warning)
    assert any("mixed into the ASL hand landmarks" in c.value and "counted 10 times" in c.value for c in page.caption)


def test_mnist_other_says_what_the_users_not_digit_drawings_add_and_how_to_save_some(page):
    page.selectbox(key="train_dataset").select("mnist_other").run()
    assert any("“It's not a digit” saves it" in caption.value for caption in page.caption)

    samples.save_not_a_digit([DigitCrop(np.ones((28, 28), np.float32), (0, 0, 9, 9))] * 2, np.zeros((9, 9, 3)))
    page.run()
    note = next(c.value for c in page.caption if c.value.startswith("Includes"))
    assert note.startswith("Includes the 2 pieces you saved as not a digit on the Draw page, each counted 10 times.")

    samples.save_sample(np.ones((28, 28), np.float32), "7")
    page.run()

    assert not page.exception
    note = next(c.value for c in page.caption if c.value.startswith("Includes"))
    assert note.startswith("Includes the 2 pieces you saved as not a digit and the 1 digit you corrected on the Draw")


def test_teaching_the_shipped_model_what_is_no_digit_offers_the_measured_settings(page):
    page.selectbox(key="train_dataset").select("mnist_other").run()
    recipe = page.selectbox(key="train_recipe_mnist_other").value
    assert not any(button.key == f"train_{recipe}_teach" for button in page.button)  # fresh weights: the recipe's own
    start = page.selectbox(key=f"train_{recipe}_start")
    start.select_index(start.options.index("Shipped model")).run()

    page.button(key=f"train_{recipe}_teach").click().run()

    assert not page.exception
    assert page.number_input(key=f"train_{recipe}_epochs").value == 1
    assert page.number_input(key=f"train_{recipe}_rate").value == pytest.approx(3e-4)


def accuracy_domains(app: AppTest) -> list[list[float]]:
    """The y ranges of the accuracy charts on the page, from their Vega-Lite specs."""
    specs = [json.loads(chart.proto.spec) for chart in charts(app)]
    encodings = [spec.get("layer", [spec])[0].get("encoding", {}) for spec in specs]
    return [e["y"]["scale"]["domain"] for e in encodings if e.get("y", {}).get("field") == "accuracy"]


def test_accuracy_charts_zoom_to_the_values_and_a_toggle_draws_them_from_0_to_100_percent(
    page, tiny_mnist_dir, tmp_path
):
    store = RunStore()
    run_id = fill_run(store, epochs_done=3)
    finish_run(store, run_id, tmp_path)
    page.run()
    low, high = accuracy_domains(page)[1]  # per epoch (the first is per batch)
    assert 0 < low < 0.45  # the epochs' 45–50%, with a little room
    assert 0.5 < high < 0.6
    page.toggle(key=f"train_result_full_{run_id}").set_value(True).run()
    assert accuracy_domains(page) == [[0, 1], [0, 1]]


def test_a_stopping_run_shows_what_it_waits_for_and_no_stale_time_left(page, tiny_mnist_dir):
    # Issue #32: after Stop the page said "finishing this batch, then testing and saving" for ~25 s beside a frozen
    # "about 2 min 32 s left".
    store = RunStore()
    run_id = fill_run(store)
    page.run()
    assert " left" in page.get("progress")[0].proto.text
    page.button(key=f"train_stop_{run_id}").click().run()
    assert " left" not in page.get("progress")[0].proto.text
    assert any(caption.value.startswith("Stopping: finishing this batch, then testing") for caption in page.caption)
    store.set_phase(run_id, "testing the model on a sample of 2,000 of the 10,000 test images: 1,024 done")
    page.run()
    said = "Stopping: testing the model on a sample of 2,000 of the 10,000 test images: 1,024 done…"
    assert said in [caption.value for caption in page.caption]


def test_a_run_stopped_mid_epoch_shows_the_part_epoch_and_its_sampled_test_honestly(page, tiny_mnist_dir, tmp_path):
    store = RunStore()
    run_id = fill_run(store, epochs_done=1)  # its last batch is the 4th of 10 in epoch 2
    finish_run(store, run_id, tmp_path)
    test = {"samples": 2000, "test_set_size": 10000, "sampled_because": "stopped"}
    card = store.get_run(run_id).card | {"test": test, "weights_from_epoch": 1}
    store.update_run(run_id, status="stopped", card=card)
    page.run()
    assert page.info[0].value == (
        f"Run {run_id} stopped 40% into epoch 2 of 3, as you asked. The model keeps the weights of epoch 1, the best "
        "validated one, not the part-epoch's. Test accuracy 90.0% on 2,000 of the 10,000 test images (a sample: the "
        "run was stopped)."
    )
    assert page.metric[1].value == "1 + 40%"
    assert any(caption.value.startswith("Training ended 40% into epoch 2: the per-epoch") for caption in page.caption)


def test_fine_tuning_says_what_it_starts_from_and_what_the_recipe_still_decides(page, tiny_mnist_dir):
    # Issue #32: "Shipped model" with another recipe said nothing about what is trained.
    start = page.selectbox(key="train_mnist-dense-512_start")
    assert not any(caption.value.startswith("Fine-tuning") for caption in page.caption)
    start.select_index(start.options.index("Shipped model")).run()
    note = next(caption.value for caption in page.caption if caption.value.startswith("Fine-tuning"))
    card = json.loads(catalog.shipped_model("digits").with_suffix(".json").read_text())
    assert f"the shipped model ({card['recipe']}, trained on {card['dataset']}) and keeps its layers" in note
    assert "not the recipe's own layers" in note


def test_a_landmarks_recipe_has_no_image_settings(page):
    # Issue #32: the landmarks recipe still showed "Image size (px)" and "Augment images".
    assert [box.label for box in page.number_input if box.label == "Image size (px)"]
    assert [toggle.label for toggle in page.toggle if toggle.label == "Augment images"]
    page.selectbox(key="train_dataset").select("asl_landmarks").run()
    assert not page.exception
    assert not [box.label for box in page.number_input if box.label == "Image size (px)"]
    assert not [toggle.label for toggle in page.toggle if toggle.label == "Augment images"]


def test_a_queued_run_is_shown_under_the_button_with_its_place_and_a_link_up_to_the_queue(page, tiny_mnist_dir):
    # Issue #32: after queueing, the page stayed at the form while the queue was at the top, out of sight.
    page.number_input(key="train_mnist-dense-512_epochs").set_value(1).run()
    start_button(page).click().run()
    assert page.success[0].value == "Run 1 is training. [Watch it ↑](#training-now)"
    start_button(page).click().run()
    start_button(page).click().run()
    assert page.info[-1].value == (
        "Run 3 is waiting to train, number 2 in line: it starts by itself when the runs ahead of it end. "
        "[See the queue ↑](#training-now)"
    )
    assert [subheader.proto.anchor for subheader in page.subheader if subheader.value == "Training now"] == [
        "training-now"
    ]
    RunStore().mark_finished(1, "completed")
    RunStore().mark_finished(2, "completed")
    page.run()  # run 3 starts
    page.run()
    assert not [info for info in page.info if "waiting to train" in info.value]


def test_a_run_stopped_in_its_first_epoch_shows_its_batches_and_no_epoch_charts_to_wait_for(
    page, tiny_mnist_dir, tmp_path
):
    store = RunStore()
    run_id = fill_run(store, epochs_done=0)
    finish_run(store, run_id, tmp_path)
    store.update_run(run_id, status="stopped")
    page.run()
    titles = [json.loads(chart.proto.spec).get("title") for chart in charts(page)]
    assert titles[:2] == ["Loss per batch", "Accuracy per batch"]  # not folded away: they are all there is
    assert not [title for title in titles if title and "per epoch" in str(title)]
    assert any("before any epoch was complete" in caption.value for caption in page.caption)
