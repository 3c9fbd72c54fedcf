"""Training jobs: runs queued from the pages, trained one at a time in child processes, and watched.

The queue lives in the run store. `start_run` records a run as queued and calls `start_next`, which claims
the oldest queued run inside a SQLite write transaction (so two pages clicking at once cannot start two
trainers) and launches `python -m core.train --run ID` in its own session, so it outlives the Streamlit
server. A trainer that finishes calls `start_next` itself, so the queue moves on with no page open.
`reconcile` marks runs whose trainer died (killed, machine rebooted) as interrupted, keeping their metrics.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.data import datasets
from core.learn.runs import Run, RunStore
from core.learn.spec import TrainSpec

# How the trainer is started, after the Python executable; tests swap in a slowed-down trainer.
TRAINER_ARGS: tuple[str, ...] = ("-m", "core.train")
# A claimed run whose trainer never reported its process id within this time is taken as never started.
CLAIM_TIMEOUT_S = 60.0
# A living trainer that has reported nothing for this long is shown as stalled.
STALL_AFTER_S = 60.0
LOG_NAME = "train.log"


@dataclass(frozen=True)
class Progress:
    """Where a run stands: what a progress bar and its caption show."""

    fraction: float  # batches done / all batches, 0–1
    epoch: int  # the epoch in progress, 1-based
    batch: int  # batches done in that epoch
    total_epochs: int
    steps_per_epoch: int
    elapsed_s: float  # since training began (after loading the data)
    eta_s: float | None  # time left at the pace so far; None until the first batch
    samples_per_s: float | None  # training throughput over the last few seconds
    silent_s: float  # seconds since the trainer last wrote anything


def start_run(spec: TrainSpec, name: str | None = None, store: RunStore | None = None) -> int:
    """Queue a run (ValueError for bad settings) and start it at once when nothing else trains; returns its id."""
    store = store or RunStore()
    spec = spec.resolved()
    run_id = store.create_run(spec.to_dict(), name or f"{spec.recipe} on {spec.dataset}")
    start_next(store)
    return run_id


def stop_run(run_id: int, store: RunStore | None = None) -> None:
    """Stop a training run after its current batch, or cancel it if it is still waiting in the queue."""
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


def dataset_note(name: str) -> tuple[bool, str | None]:
    """Whether a run on dataset `name` can start, and what the user should know (which file to put where)."""
    info = datasets.get_info(name)
    if datasets.available(name):
        return True, None
    if not info.sources:  # Data the user makes in the app (saved samples), not files to put in a folder.
        return False, f"{info.title} is not ready yet: it needs {info.needs}."
    where = f"put {info.needs} in {paths.data_dir()}"
    if info.keras_files:
        return True, f"{info.title} is not on this machine yet: training downloads it first (or {where})."
    return False, f"{info.title} is not on this machine: {where}, then reload this page."


def progress(run: Run, batches: list[dict], now: float | None = None) -> Progress | None:
    """The progress of a run from its batch rows; None before the trainer knows its epochs and batches."""
    if not run.total_epochs or not run.steps_per_epoch:
        return None
    now = time.time() if now is None else now
    total_steps = run.total_epochs * run.steps_per_epoch
    end = run.ended_at or now
    elapsed_s = max(0.0, end - (run.started_at or end))
    silent_s = max(0.0, now - (run.heartbeat_at or now)) if not run.finished else 0.0
    if not batches:
        return Progress(0.0, 1, 0, run.total_epochs, run.steps_per_epoch, elapsed_s, None, None, silent_s)
    last = batches[-1]
    done = last["step"] + 1
    seconds_per_step = last["time_s"] / done if last["time_s"] > 0 else None
    eta_s = None if run.finished or seconds_per_step is None else (total_steps - done) * seconds_per_step
    return Progress(
        fraction=min(1.0, done / total_steps),
        epoch=last["epoch"] + 1,
        batch=last["batch"] + 1,
        total_epochs=run.total_epochs,
        steps_per_epoch=run.steps_per_epoch,
        elapsed_s=elapsed_s,
        eta_s=eta_s,
        samples_per_s=_recent_throughput(batches, run.spec.get("batch_size") or 1),
        silent_s=silent_s,
    )


def progress_caption(progress: Progress) -> str:
    """One line for a progress bar: epoch and batch, elapsed time, time left and speed."""
    parts = [
        f"Epoch {progress.epoch}/{progress.total_epochs}",
        f"batch {progress.batch}/{progress.steps_per_epoch}",
        f"{format_duration(progress.elapsed_s)} elapsed",
    ]
    if progress.eta_s is not None:
        parts.append(f"about {format_duration(progress.eta_s)} left")
    if progress.samples_per_s:
        parts.append(f"{progress.samples_per_s:,.0f} samples/s")
    return " · ".join(parts)


def outcome(run: Run) -> str:
    """What happened to a finished run, in a sentence for the user."""
    total = run.total_epochs or run.spec.get("epochs")
    epochs = f"{run.epochs_done} of {total} epochs" if total else f"{run.epochs_done} epochs"
    tested = f" Test accuracy {run.test_accuracy:.1%}." if run.test_accuracy is not None else ""
    if run.status == "completed":
        took = f" in {format_duration(run.duration_s)}" if run.duration_s else ""
        return f"Run {run.id} completed {epochs}{took}.{tested}"
    if run.status == "stopped" and not run.steps_per_epoch:
        return f"Run {run.id} was cancelled before it began training."
    if run.status == "stopped":
        # Keras closes the epoch it was in when stopped, so the last epoch counted is the one it stopped in.
        kept = (run.card or {}).get("weights_from_epoch")
        better = kept and kept < run.epochs_done
        weights = f" The model keeps the weights of epoch {kept}, the best on validation." if better else ""
        where = f"epoch {run.epochs_done} of {run.total_epochs}" if run.epochs_done else "its first epoch"
        return f"Run {run.id} stopped in {where}, as you asked.{weights}{tested}"
    if run.status == "failed":
        return f"Run {run.id} failed: {run.error or 'no message'}"
    return f"Run {run.id} was interrupted after {epochs}. {run.error or ''}".strip()


def format_duration(seconds: float) -> str:
    """A short human duration: 45 s, 3 min 05 s, 1 h 02 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _recent_throughput(batches: list[dict], batch_size: int, window_s: float = 10.0) -> float | None:
    """Training samples per second over the last `window_s` of batches."""
    last = batches[-1]
    recent = [row for row in batches if row["time_s"] >= last["time_s"] - window_s]
    first = recent[0] if len(recent) > 1 else batches[-2] if len(batches) > 1 else None
    if first is None or last["time_s"] <= first["time_s"]:
        return None
    return (last["step"] - first["step"]) * batch_size / (last["time_s"] - first["time_s"])


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
