"""The trainer: trains one recorded run, writing its progress and how it ended to the run store.

A local trainer process (`python -m core.train --run ID`, started by core.learn.jobs), a command-line run and a
Ray task (core.learn.ray_runner) all train through `execute_run`.
"""

import os
import sys
import time
import traceback

from core import paths
from core.learn.fit import TrainResult, describe_device, train
from core.learn.run_files import save_run_files
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec


class StoreReporter:
    """Writes a run's progress to the run store: batches in small bursts, epochs at once."""

    def __init__(self, store: RunStore, run_id: int, flush_every_s: float = 0.5):
        self.store = store
        self.run_id = run_id
        self.flush_every_s = flush_every_s
        self.steps_per_epoch = 1
        self.started = time.monotonic()
        self.last_flush = self.started
        self.pending: list[dict] = []

    def on_start(self, total_epochs: int, steps_per_epoch: int) -> None:
        self.steps_per_epoch = steps_per_epoch
        self.started = self.last_flush = time.monotonic()
        self.store.mark_started(self.run_id, os.getpid(), total_epochs, steps_per_epoch, describe_device())

    def on_batch(self, epoch: int, batch: int, logs: dict) -> None:
        step = epoch * self.steps_per_epoch + batch
        row = {"step": step, "epoch": epoch, "batch": batch, "time_s": time.monotonic() - self.started}
        self.pending.append(row | {"loss": logs.get("loss"), "accuracy": logs.get("accuracy")})
        if time.monotonic() - self.last_flush >= self.flush_every_s:
            self.flush()

    def on_epoch(self, epoch: int, logs: dict) -> None:
        self.flush()
        self.store.add_epoch_metrics(self.run_id, {"epoch": epoch, "time_s": time.monotonic() - self.started} | logs)

    def on_phase(self, text: str) -> None:
        """Say what the trainer does after training (this also beats the heartbeat)."""
        self.flush()
        self.store.set_phase(self.run_id, text)

    def should_stop(self) -> bool:
        return self.store.stop_requested(self.run_id)

    def flush(self) -> None:
        """Write the buffered batch rows (this also beats the run's heartbeat)."""
        self.store.add_batch_metrics(self.run_id, self.pending)
        self.pending = []
        self.last_flush = time.monotonic()


def execute_run(store: RunStore, run_id: int, verbose: int = 0, files_to_store: bool = False) -> int:
    """Train a recorded run and record how it ended; returns a process exit code.

    `files_to_store` also saves the model, card and test predictions into the store (a trainer on a Ray node,
    whose disk the app servers cannot read).
    """
    spec = TrainSpec.from_dict(store.get_run(run_id).spec)
    if store.stop_requested(run_id):
        store.mark_finished(run_id, "stopped", error="Stopped before training began.")
        return 0
    reporter = StoreReporter(store, run_id)
    try:
        result = train(spec, reporter, paths.run_dir(run_id), verbose=verbose)
    except (ValueError, FileNotFoundError) as error:
        reporter.flush()
        store.mark_finished(run_id, "failed", error=str(error))
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        reporter.flush()
        store.mark_finished(run_id, "interrupted", error="Interrupted (Ctrl+C or a polite kill); metrics kept.")
        return 130
    except Exception as error:
        reporter.flush()  # The batches before the error are part of the story.
        # The traceback goes into the run's log before the run is marked failed: whoever sees "failed" (the
        # History page, a test) must find it there. Re-raising printed it after, when the process ended.
        traceback.print_exc()
        sys.stderr.flush()
        store.mark_finished(run_id, "failed", error=f"{type(error).__name__}: {error}")
        return 1
    _record_result(store, run_id, result, files_to_store)
    return 0


def _record_result(store: RunStore, run_id: int, result: TrainResult, files_to_store: bool = False) -> None:
    """Store a finished run's model, card and test figures, and mark it completed or stopped."""
    if files_to_store:  # Before the run reads as finished, so whoever sees it finished finds its model.
        save_run_files(store, run_id, result.model_path.parent)
    test = result.card["test"]
    store.update_run(
        run_id,
        model_path=str(result.model_path),
        card=result.card,
        test_loss=test["loss"],
        test_accuracy=test["accuracy"],
        confusion=result.confusion,
    )
    store.mark_finished(run_id, "stopped" if result.stopped else "completed")
