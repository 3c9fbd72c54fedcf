"""Training jobs: real child processes through queued → running → finished, stop, failure, kill and the queue."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers.trainer import SLOW_TRAINER, wait_for

from core import train
from core.learn import jobs, trainer
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec
from core.ui import run_words

TINY = TrainSpec(recipe="mnist-dense-512", dataset="mnist", epochs=1, batch_size=8)


@pytest.fixture
def slow_trainer(monkeypatch: pytest.MonkeyPatch):
    """Make jobs start SLOW_TRAINER; returns a setter for its batch delay and failing step."""
    monkeypatch.setattr(jobs, "TRAINER_ARGS", ("-c", SLOW_TRAINER))

    def configure(delay_s: float = 0.0, fail_at_step: int = -1) -> None:
        monkeypatch.setenv("TEST_BATCH_DELAY_S", str(delay_s))
        monkeypatch.setenv("TEST_FAIL_AT_STEP", str(fail_at_step))

    return configure


def finished(store: RunStore, run_id: int):
    """The run once it has finished, else None (for wait_for)."""
    run = store.get_run(run_id)
    return run if run.finished else None


@pytest.mark.slow
def test_started_run_trains_in_a_child_and_completes_with_metrics_and_model(tiny_mnist_dir, slow_trainer):
    slow_trainer(delay_s=0.1)
    store = RunStore()
    run_id = jobs.start_run(replace(TINY, epochs=2), name="first")
    assert store.get_run(run_id).status == "running"  # Claimed at once: nothing else was training.

    def running_with_batches():
        run = store.get_run(run_id)
        return run.status == "running" and store.batch_metrics(run_id)

    wait_for(running_with_batches)
    run = wait_for(lambda: finished(store, run_id))
    assert run.status == "completed", jobs.read_log(run_id)
    assert run.pid != os.getpid()
    assert Path(run.model_path).is_file()
    assert len(store.batch_metrics(run_id)) == 16  # 64 samples / 8 per batch × 2 epochs
    assert [row["epoch"] for row in store.epoch_metrics(run_id)] == [0, 1]
    assert run.device.startswith(("CPU", "GPU"))
    assert "Epoch 2/2" in jobs.read_log(run_id)


@pytest.mark.slow
def test_stop_request_ends_the_child_within_a_batch_and_keeps_the_model(tiny_mnist_dir, slow_trainer):
    slow_trainer(delay_s=0.25)
    store = RunStore()
    run_id = jobs.start_run(replace(TINY, epochs=5), name="stop me")
    seen = len(wait_for(lambda: store.batch_metrics(run_id)))
    jobs.stop_run(run_id)
    run = wait_for(lambda: finished(store, run_id))
    assert run.status == "stopped", jobs.read_log(run_id)
    steps = len(store.batch_metrics(run_id))
    # Batches take ≥ 0.25 s and rows are written every 0.5 s, so at most 2 were unwritten when the request
    # came, plus the one in progress.
    assert seen <= steps <= seen + 3
    assert steps < 40
    assert Path(run.model_path).is_file()


@pytest.mark.slow
def test_exception_in_the_child_marks_the_run_failed_with_its_message(tiny_mnist_dir, slow_trainer):
    slow_trainer(fail_at_step=3)
    store = RunStore()
    run_id = jobs.start_run(TINY)
    run = wait_for(lambda: finished(store, run_id))
    assert run.status == "failed"
    assert run.error == "RuntimeError: injected failure"
    assert [row["step"] for row in store.batch_metrics(run_id)] == [0, 1, 2]  # nothing before it is lost
    assert "RuntimeError: injected failure" in jobs.read_log(run_id)


@pytest.mark.slow
def test_killed_child_is_marked_interrupted_on_the_next_check_with_its_metrics(tiny_mnist_dir, slow_trainer):
    slow_trainer(delay_s=0.2)
    store = RunStore()
    run_id = jobs.start_run(replace(TINY, epochs=20))
    wait_for(lambda: store.batch_metrics(run_id))
    os.kill(store.get_run(run_id).pid, signal.SIGKILL)
    wait_for(lambda: not jobs.trainer_alive(run_id), timeout_s=10)
    assert jobs.refresh(store) == [run_id]
    run = store.get_run(run_id)
    assert run.status == "interrupted"
    assert f"process {run.pid}" in run.error
    assert store.batch_metrics(run_id)


@pytest.mark.slow
def test_queued_run_starts_when_the_running_one_ends(tiny_mnist_dir):
    store = RunStore()
    first = jobs.start_run(TINY, name="first")
    second = jobs.start_run(TINY, name="second")
    assert [run.id for run in jobs.queued_runs(store)] == [second]
    # No page polls here: the first trainer starts the second when it is done.
    a = wait_for(lambda: finished(store, first))
    b = wait_for(lambda: finished(store, second))
    assert (a.status, b.status) == ("completed", "completed"), jobs.read_log(second)
    assert b.started_at >= a.ended_at
    assert b.pid != a.pid


def test_two_callers_at_once_start_only_one_trainer(monkeypatch):
    store = RunStore()
    for name in "abc":
        store.create_run(TINY.to_dict(), name)
    spawned = []
    monkeypatch.setattr(jobs, "_spawn", lambda run_id: spawned.append(run_id) or 4242)
    monkeypatch.setattr(jobs, "trainer_alive", lambda run_id: True)
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        jobs.start_next(RunStore())

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spawned) == 1
    assert [run.name for run in store.list_runs(["running"])] == ["a"]
    assert store.get_run(spawned[0]).pid == 4242


def test_run_of_a_dead_or_foreign_process_is_interrupted_but_a_finished_one_is_left_alone():
    store = RunStore()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone, foreign, done = (store.create_run({}, name) for name in ("gone", "foreign", "done"))
    store.claim_run(gone, dead.pid)
    store.claim_run(foreign, os.getpid())  # alive, but pytest is not a trainer
    store.claim_run(done, dead.pid)
    store.mark_finished(done, "completed")
    assert sorted(jobs.reconcile(store)) == [gone, foreign]
    assert store.get_run(done).status == "completed"
    assert store.get_run(gone).status == "interrupted"


def test_a_process_that_merely_names_core_train_is_not_taken_for_a_trainer():
    # Its command line names the trainer's module, but it never took the run's lock: only a trainer holds that.
    store = RunStore()
    impostor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "-m", "core.train", "--run", "1"])
    try:
        run_id = store.create_run({}, "impostor")
        store.claim_run(run_id, impostor.pid)
        assert not jobs.trainer_alive(run_id)
        assert jobs.reconcile(store) == [run_id]
    finally:
        impostor.kill()
        impostor.wait()


def test_a_trainer_that_jobs_started_is_known_by_the_lock_it_holds_until_it_dies(monkeypatch):
    # This "trainer" only sleeps: its command line never names core.train, yet it holds the lock jobs gave it.
    monkeypatch.setattr(jobs, "TRAINER_ARGS", ("-c", "import time; time.sleep(60)"))
    store = RunStore()
    run_id = jobs.start_run(TINY, store=store)
    pid = store.get_run(run_id).pid
    try:
        assert jobs.trainer_alive(run_id)  # The process that started it let go of its own copy of the lock.
        assert jobs.reconcile(store) == []
    finally:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not jobs.trainer_alive(run_id), timeout_s=10)
    assert jobs.reconcile(store) == [run_id]
    assert store.get_run(run_id).status == "interrupted"


def test_claimed_run_whose_trainer_never_reported_is_interrupted_after_a_timeout():
    store = RunStore()
    run_id = store.create_run({}, "never started")
    store.claim_next_queued()
    assert jobs.reconcile(store) == []
    assert jobs.reconcile(store, now=time.time() + jobs.CLAIM_TIMEOUT_S + 1) == [run_id]
    assert "did not start" in store.get_run(run_id).error


def test_cli_run_is_never_handed_to_a_second_trainer(tiny_mnist_dir, monkeypatch):
    seen = {}

    def fake_execute(store, run_id, verbose=0):
        seen["run"] = store.get_run(run_id)
        seen["alive"] = jobs.trainer_alive(run_id)  # The command line holds the run's lock, as any trainer does.
        seen["started"] = jobs.start_next(store)
        store.mark_finished(run_id, "completed")
        return 0

    monkeypatch.setattr(train, "execute_run", fake_execute)
    monkeypatch.setattr(jobs, "_spawn", lambda run_id: pytest.fail("a second trainer was started"))
    assert train.main(["--recipe", "mnist-dense-512", "--epochs", "1"]) == 0
    assert (seen["run"].status, seen["run"].pid, seen["alive"], seen["started"]) == ("running", os.getpid(), True, None)
    assert not jobs.trainer_alive(seen["run"].id)  # Let go when the run ended.


def test_trainer_refuses_a_run_that_is_not_waiting(capsys):
    store = RunStore()
    run_id = store.create_run(TINY.to_dict(), "done")
    store.mark_finished(run_id, "completed")
    assert train.main(["--run", str(run_id)]) == 2
    assert f"run {run_id} is completed" in capsys.readouterr().err


def test_cancelled_queued_run_never_starts(monkeypatch):
    monkeypatch.setattr(jobs, "_spawn", lambda run_id: pytest.fail("a cancelled run was started"))
    store = RunStore()
    blocker = store.create_run({}, "training")
    store.claim_run(blocker, 4242)
    monkeypatch.setattr(jobs, "trainer_alive", lambda run_id: True)
    waiting = jobs.start_run(TINY, store=store)
    jobs.stop_run(waiting, store)
    store.mark_finished(blocker, "completed")
    assert jobs.start_next(store) is None
    assert store.get_run(waiting).status == "stopped"


# What the Train page offers beyond a plain run: fine-tuning and keeping the best epoch when stopped.


def test_fine_tune_starts_from_a_past_runs_model(tiny_mnist_dir):
    store = RunStore()
    first = store.create_run(TINY.resolved().to_dict(), "first")
    assert trainer.execute_run(store, first) == 0
    start = store.get_run(first).model_path
    # A logits recipe on top of a saved (softmax) model must not apply a second softmax.
    spec = replace(TINY, recipe="mnist-tf-beginner", init_model=start).resolved()
    second = store.create_run(spec.to_dict(), "fine-tuned")
    assert trainer.execute_run(store, second) == 0
    run = store.get_run(second)
    assert run.card["spec"]["init_model"] == start
    assert run.card["parameters"] == store.get_run(first).card["parameters"]  # the dense-512 net, not the recipe's
    model = keras.saving.load_model(run.model_path, safe_mode=True)
    sums = np.asarray(model(np.full((2, 28, 28, 1), 0.5, dtype=np.float32))).sum(axis=1)
    np.testing.assert_allclose(sums, 1.0, rtol=1e-5)
    assert "--init-model" in spec.command()


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (None, "has no readable card"),
        (
            {"labels": list("ABCDEFGHIKLMNOPQRSTUVWXY"), "input_shape": [28, 28, 1]},
            "knows 24 classes, but MNIST has 10",
        ),
        ({"labels": list("0123456789"), "input_shape": [64, 64, 1]}, "reads 64-pixel images, not 28"),
    ],
)
def test_start_model_that_does_not_fit_is_refused_before_start(tmp_path, card, message):
    model_path = tmp_path / "start.keras"
    model_path.write_bytes(b"model")
    if card is not None:
        model_path.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=message):
        replace(TINY, init_model=str(model_path)).resolved()
    with pytest.raises(ValueError, match="There is no model file"):
        replace(TINY, init_model=str(tmp_path / "gone.keras")).resolved()


def test_stopped_run_keeps_the_weights_of_its_best_validated_epoch(tiny_mnist_dir, monkeypatch):
    store = RunStore()
    run_id = store.create_run(replace(TINY, epochs=6, validation_split=0.25).resolved().to_dict(), "stop late")
    report_batch = trainer.StoreReporter.on_batch

    def on_batch(self, epoch, batch, logs):
        report_batch(self, epoch, batch, logs)
        if (epoch, batch) == (4, 2):
            store.request_stop(run_id)

    monkeypatch.setattr(trainer.StoreReporter, "on_batch", on_batch)
    assert trainer.execute_run(store, run_id) == 0
    run = store.get_run(run_id)
    val_losses = [row["val_loss"] for row in store.epoch_metrics(run_id)]
    assert run.status == "stopped"
    assert len(val_losses) == 4  # the epoch it stopped in is neither validated nor counted
    assert run.card["weights_from_epoch"] == 1 + int(np.argmin(val_losses))
    assert "stopped 50% into epoch 5 of 6" in run_words.outcome(run, store.last_batch(run_id))
