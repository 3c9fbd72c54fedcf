"""The History page with AppTest: the table, comparing runs, one run in detail, downloads and delete."""

import dataclasses
import shutil
from collections.abc import Callable

import numpy as np
import pytest
from helpers.hands import hand_landmarks_px
from helpers.runs import DIGITS, finished_run
from streamlit.testing.v1 import AppTest

from core import paths
from core.data import datasets
from core.data.loaders import Dataset
from core.learn import catalog, run_files
from core.learn.runs import RunStore
from core.paths import run_dir
from core.ui.history import TABLE_KEY
from core.vision.landmarks import normalize_landmarks


@pytest.fixture
def filled(tiny_mnist_dir) -> list[int]:
    store = RunStore()
    return [finished_run(store, paths.home_dir(), f"run {i}", rate) for i, rate in enumerate([0.001, 0.01, 0.001])]


def history(app_test: Callable[[], AppTest]) -> AppTest:
    return app_test().run().switch_page("pages/history.py").run()


def pick(app: AppTest, run_ids: list[int]) -> AppTest:
    """Select the rows of these runs in the runs table, as clicks on them do, and rerun."""
    rows = app.dataframe[0].value["run"].tolist()
    app.session_state[TABLE_KEY] = {"selection": {"rows": [rows.index(run_id) for run_id in run_ids]}}
    return app.run()


def detail_box(app: AppTest):
    """The "Open one run" box under a comparison."""
    return next(box for box in app.selectbox if box.label == "Open one run")


def test_empty_store_points_to_train(app_test):
    app = history(app_test)
    assert not app.exception
    assert "No runs yet" in app.info[0].value


def test_table_lists_every_run(filled, app_test):
    app = history(app_test)
    assert not app.exception
    table = app.dataframe[0].value
    assert sorted(table["run"]) == sorted(filled)
    assert set(table["name"]) == {"run 0", "run 1", "run 2"}


def test_table_starts_with_what_people_look_for_and_rows_are_clicked_not_picked_from_a_list(filled, app_test):
    app = history(app_test)
    columns = app.dataframe[0].value.columns.tolist()
    assert columns[:7] == ["name", "status", "test accuracy", "dataset", "recipe", "when", "duration (s)"]
    assert columns.index("learning_rate") > columns.index("duration (s)")  # settings come after
    assert [widget.label for widget in app.multiselect] == ["Dataset", "Recipe", "Status"]  # filters only


def test_first_visit_opens_the_newest_run_that_has_results_and_a_cancelled_run_reads_cancelled(filled, app_test):
    # Issue #32: History opened a run cancelled before training ("Appears when the first epoch ends." beside it),
    # and called it "stopped".
    store = RunStore()
    cancelled = store.create_run({"recipe": "digits-cnn", "dataset": "mnist", "epochs": 12}, "cancelled")
    store.request_stop(cancelled)
    store.create_run({"recipe": "mnist-dense-512", "dataset": "mnist", "epochs": 2}, "waiting")
    app = history(app_test)
    assert not app.exception
    assert app.subheader[0].value == f"Run {filled[2]}: run 2"
    assert app.session_state[TABLE_KEY]["selection"]["rows"] == [2]  # rows 0 and 1: the queued and cancelled runs
    assert app.dataframe[0].value["status"].tolist()[:3] == ["queued", "cancelled", "completed"]
    assert "cancelled" in app.multiselect(key="history_statuses").options


def test_picked_runs_stay_across_reruns_and_come_back_when_a_filter_is_cleared(filled, app_test):
    store = RunStore()
    store.update_run(filled[0], spec=store.get_run(filled[0]).spec | {"dataset": "fashion_mnist"})
    app = pick(history(app_test), filled[:2])
    app.radio(key="history_compare_metric").set_value("accuracy").run()
    assert app.header[0].value == "Compare"
    assert detail_box(app).options == [f"Run {filled[0]}: run 0", f"Run {filled[1]}: run 1"]
    app.multiselect(key="history_datasets").set_value(["mnist"]).run()
    assert not app.header  # run 0 is filtered out: run 1 alone, in detail
    assert app.subheader[0].value == f"Run {filled[1]}: run 1"
    app.multiselect(key="history_datasets").set_value([]).run()
    assert app.header[0].value == "Compare"
    assert detail_box(app).options == [f"Run {filled[0]}: run 0", f"Run {filled[1]}: run 1"]


def test_a_new_visit_opens_the_newest_run_again_not_the_runs_picked_on_the_last_visit(filled, app_test):
    # Issue #32: picks carried over between visits, so a click toggled a run the user had not seen selected.
    app = pick(history(app_test), filled[:2])
    assert app.header[0].value == "Compare"
    app.switch_page("pages/train.py").run()
    app.switch_page("pages/history.py").run()
    assert not app.exception
    assert not app.header  # no comparison left over
    assert [subheader.value for subheader in app.subheader] == [f"Run {filled[2]}: run 2"]
    assert app.session_state[TABLE_KEY]["selection"]["rows"] == [0]
    pick(app, [filled[2], filled[0]])  # the next click adds to what the user sees, nothing else
    assert detail_box(app).options == [f"Run {filled[0]}: run 0", f"Run {filled[2]}: run 2"]


def test_picking_two_runs_compares_them_and_shows_what_differs(filled, app_test):
    app = history(app_test)
    pick(app, filled[:2])
    assert not app.exception
    assert app.header[0].value == "Compare"
    differing = next(frame.value for frame in app.dataframe if "learning_rate" in frame.value.index)
    assert differing.loc["learning_rate"].tolist() == ["0.001", "0.01"]
    assert len(app.get("vega_lite_chart")) >= 4  # comparison, loss, accuracy, confusion


def test_one_run_shows_detail_mistakes_and_downloads(filled, app_test):
    app = history(app_test)
    pick(app, [filled[0]])
    assert not app.exception
    assert app.subheader[0].value == f"Run {filled[0]}: run 0"
    assert any("Mistakes" in md.value for md in app.markdown)
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert captions == ["0 → 1 (80%)", "1 → 2 (80%)", "2 → 3 (80%)", "3 → 4 (80%)"]  # the mistakes gallery
    assert not any("J and Z" in caption.value for caption in app.caption)  # a digits run: no word of letters
    labels = {button.proto.label for button in app.get("download_button")}
    assert labels == {"Download model (.keras)", "Download metrics (.csv)"}


def test_the_use_button_has_the_train_pages_words_and_makes_the_draw_page_read_the_run(filled, app_test):
    app = pick(history(app_test), [filled[0]])
    (use,) = [button for button in app.button if button.key == f"history_actions_{filled[0]}_activate"]
    assert use.label == "Use this model on the Draw page"  # as on the Train page
    use.click().run()
    assert catalog.active_model("digits") == run_dir(filled[0]) / "model.keras"


def on_another_node(store: RunStore, run_id: int) -> None:
    """Make a finished run look trained on a Ray node: its files only in the store, its model path not here."""
    run_files.save_run_files(store, run_id, run_dir(run_id))
    shutil.rmtree(run_dir(run_id))
    store.update_run(run_id, model_path=f"/tmp/handlab-run-{run_id}-elsewhere/runs/{run_id}/model.keras")


def test_a_run_trained_on_another_node_has_its_mistakes_download_and_use_button_from_the_store(filled, app_test):
    on_another_node(RunStore(), filled[0])
    app = pick(history(app_test), [filled[0]])
    assert not app.exception
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert captions == ["0 → 1 (80%)", "1 → 2 (80%)", "2 → 3 (80%)", "3 → 4 (80%)"]
    labels = {button.proto.label for button in app.get("download_button")}
    assert labels == {"Download model (.keras)", "Download metrics (.csv)"}
    app.button(key=f"history_actions_{filled[0]}_activate").click().run()
    assert catalog.active_model("digits") == run_dir(filled[0]) / "model.keras"
    assert (run_dir(filled[0]) / "model.keras").read_bytes() == RunStore().load_file(filled[0], "model.keras")


def test_delete_removes_the_run_and_its_files(filled, app_test):
    app = history(app_test)
    pick(app, [filled[1]])
    app.button(key=f"history_actions_{filled[1]}_delete").click().run()
    assert not app.exception
    assert [run.id for run in RunStore().list_runs()] == [filled[2], filled[0]]
    assert not run_dir(filled[1]).exists()
    assert run_dir(filled[0]).exists()


def test_after_delete_the_page_says_what_went_and_the_other_picked_run_stays_open(filled, app_test):
    app = pick(history(app_test), filled[:2])
    detail_box(app).set_value(f"Run {filled[1]}: run 1").run()
    app.button(key=f"history_actions_{filled[1]}_delete").click().run()
    assert not app.exception
    assert app.success[0].value == f"Deleted run {filled[1]} (run 1), its metrics and its model files."
    assert not app.header  # one run left open: no comparison of one
    assert [subheader.value for subheader in app.subheader] == [f"Run {filled[0]}: run 0"]
    assert app.dataframe[0].value["run"].tolist() == [filled[2], filled[0]]
    assert app.session_state[TABLE_KEY]["selection"]["rows"] == [1]


def test_deleting_the_only_open_run_leaves_a_hint_not_a_blank_page(filled, app_test):
    app = pick(history(app_test), [filled[1]])
    app.button(key=f"history_actions_{filled[1]}_delete").click().run()
    assert not app.exception
    assert app.success[0].value.startswith(f"Deleted run {filled[1]} (run 1)")
    assert not app.subheader
    assert "Click a row" in app.info[0].value
    app.run()
    assert not app.success  # said once


def test_a_landmarks_runs_mistakes_are_drawn_as_hands(tiny_mnist_dir, app_test, monkeypatch):
    store = RunStore()
    run_id = finished_run(store, paths.home_dir(), "hands", 0.001)
    store.update_run(run_id, spec={"recipe": "letters-landmarks", "dataset": "asl_landmarks", "epochs": 2})
    features = np.tile(normalize_landmarks(hand_landmarks_px(), "right"), (32, 1))
    landmarks = Dataset("asl_landmarks", features, np.zeros(32, np.int64), features, np.zeros(32, np.int64), DIGITS)
    info = dataclasses.replace(datasets.DATASETS["asl_landmarks"], load=lambda size: landmarks)
    monkeypatch.setitem(datasets.DATASETS, "asl_landmarks", info)
    app = history(app_test)
    pick(app, [run_id])
    assert not app.exception
    assert any("21 landmarks" in caption.value for caption in app.caption)
    assert len(app.get("image")) == 4  # one drawn hand per mistake
    assert any(caption.value.startswith("J and Z are not in this matrix") for caption in app.caption)


def test_a_mnist_pen_run_can_become_the_draw_model(tiny_mnist_dir, app_test):
    store = RunStore()
    run_id = finished_run(store, paths.home_dir(), "pen digits", 0.001, dataset="mnist_pen")
    app = pick(history(app_test), [run_id])
    use = app.button(key=f"history_actions_{run_id}_activate")
    assert use.label == "Use this model on the Draw page"
    use.click().run()
    assert catalog.active_model("digits") == run_dir(run_id) / "model.keras"


def stopped_mid_epoch(store: RunStore) -> int:
    """A run stopped 37% into its second epoch, recorded as the trainer did before issue #32: the part-epoch counted."""
    run_id = finished_run(store, paths.home_dir(), "stopped", 0.001, status="stopped")
    store.update_run(run_id, steps_per_epoch=100)
    rows = [
        {"step": s, "epoch": s // 100, "batch": s % 100, "loss": 1.0, "accuracy": 0.5, "time_s": s} for s in range(137)
    ]
    store.add_batch_metrics(run_id, rows)
    return run_id


def test_a_run_stopped_mid_epoch_shows_the_part_epoch_honestly(tiny_mnist_dir, app_test):
    # Issue #32: a run stopped mid-epoch read "epochs done 2" with the part-epoch's accuracy as if complete.
    run_id = stopped_mid_epoch(RunStore())
    app = history(app_test)
    assert not app.exception
    assert app.dataframe[0].value["epochs done"].tolist() == ["1 + 37% of epoch 2"]
    assert app.caption[1].value.startswith(f"Run {run_id} stopped 37% into epoch 2 of 2, as you asked.")
    assert any(caption.value.startswith("Training ended 37% into epoch 2: the per-epoch") for caption in app.caption)


def test_comparing_with_a_run_without_points_leaves_it_out_and_says_so(filled, app_test):
    # Issue #32: an empty run in the comparison made Vega log "Infinite extent" warnings.
    store = RunStore()
    cancelled = store.create_run({"recipe": "digits-cnn", "dataset": "mnist", "epochs": 12}, "cancelled")
    store.request_stop(cancelled)
    app = pick(history(app_test), [cancelled, filled[2]])
    assert app.header[0].value == "Compare"
    assert f"Run {cancelled}: cancelled has no finished epoch to draw and is left out." in [
        c.value for c in app.caption
    ]
