"""What the pages say about runs: progress numbers and caption, durations, outcomes, dataset notes."""

from dataclasses import replace

import pytest

from core import paths
from core.data import datasets
from core.learn.runs import Run, RunStore
from core.ui import run_words

# A run that trained 3 of 4 epochs for 65 s; each test sets how it ended.
RUN = Run(
    id=7,
    name="r",
    status="completed",
    spec={"epochs": 4},
    created_at=0.0,
    started_at=100.0,
    ended_at=165.0,
    heartbeat_at=165.0,
    pid=1,
    stop_requested=False,
    epochs_done=3,
    total_epochs=4,
    steps_per_epoch=5,
    model_path=None,
    card=None,
    test_loss=None,
    test_accuracy=0.875,
    confusion=None,
    error=None,
)


def test_progress_reports_epoch_batch_eta_and_speed():
    store = RunStore()
    run_id = store.create_run({"batch_size": 10}, "r")
    store.mark_started(run_id, pid=1, total_epochs=2, steps_per_epoch=5)
    store.add_batch_metrics(run_id, [{"step": s, "epoch": s // 5, "batch": s % 5, "time_s": s + 1.0} for s in range(6)])
    run = store.get_run(run_id)
    progress = run_words.progress(run, store.batch_metrics(run_id), now=run.started_at + 7)
    assert (progress.epoch, progress.batch, progress.fraction) == (2, 1, 0.6)
    assert progress.eta_s == pytest.approx(4.0)  # 4 batches left at 1 s each
    assert progress.samples_per_s == pytest.approx(10.0)
    assert progress.elapsed_s == pytest.approx(7.0)
    assert run_words.progress_caption(progress) == "Epoch 2/2 · batch 1/5 · 7 s elapsed · about 4 s left · 10 samples/s"


def test_dataset_note_says_which_file_goes_where(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    ready, note = run_words.dataset_note("sign_mnist")
    assert not ready
    assert "sign_mnist_train.csv" in note
    assert str(tmp_path) in note
    ready, note = run_words.dataset_note("mnist")
    assert ready
    assert "downloads" in note


def test_on_a_fresh_install_each_unusable_dataset_says_what_it_needs_and_where(tmp_path, monkeypatch):
    data = tmp_path / "empty data"
    data.mkdir()
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(data))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    labels = {name: run_words.dataset_label(name) for name in datasets.DATASETS}
    assert labels["mnist"] == "MNIST"  # downloaded when a run starts
    assert labels["letters"] == f"ASL photos + Sign MNIST (needs asl_photos/ and the Sign MNIST files in {data})"
    assert labels["my_digits"] == "My digits (10 more to save)"
    for name, info in datasets.DATASETS.items():
        ready, note = run_words.dataset_note(name)
        if ready:
            continue
        assert "not enough" not in labels[name]
        if info.saved is not None:  # saved in the app: how many more
            assert labels[name].endswith("more to save)"), labels[name]
            assert "0 saved so far" in note
        else:  # files: which, and in which folder
            assert labels[name].endswith(f" in {data})"), labels[name]
            assert info.needs in note, note
            assert str(data) in note, note


def test_the_default_data_folder_is_named_short_in_the_dataset_list(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path / "data"))
    assert run_words.dataset_label("pima") == "Pima Indians Diabetes (needs diabetes.csv in data/)"


@pytest.mark.parametrize(("seconds", "text"), [(4.4, "4 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")])
def test_durations_read_naturally(seconds, text):
    assert run_words.format_duration(seconds) == text


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({}, "Run 7 completed 3 of 4 epochs in 1 min 05 s. Test accuracy 87.5%."),
        ({"status": "stopped", "steps_per_epoch": None}, "Run 7 was cancelled before it began training."),
        (
            {"status": "stopped", "card": {"weights_from_epoch": 2}, "test_accuracy": None},
            "Run 7 stopped after epoch 3 of 4, as you asked. "
            "The model keeps the weights of epoch 2, the best on validation.",
        ),
        (
            {"status": "stopped", "epochs_done": 0, "test_accuracy": None},
            "Run 7 stopped in its first epoch, as you asked.",
        ),
        ({"status": "failed", "error": "MemoryError"}, "Run 7 failed: MemoryError"),
        (
            {"status": "interrupted", "error": "Its trainer died."},
            "Run 7 was interrupted after 3 of 4 epochs. Its trainer died.",
        ),
    ],
)
def test_outcome_says_how_each_run_ended(change, sentence):
    assert run_words.outcome(replace(RUN, **change)) == sentence


def test_a_run_stopped_mid_epoch_says_how_far_it_got_which_weights_it_keeps_and_what_it_was_tested_on():
    # Issue #32: a run stopped 37% into epoch 2 read as if epoch 2 were done; a stopped run is tested on a sample.
    test = {"samples": 2000, "test_set_size": 10000, "sampled_because": "stopped"}
    stopped = replace(RUN, status="stopped", steps_per_epoch=100, epochs_done=1, test_accuracy=0.912)
    last = {"step": 136, "epoch": 1, "batch": 36}
    kept_epoch_1 = replace(stopped, card={"weights_from_epoch": 1, "test": test})
    assert run_words.outcome(kept_epoch_1, last) == (
        "Run 7 stopped 37% into epoch 2 of 4, as you asked. The model keeps the weights of epoch 1, the best "
        "validated one, not the part-epoch's. Test accuracy 91.2% on 2,000 of the 10,000 test images (a sample: the "
        "run was stopped)."
    )
    no_validation = replace(stopped, card={"weights_from_epoch": 2, "test": test})
    assert "keeps the weights it had when stopped." in run_words.outcome(no_validation, last)
    interrupted = replace(stopped, status="interrupted", error="Its trainer died.")
    assert run_words.outcome(interrupted, last) == (
        "Run 7 was interrupted after 1 of 4 epochs and 37% of epoch 2. Its trainer died."
    )


def test_a_stopping_run_shows_no_time_left_and_says_what_it_waits_for():
    # Issue #32: after Stop the page showed a frozen "about 2 min 32 s left" for ~25 s while elapsed ticked on.
    rows = [{"step": s, "epoch": s // 5, "batch": s % 5, "time_s": s + 1.0} for s in range(6)]
    training = replace(RUN, status="running", ended_at=None, epochs_done=1)
    assert run_words.progress(training, rows, now=108).eta_s is not None
    assert run_words.after_training(training) is None
    stopping = replace(training, stop_requested=True)
    progress = run_words.progress(stopping, rows, now=108)
    assert progress.eta_s is None
    assert "left" not in run_words.progress_caption(progress)
    assert run_words.after_training(stopping).startswith("Stopping: finishing this batch, then testing the model")
    testing = replace(stopping, phase="testing the model on a sample of 2,000 of the 10,000 test images: 1,024 done")
    assert run_words.after_training(testing) == (
        "Stopping: testing the model on a sample of 2,000 of the 10,000 test images: 1,024 done…"
    )
    ending = replace(training, phase="saving the model")
    assert run_words.progress(ending, rows, now=108).eta_s is None
    assert run_words.after_training(ending) == "Training done: saving the model…"


def test_finished_run_has_no_time_left_and_no_silence():
    rows = [{"step": s, "epoch": s // 5, "batch": s % 5, "time_s": s + 1.0} for s in range(15)]
    progress = run_words.progress(RUN, rows, now=RUN.ended_at + 600)
    assert (progress.eta_s, progress.silent_s, progress.fraction) == (None, 0.0, 0.75)
    assert progress.elapsed_s == pytest.approx(65.0)


def test_landmarks_not_yet_extracted_warn_of_the_first_runs_wait(tmp_path, monkeypatch):
    for folder in ("asl_photos", "asl_webcam"):
        (tmp_path / "data" / folder).mkdir(parents=True)
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HANDLAB_HOME", str(tmp_path / "home"))
    ready, note = run_words.dataset_note("asl_landmarks")
    assert ready
    assert "30–45 minutes" in note
    cache = paths.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    for collection in ("asl_photos", "asl_webcam"):
        (cache / f"hand_landmarks_{collection}.npz").write_bytes(b"cached")
    assert run_words.dataset_note("asl_landmarks") == (True, None)


@pytest.mark.parametrize(
    ("number", "noun", "expected"),
    [(1, "epoch", "1 epoch"), (2, "epoch", "2 epochs"), (0, "run", "0 runs"), (1, "batch", "1 batch")],
)
def test_count_is_singular_for_one(number, noun, expected):
    plural = "batches" if noun == "batch" else None
    assert run_words.count(number, noun, plural) == expected


def test_a_one_epoch_run_says_epoch_not_epochs():
    one = replace(RUN, epochs_done=1, total_epochs=1, spec={"epochs": 1})
    assert run_words.outcome(one).startswith("Run 7 completed 1 of 1 epoch in ")
    assert "epochs" not in run_words.outcome(one)
    assert "1 of 1 epoch" in run_words.outcome(replace(one, status="interrupted"))
    assert "3 of 4 epochs" in run_words.outcome(RUN)


def swinging_batches(steps: int, compile_s: float = 60.0) -> list[dict]:
    """Batch rows whose first batch also compiles the model, then 5 fast (0.05 s) and 5 slow (0.25 s) batches."""
    rows, time_s = [], compile_s
    for step in range(steps):
        if step:
            time_s += 0.05 if (step // 5) % 2 == 0 else 0.25
        rows.append({"step": step, "epoch": step // 50, "batch": step % 50, "time_s": time_s})
    return rows


def test_eta_is_steady_while_the_batch_rate_swings_and_ignores_the_compile_time():
    total_steps = 200  # 4 epochs of 50 batches
    run = replace(RUN, status="running", ended_at=None, total_epochs=4, steps_per_epoch=50, spec={"batch_size": 1})
    rows = swinging_batches(total_steps)
    etas = [run_words.progress(run, rows[: step + 1], now=200.0).eta_s for step in range(total_steps - 1)]
    assert etas[0] is None  # no pace from the first batch alone
    for step in range(10, total_steps - 1):
        true_left_s = rows[-1]["time_s"] - rows[step]["time_s"]
        # The compile minute is not spread over the batches left; near the end, a slow stretch is one second.
        assert etas[step] == pytest.approx(true_left_s, rel=0.25, abs=1.0), step
    for step in range(20, total_steps - 1):
        assert abs(etas[step] - etas[step - 1]) <= 0.1 * etas[step - 1] + 0.25, step  # a batch's swing at most
