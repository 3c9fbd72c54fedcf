"""The run store: runs, metrics, stop requests and concurrent use."""

import threading

import pytest

from core.learn.runs import RunStore


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


def test_new_run_is_queued_with_its_spec(store):
    run_id = store.create_run({"recipe": "digits-cnn"}, "first")
    run = store.get_run(run_id)
    assert (run.name, run.status, run.spec) == ("first", "queued", {"recipe": "digits-cnn"})
    assert not run.finished


def test_run_lifecycle_records_metrics_and_results(store):
    run_id = store.create_run({}, "r")
    store.mark_started(run_id, pid=123, total_epochs=2, steps_per_epoch=3)
    store.add_batch_metrics(
        run_id, [{"step": s, "epoch": 0, "batch": s, "loss": 1.0 / (s + 1), "time_s": s} for s in range(3)]
    )
    store.add_epoch_metrics(run_id, {"epoch": 0, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "time_s": 3.0})
    store.update_run(run_id, test_accuracy=0.9, confusion=[[1, 0], [0, 1]], card={"labels": ["a", "b"]})
    store.mark_finished(run_id, "completed")
    run = store.get_run(run_id)
    assert run.status == "completed"
    assert run.finished
    assert run.epochs_done == 1
    assert run.pid == 123
    assert run.confusion == [[1, 0], [0, 1]]
    assert run.card == {"labels": ["a", "b"]}
    assert [row["step"] for row in store.batch_metrics(run_id)] == [0, 1, 2]
    assert store.epoch_metrics(run_id)[0]["val_loss"] == 0.6
    assert run.duration_s is not None
    assert run.duration_s >= 0


def test_stop_request_cancels_a_queued_run_and_flags_a_running_one(store):
    queued, running = store.create_run({}, "q"), store.create_run({}, "r")
    store.mark_started(running, pid=1, total_epochs=1, steps_per_epoch=1)
    store.request_stop(queued)
    store.request_stop(running)
    assert store.get_run(queued).status == "stopped"
    assert store.get_run(running).status == "running"
    assert store.stop_requested(running)


def test_list_filters_by_status_newest_first(store):
    a, b, c = (store.create_run({}, name) for name in "abc")
    store.mark_finished(b, "failed", error="boom")
    assert [run.id for run in store.list_runs()] == [c, b, a]
    assert [run.id for run in store.list_runs(["queued"])] == [c, a]
    assert store.get_run(b).error == "boom"


def test_invalid_status_is_refused(store):
    run_id = store.create_run({}, "r")
    with pytest.raises(ValueError, match="final status"):
        store.mark_finished(run_id, "running")
    with pytest.raises(ValueError, match="Unknown run status"):
        store.update_run(run_id, status="done")


def test_delete_removes_run_and_metrics(store):
    run_id = store.create_run({}, "r")
    store.add_epoch_metrics(run_id, {"epoch": 0, "time_s": 1.0})
    store.delete_run(run_id)
    with pytest.raises(KeyError):
        store.get_run(run_id)
    assert store.epoch_metrics(run_id) == []


def test_concurrent_writers_and_readers_lose_nothing(tmp_path):
    path = tmp_path / "runs.db"
    run_ids = [RunStore(path).create_run({}, f"run {i}") for i in range(4)]
    errors = []

    def write(run_id):
        store = RunStore(path)
        try:
            for step in range(100):
                store.add_batch_metrics(run_id, [{"step": step, "epoch": 0, "batch": step, "time_s": 0.0}])
        except Exception as error:  # noqa: BLE001 - any error fails the test below
            errors.append(error)

    def read():
        store = RunStore(path)
        try:
            for _ in range(100):
                store.list_runs()
                store.batch_metrics(run_ids[0])
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in run_ids] + [
        threading.Thread(target=read) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(RunStore(path).batch_metrics(i)) == 100 for i in run_ids)
