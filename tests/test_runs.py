"""The run store: runs, metrics, stop requests, stored files and concurrent use, on SQLite and on PostgreSQL."""

import multiprocessing
import os
import sqlite3
import threading

import pytest

from core.learn.run_record import SCHEMA, postgres_schema
from core.learn.runs import RunStore


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path) -> str:
    """Where the store lives: a SQLite file, or an empty database on a throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(location):
    return RunStore(location)


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


def test_concurrent_writers_and_readers_lose_nothing(location):
    path = location
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


def _write_batches(location: str, run_id: int, steps: int) -> None:
    """A writer process: one row a transaction, as a trainer flushes them, and its stop flag read every batch."""
    store = RunStore(location)
    for step in range(steps):
        store.add_batch_metrics(run_id, [{"step": step, "epoch": 0, "batch": step, "loss": 1.0, "time_s": 0.0}])
        store.stop_requested(run_id)


def _read_runs(location: str, rounds: int) -> None:
    """A reader process, as an app server's page polls the store."""
    store = RunStore(location)
    for _ in range(rounds):
        for run in store.list_runs():
            store.batch_metrics(run.id)


def _in_processes(jobs: list[tuple]) -> list[int]:
    """Run (function, *args) jobs in separate processes at once; returns their exit codes."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=job[0], args=job[1:]) for job in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    return [process.exitcode for process in processes]


@pytest.mark.slow
def test_writer_and_reader_processes_lose_no_rows(location):
    store = RunStore(location)
    run_ids = [store.create_run({}, f"run {i}") for i in range(3)]
    codes = _in_processes([(_write_batches, location, i, 60) for i in run_ids] + [(_read_runs, location, 30)] * 2)
    assert codes == [0] * 5  # A process that raised exits with 1.
    assert [len(store.batch_metrics(i)) for i in run_ids] == [60, 60, 60]
    assert all(row["loss"] == 1.0 for row in store.batch_metrics(run_ids[0]))


def _claim_next(location: str, claimed, method: str) -> None:
    """A would-be trainer: claim from the queue and report which runs it got."""
    store = RunStore(location)
    if method == "one":
        run = store.claim_next_queued()
        claimed.extend([run.id] if run else [])
    else:  # A run slot on a cluster: it takes runs, oldest first, until none waits.
        while (run_id := store.claim_oldest(os.getpid(), "node", f"slot {os.getpid()}", lambda spec: True)) is not None:
            claimed.append(run_id)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["one", "cluster"])
def test_racing_claims_never_hand_a_run_out_twice(location, method):
    store = RunStore(location)
    run_ids = [store.create_run({}, f"run {i}") for i in range(6)]
    with multiprocessing.Manager() as manager:
        claimed = manager.list()
        codes = _in_processes([(_claim_next, location, claimed, method)] * 6)
        claimed = list(claimed)
    assert codes == [0] * 6
    if method == "one":  # One at a time: the first claim wins, the rest see a run training.
        assert claimed == [run_ids[0]]
        assert [run.id for run in store.list_runs(["running"])] == [run_ids[0]]
    else:  # On a cluster: every queued run taken exactly once, each by the process its row names.
        assert sorted(claimed) == run_ids
        assert all(run.ray_actor == f"slot {run.pid}" for run in store.list_runs(["running"]))
        assert not store.list_runs(["queued"])


def test_a_cluster_claim_takes_the_oldest_waiting_run_of_its_kind(store):
    cpu_1, gpu, stopped, cpu_2 = (store.create_run({"gpu": i == 1}, f"run {i}") for i in range(4))
    store.request_stop(stopped)
    on_cpu = lambda spec: not spec["gpu"]  # noqa: E731
    assert store.claim_oldest(7, "node-a", "slot a", on_cpu) == cpu_1
    assert store.claim_oldest(8, "node-b", "slot b", on_cpu) == cpu_2  # Not the GPU run, nor the stopped one.
    assert store.claim_oldest(9, "node-b", "slot c", on_cpu) is None
    run = store.get_run(cpu_2)
    assert (run.status, run.pid, run.node_id, run.ray_actor) == ("running", 8, "node-b", "slot b")
    assert run.started_at is not None
    assert store.get_run(gpu).status == "queued"


def test_a_runs_log_lines_are_kept_in_order_and_go_with_their_run(store):
    run_id = store.create_run({}, "r")
    store.add_log_lines(run_id, 0, ["Epoch 1", "Traceback (most recent call last):"])
    store.add_log_lines(run_id, 2, ["RuntimeError: injected failure"])
    assert store.log_tail(run_id) == ["Epoch 1", "Traceback (most recent call last):", "RuntimeError: injected failure"]
    assert store.log_tail(run_id, 2) == ["Traceback (most recent call last):", "RuntimeError: injected failure"]
    store.delete_run(run_id)
    assert store.log_tail(run_id) == []


def test_files_are_kept_in_the_store_and_go_with_their_run(store):
    run_id = store.create_run({}, "r")
    blob = bytes(range(256)) * 1000
    store.save_file(run_id, "model.keras", blob)
    store.save_file(run_id, "model.json", b"{}")
    store.save_file(run_id, "model.json", b'{"labels": []}')  # Saving again replaces the file.
    assert store.file_names(run_id) == ["model.json", "model.keras"]
    assert store.load_file(run_id, "model.keras") == blob
    assert store.load_file(run_id, "model.json") == b'{"labels": []}'
    assert store.load_file(run_id, "missing") is None
    store.delete_run(run_id)
    assert store.file_names(run_id) == []


def test_a_store_from_before_the_cluster_columns_is_upgraded_once_and_keeps_its_runs(location):
    # The runs table of a Handlab before the device column, with one run in it, and no run_files table.
    old_table = SCHEMA.split(";")[0].replace(",\n    device TEXT", "")
    insert = "INSERT INTO runs (name, status, spec_json, created_at) VALUES ('old', 'completed', '{}', 1.0)"
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as db:
            db.execute(postgres_schema().split(";")[0].replace(",\n    device TEXT", ""))
            db.execute(insert)
    else:
        with sqlite3.connect(location) as db:
            db.execute(old_table)
            db.execute(insert)
    for _ in range(2):  # Opening it again finds nothing left to add.
        store = RunStore(location)
    (run,) = store.list_runs()
    assert (run.name, run.device, run.node_id, run.ray_actor) == ("old", None, None, None)
    store.save_file(run.id, "model.keras", b"x")
    assert store.file_names(run.id) == ["model.keras"]


def test_handlab_store_picks_the_database(location, monkeypatch):
    monkeypatch.setenv("HANDLAB_STORE", location)
    run_id = RunStore().create_run({}, "via the environment")
    assert RunStore(location).get_run(run_id).name == "via the environment"
    assert RunStore().location == location
