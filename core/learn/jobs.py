"""Training jobs: runs queued from the pages, trained one at a time in child processes, and watched.

The queue lives in the run store. `start_run` records a run as queued and calls `start_next`, which claims
the oldest queued run inside a SQLite write transaction (so two pages clicking at once cannot start two
trainers) and launches `python -m core.train --run ID` in its own session, so it outlives the Streamlit
server. A trainer that finishes calls `start_next` itself, so the queue moves on with no page open.
A run's trainer holds the run's lock file (runs/ID/trainer.lock) for as long as it lives: `_spawn` takes it and
hands it to the child, a command-line run takes it itself, and the system releases it when the trainer ends,
however it ends. `reconcile` marks runs whose lock nobody holds (trainer killed, machine rebooted) as
interrupted, keeping their metrics; the trainer's process id or command line decides nothing.
How a run's progress and ending read on the pages is in core.ui.run_words; this module only controls processes.
With HANDLAB_RUNNER=ray, starting and reconciling go to core.learn.ray_runner instead, and a run's output is in the
store rather than in a log file.
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from core import paths
from core.learn import ray_runner
from core.learn.runs import Run, RunStore
from core.learn.spec import TrainSpec

# How the trainer is started, after the Python executable; tests swap in a slowed-down trainer.
TRAINER_ARGS: tuple[str, ...] = ("-m", "core.train")
# A claimed run whose trainer never reported its process id within this time is taken as never started.
CLAIM_TIMEOUT_S = 60.0
LOG_NAME = "train.log"
LOCK_NAME = "trainer.lock"
# The marker `_spawn` puts in a trainer's environment: the id of the run whose lock it handed the trainer.
TRAINER_OF_RUN = "HANDLAB_TRAINER_OF_RUN"


def start_run(spec: TrainSpec, name: str | None = None, store: RunStore | None = None) -> int:
    """Queue a run (ValueError for bad settings) and start it at once when nothing else trains; returns its id."""
    store = store or RunStore()
    spec = spec.resolved()
    run_id = store.create_run(spec.to_dict(), name or f"{spec.recipe} on {spec.dataset}")
    start_next(store)
    return run_id


def stop_run(run_id: int, store: RunStore | None = None) -> None:
    """Stop a training run after its current batch, or cancel it if it is still waiting in the queue.

    The trainer reads the store's stop flag after every batch, wherever it runs (here or on a Ray node).
    """
    (store or RunStore()).request_stop(run_id)


def refresh(store: RunStore | None = None) -> list[int]:
    """Reconcile dead trainers, then start the next queued run if the machine is free; returns interrupted ids."""
    store = store or RunStore()
    lost = reconcile(store)
    _start_queued(store)
    return lost


def start_next(store: RunStore | None = None) -> int | None:
    """Launch the oldest queued run in a child process if no run is training; returns its id, else None."""
    store = store or RunStore()
    reconcile(store)
    return _start_queued(store)


def _start_queued(store: RunStore) -> int | None:
    """start_next once lost trainers are reconciled: the run handed to a child process (or to Ray), or None."""
    if ray_runner.enabled():
        return ray_runner.start_next(store)
    if not store.list_runs(["queued"]):
        return None  # The common case, answered without taking the store's write lock.
    while (run := store.claim_next_queued()) is not None:
        try:
            pid = _spawn(run.id)
        except OSError as error:
            store.mark_finished(run.id, "failed", error=f"The trainer process could not start: {error}")
            continue
        store.update_run(run.id, pid=pid)
        return run.id
    return None


def reconcile(store: RunStore | None = None, now: float | None = None) -> list[int]:
    """Mark running runs whose trainer process is gone as interrupted (metrics kept); returns their ids."""
    store = store or RunStore()
    if ray_runner.enabled():
        return ray_runner.reconcile(store)
    now = time.time() if now is None else now
    lost = []
    for run in store.list_runs(["running"]):
        if run.pid is None:
            gone = now - (run.heartbeat_at or run.created_at) > CLAIM_TIMEOUT_S
            reason = f"Its trainer did not start within {CLAIM_TIMEOUT_S:.0f} s."
        else:
            gone = not trainer_alive(run.id)
            reason = f"Its trainer (process {run.pid}) ended without finishing it; the metrics so far are kept."
        if gone and store.interrupt_run(run.id, run.pid, reason):
            lost.append(run.id)
    return lost


def trainer_alive(run_id: int) -> bool:
    """Whether a live process trains this run: one holds the run's trainer lock (`hold_trainer_lock`)."""
    try:
        with _lock_path(run_id).open("rb") as lock:
            if not _try_lock(lock):
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def hold_trainer_lock(run_id: int) -> Iterator[None]:
    """Mark this process as the run's trainer while the block runs: take the run's lock before claiming the run.

    A trainer that `_spawn` started holds the lock from its start: its environment names the run.
    """
    if os.environ.get(TRAINER_OF_RUN) == str(run_id):
        yield
        return
    with _open_lock(run_id):
        yield


@contextlib.contextmanager
def _open_lock(run_id: int) -> Iterator[int]:
    """Take the run's trainer lock (OSError when a trainer holds it); yields the lock file's descriptor."""
    path = _lock_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as lock:
        if not _try_lock(lock):
            raise BlockingIOError(f"Run {run_id} has a trainer already (it holds {path}).")
        yield lock.fileno()


def _try_lock(lock) -> bool:
    """Take an exclusive lock on an open file without waiting; False when another open file holds it."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock_path(run_id: int) -> Path:
    return paths.run_dir(run_id) / LOCK_NAME


def delete_run(run_id: int, store: RunStore | None = None) -> None:
    """Remove a run from the store and its files from disk (shipped models live in models/ and are never touched)."""
    (store or RunStore()).delete_run(run_id)
    shutil.rmtree(paths.run_dir(run_id), ignore_errors=True)


def log_path(run_id: int) -> Path:
    """The trainer's stdout and stderr for a run started from a page."""
    return paths.run_dir(run_id) / LOG_NAME


def read_log(run_id: int, lines: int = 30, store: RunStore | None = None) -> str:
    """The last lines of a run's trainer output ('' when there is none): its log file when a local trainer ran it,
    else what its trainer on a Ray node wrote into the store."""
    try:
        text = log_path(run_id).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "\n".join((store or RunStore()).log_tail(run_id, lines))
    return "\n".join(text.splitlines()[-lines:])


def queued_runs(store: RunStore | None = None) -> list[Run]:
    """The runs waiting to train, next first."""
    return sorted((store or RunStore()).list_runs(["queued"]), key=lambda run: run.id)


def _spawn(run_id: int) -> int:
    """Start the trainer for a claimed run in its own session, holding the run's lock, output to its log; returns
    the process id."""
    log = log_path(run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"} | dict(os.environ) | {"PYTHONUNBUFFERED": "1", TRAINER_OF_RUN: str(run_id)}
    # The child inherits the locked file and holds it for its whole life; this process lets go of it at once.
    with log.open("ab") as out, _open_lock(run_id) as lock:
        process = subprocess.Popen(
            [sys.executable, *TRAINER_ARGS, "--run", str(run_id)],
            cwd=paths.PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(lock,),
            start_new_session=True,  # The trainer survives a restart of the Streamlit server.
        )
    # Reap the child when it exits, so it never lingers as a zombie.
    threading.Thread(target=process.wait, name=f"reap-trainer-{run_id}", daemon=True).start()
    return process.pid
