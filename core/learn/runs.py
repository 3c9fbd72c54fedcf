"""The run store: training runs, their metrics, results and files, in SQLite (default) or PostgreSQL.

HANDLAB_STORE picks the database: a SQLite path (default `runs.db` in HANDLAB_HOME, WAL mode, safe across the
processes of one machine) or a `postgresql://` URL that app servers and trainers on several machines share.
The SQL is written once; core.learn.run_sql says what the two databases say differently.
"""

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from core import paths
from core.learn.run_record import FINISHED, STATUSES, Run, run_from_row
from core.learn.run_sql import open_database


class RunStore:
    """Runs in one database; every call is one short transaction, so processes and threads can share it."""

    def __init__(self, path: Path | str | None = None, busy_timeout_s: float = 30.0):
        self.database = open_database(path, paths.home_dir() / "runs.db", busy_timeout_s)
        self._connect = self.database.connect

    @property
    def location(self) -> str:
        """Where the runs are: a SQLite path or a PostgreSQL URL (what HANDLAB_STORE would say)."""
        database = self.database
        return str(database.path) if hasattr(database, "path") else database.url

    def create_run(self, spec: dict, name: str, status: str = "queued") -> int:
        """Record a new run and return its id."""
        with self._connect() as db:
            return self.database.insert_id(
                db,
                "INSERT INTO runs (name, status, spec_json, created_at) VALUES (?, ?, ?, ?)",
                (name, status, json.dumps(spec), time.time()),
            )

    def get_run(self, run_id: int) -> Run:
        """The run with this id; KeyError when there is none."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"There is no run {run_id}.")
        return run_from_row(row)

    def list_runs(self, statuses: Iterable[str] | None = None) -> list[Run]:
        """All runs, newest first, optionally only those with the given statuses."""
        query, args = "SELECT * FROM runs", ()
        if statuses is not None:
            args = tuple(statuses)
            query += f" WHERE status IN ({','.join('?' * len(args))})"
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id DESC", args).fetchall()
        return [run_from_row(row) for row in rows]

    def update_run(self, run_id: int, **fields) -> None:
        """Set columns of a run; dict and list values are stored as JSON in their *_json column."""
        columns, values = [], []
        for key, value in fields.items():
            if key in ("card", "confusion", "spec"):
                key, value = f"{key}_json", json.dumps(value)
            if key == "status" and value not in STATUSES:
                raise ValueError(f"Unknown run status {value!r}.")
            columns.append(f"{key} = ?")
            values.append(value)
        with self._connect() as db:
            db.execute(f"UPDATE runs SET {', '.join(columns)} WHERE id = ?", (*values, run_id))

    def mark_started(
        self, run_id: int, pid: int, total_epochs: int, steps_per_epoch: int, device: str | None = None
    ) -> None:
        """The trainer took the run."""
        now = time.time()
        self.update_run(
            run_id,
            status="running",
            pid=pid,
            started_at=now,
            heartbeat_at=now,
            total_epochs=total_epochs,
            steps_per_epoch=steps_per_epoch,
            device=device,
        )

    def claim_next_queued(self) -> Run | None:
        """Atomically turn the oldest queued run into a running one (pid not yet known), if none is running."""
        with self._connect() as db:
            self.database.begin_claim(db)  # Two callers can never both see "nothing running" and claim a run each.
            if db.execute("SELECT 1 FROM runs WHERE status = 'running' LIMIT 1").fetchone():
                return None
            row = db.execute(
                "SELECT id FROM runs WHERE status = 'queued' ORDER BY id LIMIT 1" + self.database.skip_locked
            ).fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute(
                "UPDATE runs SET status = 'running', pid = NULL, started_at = ?, heartbeat_at = ? WHERE id = ?",
                (now, now, row["id"]),
            )
        return self.get_run(row["id"])

    def claim_run(self, run_id: int, pid: int, node_id: str | None = None) -> bool:
        """Let process `pid` (on Ray node `node_id`) train this run: True if it was queued, or claimed for no
        process or for this one."""
        now = time.time()
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE runs SET status = 'running', pid = ?, node_id = ?, started_at = COALESCE(started_at, ?), "
                "heartbeat_at = ? "
                "WHERE id = ? AND (status = 'queued' OR (status = 'running' AND (pid IS NULL OR pid = ?)))",
                (pid, node_id, now, now, run_id, pid),
            )
            return cursor.rowcount == 1

    def claim_oldest(self, pid: int, node_id: str, ray_actor: str, accepts: Callable[[dict], bool]) -> int | None:
        """Let the Ray actor `ray_actor` (process `pid` on node `node_id`) train the oldest queued run whose spec it
        `accepts`; returns its id, or None when none waits. Claimers take turns, so every run starts in queue order
        and once."""
        with self._connect() as db:
            self.database.begin_claim(db)
            rows = db.execute("SELECT id, spec_json FROM runs WHERE status = 'queued' ORDER BY id").fetchall()
            now = time.time()
            for row in rows:
                if not accepts(json.loads(row["spec_json"])):
                    continue
                # A run stopped since the SELECT stays stopped: then the next one in the queue is taken.
                cursor = db.execute(
                    "UPDATE runs SET status = 'running', pid = ?, node_id = ?, ray_actor = ?, started_at = ?, "
                    "heartbeat_at = ? WHERE id = ? AND status = 'queued'",
                    (pid, node_id, ray_actor, now, now, row["id"]),
                )
                if cursor.rowcount == 1:
                    return row["id"]
        return None

    def mark_finished(self, run_id: int, status: str, error: str | None = None) -> None:
        """The run ended with this status (completed, stopped, failed or interrupted)."""
        if status not in FINISHED:
            raise ValueError(f"{status!r} is not a final status.")
        self.update_run(run_id, status=status, ended_at=time.time(), error=error, phase=None)

    def set_phase(self, run_id: int, text: str) -> None:
        """Say what a run's trainer does after its training, e.g. "saving the model"."""
        self.update_run(run_id, phase=text, heartbeat_at=time.time())

    def interrupt_run(self, run_id: int, pid: int | None, error: str) -> bool:
        """Mark a run interrupted if it is still running under process `pid` (its metrics stay); True if it was."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, error = ? "
                f"WHERE id = ? AND status = 'running' AND pid {self.database.same_as} ?",
                (time.time(), error, run_id, pid),
            )
            return cursor.rowcount == 1

    def request_stop(self, run_id: int) -> None:
        """Ask the trainer to stop at the end of its current batch (a queued run is cancelled at once)."""
        with self._connect() as db:
            db.execute("UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))
            db.execute(
                "UPDATE runs SET status = 'stopped', ended_at = ? WHERE id = ? AND status = 'queued'",
                (time.time(), run_id),
            )

    def stop_requested(self, run_id: int) -> bool:
        """Whether someone asked this run to stop."""
        with self._connect() as db:
            row = db.execute("SELECT stop_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row["stop_requested"])

    def add_batch_metrics(self, run_id: int, rows: Iterable[dict]) -> None:
        """Append per-batch metrics (step, epoch, batch, loss, accuracy, time_s) and beat the heartbeat."""
        rows = [
            (run_id, r["step"], r["epoch"], r["batch"], r.get("loss"), r.get("accuracy"), r["time_s"]) for r in rows
        ]
        with self._connect() as db:
            db.executemany(self.database.upsert_batch, rows)
            db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), run_id))

    def add_epoch_metrics(self, run_id: int, row: dict) -> None:
        """Record one finished epoch (0-based `epoch`) and count it as done."""
        keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "time_s")
        with self._connect() as db:
            db.execute(self.database.upsert_epoch, (run_id, *(row.get(key) for key in keys)))
            db.execute(
                "UPDATE runs SET epochs_done = ?, heartbeat_at = ? WHERE id = ?",
                (row["epoch"] + 1, time.time(), run_id),
            )

    def last_batch(self, run_id: int) -> dict | None:
        """The last batch a run reported (where it got to), or None before its first."""
        rows = self._rows("SELECT * FROM batch_metrics WHERE run_id = ? ORDER BY step DESC LIMIT 1", run_id)
        return rows[0] if rows else None

    def batch_metrics(self, run_id: int) -> list[dict]:
        """Per-batch metrics of a run, in step order."""
        return self._rows("SELECT * FROM batch_metrics WHERE run_id = ? ORDER BY step", run_id)

    def epoch_metrics(self, run_id: int) -> list[dict]:
        """Per-epoch metrics of a run, in epoch order."""
        return self._rows("SELECT * FROM epoch_metrics WHERE run_id = ? ORDER BY epoch", run_id)

    def _rows(self, query: str, *args) -> list[dict]:
        with self._connect() as db:
            return [dict(row) for row in db.execute(query, args).fetchall()]

    def save_file(self, run_id: int, name: str, data: bytes) -> None:
        """Keep one of a run's files (its model, card, test predictions) in the store, for any server to serve."""
        with self._connect() as db:
            db.execute(self.database.upsert_file, (run_id, name, data))

    def file_names(self, run_id: int) -> list[str]:
        """The names of the files the store keeps for a run."""
        return [row["name"] for row in self._rows("SELECT name FROM run_files WHERE run_id = ? ORDER BY name", run_id)]

    def load_file(self, run_id: int, name: str) -> bytes | None:
        """The bytes of one of a run's stored files, or None."""
        with self._connect() as db:
            row = db.execute("SELECT data FROM run_files WHERE run_id = ? AND name = ?", (run_id, name)).fetchone()
        return bytes(row["data"]) if row else None

    def add_log_lines(self, run_id: int, first_line: int, lines: list[str]) -> None:
        """Append lines of a run's trainer output (numbered from `first_line`), for pages on any server to show."""
        rows = [(run_id, first_line + number, text) for number, text in enumerate(lines)]
        with self._connect() as db:
            db.executemany("INSERT INTO run_logs VALUES (?, ?, ?)", rows)

    def log_tail(self, run_id: int, lines: int = 30) -> list[str]:
        """The last `lines` lines of a run's trainer output kept in the store, oldest first."""
        rows = self._rows("SELECT text FROM run_logs WHERE run_id = ? ORDER BY line DESC LIMIT ?", run_id, lines)
        return [row["text"] for row in reversed(rows)]

    def delete_run(self, run_id: int) -> None:
        """Remove a run and its metrics (its files are the caller's to remove)."""
        with self._connect() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
