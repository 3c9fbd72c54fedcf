"""Finished runs as a trainer leaves them, written straight into a run store for page tests."""

import time
from pathlib import Path

import keras
import numpy as np

from core.learn.fit import confusion_matrix, save_model
from core.learn.runs import RunStore

DIGITS = [str(d) for d in range(10)]


def finished_run(
    store: RunStore, home: Path, name: str, learning_rate: float, status: str = "completed", dataset: str = "mnist"
) -> int:
    """A 2-epoch digits run with curves, a model and card, 32 test predictions (4 wrong) and a confusion matrix."""
    spec = {"recipe": "mnist-dense-512", "dataset": dataset, "epochs": 2, "learning_rate": learning_rate}
    run_id = store.create_run(spec, name)
    now = time.time()
    store.update_run(run_id, status="running", started_at=now - 75, heartbeat_at=now, total_epochs=2, steps_per_epoch=2)
    for epoch in range(2):
        row = {"epoch": epoch, "loss": 1 / (epoch + 1), "accuracy": 0.5 + epoch / 4, "time_s": epoch + 1.0}
        store.add_epoch_metrics(run_id, row | {"val_loss": 1.2 / (epoch + 1), "val_accuracy": 0.45 + epoch / 4})
    y_true = np.arange(32) % 10
    y_pred = np.where(np.arange(32) < 4, (y_true + 1) % 10, y_true)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    path = save_model(model, {"labels": DIGITS, "dataset": dataset}, home / "runs" / str(run_id) / "model.keras")
    np.savez(path.with_name("test_predictions.npz"), y_true=y_true, y_pred=y_pred, confidence=np.full(32, 0.8))
    confusion = confusion_matrix(y_true, y_pred, 10)
    store.update_run(run_id, model_path=str(path), card={"labels": DIGITS}, test_accuracy=28 / 32, confusion=confusion)
    store.mark_finished(run_id, status)
    return run_id
