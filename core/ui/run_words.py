"""What the pages say about runs: progress bar numbers and caption, how a run ended, durations, dataset readiness.

Plain Python, no Streamlit: the Train and History pages show these, and tests read them directly.
"""

import time
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.data import datasets
from core.data.hand_landmarks import COLLECTIONS, cache_path
from core.data.loaders import MY_SAMPLES_MIN
from core.learn.run_analysis import CutEpoch, complete_epochs, cut_epoch, test_sample
from core.learn.runs import Run

# A living trainer that has reported nothing for this long is shown as stalled.
STALL_AFTER_S = 60.0


@dataclass(frozen=True)
class Progress:
    """Where a run stands: what a progress bar and its caption show."""

    fraction: float  # batches done / all batches, 0–1
    epoch: int  # the epoch in progress, 1-based
    batch: int  # batches done in that epoch
    total_epochs: int
    steps_per_epoch: int
    elapsed_s: float  # since training began (after loading the data)
    # Time left at the pace of the last epoch's worth of batches; None until the second batch, and once the run is
    # stopping or past training (testing, saving), when a time left from the batches' pace would only be stale.
    eta_s: float | None
    samples_per_s: float | None  # training throughput over the last few seconds
    silent_s: float  # seconds since the trainer last wrote anything


def progress(run: Run, batches: list[dict], now: float | None = None) -> Progress | None:
    """The progress of a run from its batch rows; None before the trainer knows its epochs and batches."""
    if not run.total_epochs or not run.steps_per_epoch:
        return None
    now = time.time() if now is None else now
    end = run.ended_at or now
    elapsed_s = max(0.0, end - (run.started_at or end))
    silent_s = max(0.0, now - (run.heartbeat_at or now)) if not run.finished else 0.0
    if not batches:
        return Progress(0.0, 1, 0, run.total_epochs, run.steps_per_epoch, elapsed_s, None, None, silent_s)
    last = batches[-1]
    done = last["step"] + 1
    total_steps = run.total_epochs * run.steps_per_epoch
    return Progress(
        fraction=min(1.0, done / total_steps),
        epoch=last["epoch"] + 1,
        batch=last["batch"] + 1,
        total_epochs=run.total_epochs,
        steps_per_epoch=run.steps_per_epoch,
        elapsed_s=elapsed_s,
        eta_s=None if _past_training(run) else _time_left(batches, total_steps, run.steps_per_epoch),
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


def after_training(run: Run) -> str | None:
    """What a training run does once its batches are over, for the line under its progress bar; None while it trains.

    A stop first finishes the batch in progress; then the trainer says what it does (testing, with its progress).
    """
    if run.phase:
        return f"{'Stopping' if run.stop_requested else 'Training done'}: {run.phase}…"
    if run.stop_requested:
        return "Stopping: finishing this batch, then testing the model on a sample of the test set and saving it."
    return None


def outcome(run: Run, last_batch: dict | None = None) -> str:
    """What happened to a finished run, in a sentence for the user; `last_batch` (RunStore.last_batch) tells where
    training ended."""
    total = run.total_epochs or run.spec.get("epochs")
    epochs = f"{run.epochs_done} of {count(total, 'epoch')}" if total else count(run.epochs_done, "epoch")
    tested = _tested(run)
    if run.status == "completed":
        took = f" in {format_duration(run.duration_s)}" if run.duration_s else ""
        return f"Run {run.id} completed {epochs}{took}.{tested}"
    if run.cancelled:
        return f"Run {run.id} was cancelled before it began training."
    cut = cut_epoch(run, last_batch)
    if run.status == "stopped":
        return _stopped_outcome(run, cut, tested)
    if run.status == "failed":
        return f"Run {run.id} failed: {run.error or 'no message'}"
    if cut:
        epochs = f"{complete_epochs(run, cut)} of {count(total, 'epoch')} and {cut.words()}"
    return f"Run {run.id} was interrupted after {epochs}. {run.error or ''}".strip()


def count(number: int, noun: str, plural: str | None = None) -> str:
    """A number with its noun, singular for one: "1 epoch", "3 epochs", "0 epochs"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def format_duration(seconds: float) -> str:
    """A short human duration: 45 s, 3 min 05 s, 1 h 02 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def dataset_note(name: str) -> tuple[bool, str | None]:
    """Whether a run on dataset `name` can start, and what the user should know (which file to put where)."""
    info = datasets.get_info(name)
    if datasets.available(name):
        if (
            info.kind == "landmarks"
            and info.sources
            and not all(cache_path(paths.cache_dir(), c).is_file() for c in COLLECTIONS)
        ):
            return True, (
                "The first run on this dataset finds the hand in each of its ~29,000 photos before it trains: "
                "about 30–45 minutes on 2 cores (or run `python scripts/extract_landmarks.py` beforehand). "
                "Later runs reuse the landmarks and start at once."
            )
        return True, None
    if to_save := _still_to_save(info):
        return False, f"{info.title} is not ready yet: it needs {info.needs}; {MY_SAMPLES_MIN - to_save} saved so far."
    where = f"put {info.needs} in {paths.data_dir()}"
    if info.keras_files:
        return True, f"{info.title} is not on this machine yet: training downloads it first (or {where})."
    return False, f"{info.title} is not on this machine: {where}, then reload this page."


def dataset_label(name: str) -> str:
    """A dataset's title in a list, with why it cannot be used yet: the files it needs and where, or what to save."""
    info = datasets.get_info(name)
    if dataset_note(name)[0]:  # ready to train, possibly after a download
        return info.title
    if to_save := _still_to_save(info):
        return f"{info.title} ({to_save} more to save)"
    return f"{info.title} (needs {info.short_needs or info.needs} in {_folder_name(paths.data_dir())})"


def _still_to_save(info: datasets.DatasetInfo) -> int:
    """How many more samples to save on a page for a dataset the user makes in the app (0: none, or enough)."""
    return 0 if info.saved is None else max(0, MY_SAMPLES_MIN - info.saved())


def _folder_name(folder: Path) -> str:
    """A folder as short as a list item allows: relative to where the app runs (data/) when inside it."""
    try:
        return f"{folder.resolve().relative_to(Path.cwd().resolve())}/"
    except ValueError:
        return str(folder)


def _stopped_outcome(run: Run, cut: CutEpoch | None, tested: str) -> str:
    """The sentence for a run stopped on request after it began training: where, which weights, what was tested."""
    kept = (run.card or {}).get("weights_from_epoch")
    if cut:
        where = f"{cut.percent} into epoch {cut.epoch} of {run.total_epochs}"
    else:
        where = f"after epoch {run.epochs_done} of {run.total_epochs}" if run.epochs_done else "in its first epoch"
    if kept and cut and kept < cut.epoch:
        weights = f" The model keeps the weights of epoch {kept}, the best validated one, not the part-epoch's."
    elif kept and cut:
        weights = " The model keeps the weights it had when stopped."
    elif kept and kept < run.epochs_done:
        weights = f" The model keeps the weights of epoch {kept}, the best on validation."
    else:
        weights = ""
    return f"Run {run.id} stopped {where}, as you asked.{weights}{tested}"


def _tested(run: Run) -> str:
    """The test accuracy in a sentence, saying, after a stop, how many test images it comes from."""
    if run.test_accuracy is None:
        return ""
    sample = test_sample(run)
    if sample is None:
        return f" Test accuracy {run.test_accuracy:.1%}."
    on = f"on {sample[0]:,} of the {sample[1]:,} test images (a sample: the run was stopped)"
    return f" Test accuracy {run.test_accuracy:.1%} {on}."


def _past_training(run: Run) -> bool:
    """Whether a run's batches are over or about to be: finished, stopping, or testing and saving."""
    return run.finished or run.stop_requested or bool(run.phase)


def _time_left(batches: list[dict], total_steps: int, steps_per_epoch: int) -> float | None:
    """Seconds left at the pace of the last epoch's worth of batches; None until two batches have ended.

    The pace never counts the first batch, which also builds and compiles the model (seconds to minutes), and it
    spans up to an epoch, so that fast and slow stretches even out: the pace of all batches so far overstated
    the time left by the compile time for a whole epoch (8 min shrinking to 2), and a few seconds' pace swings.
    """
    last = batches[-1]
    first = next(row for row in batches if row["step"] >= last["step"] - steps_per_epoch)
    if first is last:
        first = batches[-2] if len(batches) > 1 else None
    if first is None or last["time_s"] <= first["time_s"] or last["step"] <= first["step"]:
        return None
    pace_s = (last["time_s"] - first["time_s"]) / (last["step"] - first["step"])
    return (total_steps - last["step"] - 1) * pace_s


def _recent_throughput(batches: list[dict], batch_size: int, window_s: float = 10.0) -> float | None:
    """Training samples per second over the last `window_s` of batches."""
    last = batches[-1]
    recent = [row for row in batches if row["time_s"] >= last["time_s"] - window_s]
    first = recent[0] if len(recent) > 1 else batches[-2] if len(batches) > 1 else None
    if first is None or last["time_s"] <= first["time_s"]:
        return None
    return (last["step"] - first["step"]) * batch_size / (last["time_s"] - first["time_s"])
