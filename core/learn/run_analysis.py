"""Run analysis for History: tables, filters, differing settings, per-class metrics, smoothing and mistakes."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.learn.runs import Run, RunStore

# The spec fields shown as a run's key hyperparameters, in table order.
KEY_SETTINGS = ("epochs", "batch_size", "optimizer", "learning_rate", "augment", "seed")


def runs_table(runs: list[Run], store: RunStore) -> pd.DataFrame:
    """One row per run: name, status, test accuracy, data, recipe, when and how long, then progress and settings."""
    rows = []
    for run in runs:
        epochs = store.epoch_metrics(run.id)
        val = [row["val_accuracy"] for row in epochs if row["val_accuracy"] is not None]
        rows.append(
            {  # What people look for first, then how the run went, then its settings.
                "name": run.name,
                "status": run.status,
                "test accuracy": run.test_accuracy,
                "dataset": run.spec.get("dataset"),
                "recipe": run.spec.get("recipe"),
                "when": pd.to_datetime(run.created_at, unit="s"),
                "duration (s)": round(run.duration_s, 1) if run.duration_s is not None else None,
                "run": run.id,
                "epochs done": run.epochs_done,
                "best val accuracy": max(val) if val else None,
                **{key: run.spec.get(key) for key in KEY_SETTINGS},
            }
        )
    return pd.DataFrame(rows)


def filter_runs(
    runs: list[Run], datasets: list[str] = (), recipes: list[str] = (), statuses: list[str] = ()
) -> list[Run]:
    """The runs that match every non-empty filter."""
    return [
        run
        for run in runs
        if (not datasets or run.spec.get("dataset") in datasets)
        and (not recipes or run.spec.get("recipe") in recipes)
        and (not statuses or run.status in statuses)
    ]


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
