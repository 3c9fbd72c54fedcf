"""Run analysis for History: tables, filters, differing settings, per-class metrics, smoothing and mistakes."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.learn.runs import Run, RunStore

# The spec fields shown as a run's key hyperparameters, in table order.
KEY_SETTINGS = ("epochs", "batch_size", "optimizer", "learning_rate", "augment", "seed")


@dataclass(frozen=True)
class CutEpoch:
    """The epoch a finished run's training ended in before its last batch (a stop, a crash), and how far it got."""

    epoch: int  # 1-based
    share: float  # of its batches done, 0–1

    @property
    def percent(self) -> str:
        """The share done, as "37%": rounded down, so that a part is never called 100% (nor 0%)."""
        return f"{max(1, int(self.share * 100))}%"

    def words(self) -> str:
        """The part done, as "37% of epoch 2"."""
        return f"{self.percent} of epoch {self.epoch}"


def cut_epoch(run: Run, last_batch: dict | None) -> CutEpoch | None:
    """Where a finished run's training ended mid-epoch, read from its last batch (RunStore.last_batch); None when it
    ended with an epoch, or did not end.

    Read from the batches, not from epochs_done: before issue #32 a stop's part-epoch was also counted as an epoch.
    """
    if not run.finished or not last_batch or not run.steps_per_epoch:
        return None
    done = last_batch["batch"] + 1
    return CutEpoch(last_batch["epoch"] + 1, done / run.steps_per_epoch) if done < run.steps_per_epoch else None


def complete_epochs(run: Run, cut: CutEpoch | None) -> int:
    """The epochs a run trained to the end."""
    return cut.epoch - 1 if cut else run.epochs_done


def complete_epoch_rows(run: Run, epochs: list[dict], cut: CutEpoch | None) -> list[dict]:
    """A run's epoch rows without the part-epoch a stop cut short (runs recorded before issue #32 counted it)."""
    return epochs[: complete_epochs(run, cut)] if cut else epochs


def epochs_done_words(run: Run, cut: CutEpoch | None) -> str:
    """The epochs done, as "3", or as "1 + 37% of epoch 2" for a run that ended mid-epoch."""
    return f"{complete_epochs(run, cut)} + {cut.words()}" if cut else str(run.epochs_done)


def status_word(run: Run) -> str:
    """A run's status as History shows it: "cancelled" for a run stopped before it began training."""
    return "cancelled" if run.cancelled else run.status


def test_sample(run: Run) -> tuple[int, int] | None:
    """(images tested, test set size) for a run tested on a sample of its test set (after a stop); None otherwise."""
    test = (run.card or {}).get("test") or {}
    if "samples" not in test or test["samples"] == test.get("test_set_size", test["samples"]):
        return None
    return test["samples"], test["test_set_size"]


def tested_on_words(run: Run) -> str | None:
    """How many test images the run's figures come from: "10,000", or "2,000 of 10,000 (stopped)"; None untested."""
    test = (run.card or {}).get("test") or {}
    if run.test_accuracy is None or "samples" not in test:
        return None
    sample = test_sample(run)
    return f"{sample[0]:,} of {sample[1]:,} (stopped)" if sample else f"{test['samples']:,}"


def runs_table(runs: list[Run], store: RunStore) -> pd.DataFrame:
    """One row per run: name, status, test accuracy, data, recipe, when and how long, then progress and settings."""
    rows = []
    for run in runs:
        cut = cut_epoch(run, store.last_batch(run.id))
        epochs = store.epoch_metrics(run.id)[: complete_epochs(run, cut)]  # never a part-epoch's figures
        val = [row["val_accuracy"] for row in epochs if row["val_accuracy"] is not None]
        rows.append(
            {  # What people look for first, then how the run went, then its settings.
                "name": run.name,
                "status": status_word(run),
                "test accuracy": run.test_accuracy,
                "dataset": run.spec.get("dataset"),
                "recipe": run.spec.get("recipe"),
                "when": pd.to_datetime(run.created_at, unit="s"),
                "duration (s)": round(run.duration_s, 1) if run.duration_s is not None else None,
                "epochs done": epochs_done_words(run, cut),
                "tested on": tested_on_words(run),
                "run": run.id,
                "best val accuracy": max(val) if val else None,
                **{key: run.spec.get(key) for key in KEY_SETTINGS},
            }
        )
    return pd.DataFrame(rows)


def filter_runs(
    runs: list[Run], datasets: list[str] = (), recipes: list[str] = (), statuses: list[str] = ()
) -> list[Run]:
    """The runs that match every non-empty filter (statuses as `status_word` names them)."""
    return [
        run
        for run in runs
        if (not datasets or run.spec.get("dataset") in datasets)
        and (not recipes or run.spec.get("recipe") in recipes)
        and (not statuses or status_word(run) in statuses)
    ]


def newest_with_results(runs: list[Run]) -> Run | None:
    """The newest finished run with something to show (a test accuracy or a finished epoch), else None."""
    return next((run for run in runs if run.finished and (run.test_accuracy is not None or run.epochs_done)), None)


def differing_settings(runs: list[Run]) -> pd.DataFrame:
    """The spec fields whose values differ between the runs: a row per field, a column per run."""
    keys = sorted({key for run in runs for key in run.spec})
    differing = [key for key in keys if len({repr(run.spec.get(key)) for run in runs}) > 1]
    return pd.DataFrame(
        {f"run {run.id}": [run.spec.get(key) for key in differing] for run in runs}, index=differing
    ).astype(str)


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall and support of one class."""

    label: str
    precision: float | None  # None when the model never predicted the class
    recall: float | None  # None when the class has no test samples
    support: int


def per_class_metrics(confusion: list[list[int]], labels: list[str]) -> list[ClassMetrics]:
    """Precision and recall per class from a confusion matrix counted as [true][predicted]."""
    matrix = np.asarray(confusion, dtype=np.int64)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"The confusion matrix is {matrix.shape}, but there are {len(labels)} labels.")
    hits, predicted, actual = np.diag(matrix), matrix.sum(axis=0), matrix.sum(axis=1)
    return [
        ClassMetrics(
            label,
            float(hits[i] / predicted[i]) if predicted[i] else None,
            float(hits[i] / actual[i]) if actual[i] else None,
            int(actual[i]),
        )
        for i, label in enumerate(labels)
    ]


@dataclass(frozen=True)
class Mistake:
    """A misclassified test sample."""

    index: int  # row in the dataset's test split
    true_label: str
    predicted_label: str
    confidence: float  # the model's probability for its (wrong) answer


def worst_mistakes(predictions_path: Path, labels: list[str], limit: int = 24) -> list[Mistake]:
    """The misclassified test samples, most confident first, from a run's test_predictions.npz.

    A stopped run tested a sample of the test set: its file says which rows (`index`); older files hold them all.
    """
    with np.load(predictions_path, allow_pickle=False) as saved:
        y_true, y_pred, confidence = saved["y_true"], saved["y_pred"], saved["confidence"]
        rows = saved["index"] if "index" in saved else np.arange(len(y_true))
    wrong = np.flatnonzero(y_true != y_pred)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:limit]
    return [Mistake(int(rows[i]), labels[y_true[i]], labels[y_pred[i]], float(confidence[i])) for i in worst]


CSV_COLUMNS = (
    "level",
    "epoch",
    "batch",
    "step",
    "loss",
    "accuracy",
    "val_loss",
    "val_accuracy",
    "learning_rate",
    "time_s",
)


def metrics_csv(store: RunStore, run_id: int) -> str:
    """A run's per-epoch and per-batch metrics as one CSV table; `level` says which a row is."""
    frames = [
        pd.DataFrame(rows).assign(level=level)
        for level, rows in (("epoch", store.epoch_metrics(run_id)), ("batch", store.batch_metrics(run_id)))
        if rows
    ]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=CSV_COLUMNS).to_csv(index=False)
