"""A training run as stored: the Run record, its statuses, and the SQLite schema that holds it."""

import contextlib
import json
import sqlite3
from dataclasses import dataclass

STATUSES = ("queued", "running", "completed", "stopped", "failed", "interrupted")
FINISHED = ("completed", "stopped", "failed", "interrupted")

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    heartbeat_at REAL,
    pid INTEGER,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    total_epochs INTEGER,
    steps_per_epoch INTEGER,
    model_path TEXT,
    card_json TEXT,
    test_loss REAL,
    test_accuracy REAL,
    confusion_json TEXT,
    error TEXT,
    device TEXT
);
CREATE TABLE IF NOT EXISTS batch_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    loss REAL,
    accuracy REAL,
    time_s REAL NOT NULL,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS epoch_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    loss REAL,
    accuracy REAL,
    val_loss REAL,
    val_accuracy REAL,
    learning_rate REAL,
    time_s REAL NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
"""


@dataclass(frozen=True)
class Run:
    """One training run as stored; times are Unix seconds."""

    id: int
    name: str
    status: str
    spec: dict
    created_at: float
    started_at: float | None
    ended_at: float | None
    heartbeat_at: float | None
    pid: int | None
    stop_requested: bool
    epochs_done: int
    total_epochs: int | None
    steps_per_epoch: int | None
    model_path: str | None
    card: dict | None
    test_loss: float | None
    test_accuracy: float | None
    confusion: list[list[int]] | None
    error: str | None
    device: str | None = None  # what TensorFlow trains on, e.g. "CPU (2 cores)" or "GPU: NVIDIA H100"

    @property
    def finished(self) -> bool:
        """True once the run can no longer change."""
        return self.status in FINISHED

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end (or to the last heartbeat while running)."""
        end = self.ended_at or self.heartbeat_at
        return end - self.started_at if self.started_at and end else None


def run_from_row(row: sqlite3.Row) -> Run:
    """Build a Run from a row of the runs table, decoding its JSON columns."""
    data = dict(row)
    return Run(
        id=data["id"],
        name=data["name"],
        status=data["status"],
        spec=json.loads(data["spec_json"]),
        created_at=data["created_at"],
        started_at=data["started_at"],
        ended_at=data["ended_at"],
        heartbeat_at=data["heartbeat_at"],
        pid=data["pid"],
        stop_requested=bool(data["stop_requested"]),
        epochs_done=data["epochs_done"],
        total_epochs=data["total_epochs"],
        steps_per_epoch=data["steps_per_epoch"],
        model_path=data["model_path"],
        card=json.loads(data["card_json"]) if data["card_json"] else None,
        test_loss=data["test_loss"],
        test_accuracy=data["test_accuracy"],
        confusion=json.loads(data["confusion_json"]) if data["confusion_json"] else None,
        error=data["error"],
        device=data.get("device"),
    )


def add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a store made by an older Handlab up to the current schema."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    if "device" not in columns:
        # Two processes may open an old store at once; the loser's "duplicate column" is harmless.
        with contextlib.suppress(sqlite3.OperationalError):
            db.execute("ALTER TABLE runs ADD COLUMN device TEXT")
