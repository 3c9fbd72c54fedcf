"""Training jobs: runs queued from the pages, trained one at a time in child processes, and watched.

The queue lives in the run store. `start_run` records a run as queued and calls `start_next`, which claims
the oldest queued run inside a SQLite write transaction (so two pages clicking at once cannot start two
trainers) and launches `python -m core.train --run ID` in its own session, so it outlives the Streamlit
server. A trainer that finishes calls `start_next` itself, so the queue moves on with no page open.
`reconcile` marks runs whose trainer died (killed, machine rebooted) as interrupted, keeping their metrics.
How a run's progress and ending read on the pages is in core.ui.run_words; this module only controls processes.
With HANDLAB_RUNNER=ray, starting, stopping and reconciling go to core.learn.ray_runner instead.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
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


def start_run(spec: TrainSpec, name: str | None = None, store: RunStore | None = None) -> int:
    """Queue a run (ValueError for bad settings) and start it at once when nothing else trains; returns its id."""
    store = store or RunStore()
    spec = spec.resolved()
    run_id = store.create_run(spec.to_dict(), name or f"{spec.recipe} on {spec.dataset}")
    start_next(store)
    return run_id


def stop_run(run_id: int, store: RunStore | None = None) -> None:
    """Stop a training run after its current batch, or cancel it if it is still waiting in the queue."""
    if ray_runner.enabled():
        return ray_runner.stop_run(store or RunStore(), run_id)
    (store or RunStore()).request_stop(run_id)


def refresh(store: RunStore | None = None) -> list[int]:
    """Reconcile dead trainers, then start the next queued run if the machine is free; returns interrupted ids."""
    store = store or RunStore()
    lost = reconcile(store)
    start_next(store)
    return lost


def start_next(store: RunStore | None = None) -> int | None:
    """Launch the oldest queued run in a child process if no run is training; returns its id, else None."""
    store = store or RunStore()
    if ray_runner.enabled():
        return ray_runner.start_next(store)
    reconcile(store)
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
            gone = not trainer_alive(run.pid)
            reason = f"Its trainer (process {run.pid}) ended without finishing it; the metrics so far are kept."
        if gone and store.interrupt_run(run.id, run.pid, reason):
            lost.append(run.id)
    return lost


def trainer_alive(pid: int) -> bool:
    """Whether process `pid` exists, is not a zombie and, where /proc tells, is a Handlab trainer."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # It exists but belongs to another user.
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():
        return True  # No /proc (macOS): the signal test is all there is.
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False
    # A recycled process id belongs to some other program: its command line does not name the trainer.
    return state not in ("Z", "X") and b"core.train" in cmdline


def delete_run(run_id: int, store: RunStore | None = None) -> None:
    """Remove a run from the store and its files from disk (shipped models live in models/ and are never touched)."""
    (store or RunStore()).delete_run(run_id)
    shutil.rmtree(paths.run_dir(run_id), ignore_errors=True)


def log_path(run_id: int) -> Path:
    """The trainer's stdout and stderr for a run started from a page."""
    return paths.run_dir(run_id) / LOG_NAME


def read_log(run_id: int, lines: int = 30) -> str:
    """The last lines of a run's trainer log ('' when there is none)."""
    try:
        text = log_path(run_id).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def queued_runs(store: RunStore | None = None) -> list[Run]:
    """The runs waiting to train, next first."""
    return sorted((store or RunStore()).list_runs(["queued"]), key=lambda run: run.id)


def _spawn(run_id: int) -> int:
    """Start the trainer for a claimed run in its own session, output to its log; returns the process id."""
    log = log_path(run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"} | dict(os.environ) | {"PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *TRAINER_ARGS, "--run", str(run_id)],
            cwd=paths.PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # The trainer survives a restart of the Streamlit server.
        )
    # Reap the child when it exits, so it never lingers as a zombie that still answers os.kill.
    threading.Thread(target=process.wait, name=f"reap-trainer-{run_id}", daemon=True).start()
    return process.pid
