"""The run store's two databases behind one small dialect: SQLite (a file, the default) and PostgreSQL (a URL).

RunStore writes its SQL once, with `?` placeholders and SQLite's words; a database object opens connections
that take that SQL, and says the few things the two databases say differently.
"""

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from core.learn.run_record import LATER_COLUMNS, SCHEMA, postgres_schema

POSTGRES_PREFIXES = ("postgresql://", "postgres://")
# One number for the advisory locks that serialise schema creation and one-at-a-time queue claims on PostgreSQL.
LOCK_KEY = 4_812_077


def is_postgres_url(location: object) -> bool:
    """Whether a HANDLAB_STORE value names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(POSTGRES_PREFIXES)


class SqliteDatabase:
    """One SQLite file in WAL mode; every connection is short, so processes and threads can share it."""

    upsert_batch = "INSERT OR REPLACE INTO batch_metrics VALUES (?, ?, ?, ?, ?, ?, ?)"
    upsert_epoch = "INSERT OR REPLACE INTO epoch_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    upsert_file = "INSERT OR REPLACE INTO run_files VALUES (?, ?, ?)"
    same_as = "IS"  # `pid IS ?` matches NULL to NULL
    skip_locked = ""  # BEGIN IMMEDIATE already holds the only write lock

    def __init__(self, path: Path, busy_timeout_s: float):
        self.path, self.busy_timeout_s = Path(path), busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
            for name, kind in LATER_COLUMNS.items():
                if name not in columns:
                    # Two processes may open an old store at once; the loser's "duplicate column" is harmless.
                    with contextlib.suppress(sqlite3.OperationalError):
                        db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")

    def __str__(self) -> str:
        return str(self.path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction, committed when the block ends (rolled back on an exception)."""
        # A busy timeout makes writers wait for each other instead of raising "database is locked".
        db = sqlite3.connect(self.path, timeout=self.busy_timeout_s)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        try:
            with db:
                yield db
        finally:
            db.close()

    def begin_claim(self, db: sqlite3.Connection) -> None:
        """Take the write lock before reading, so two callers can never claim the same queued run."""
        db.execute("BEGIN IMMEDIATE")

    def insert_id(self, db: sqlite3.Connection, sql: str, args: Sequence) -> int:
        """Run an INSERT and return the new row's id."""
        return int(db.execute(sql, args).lastrowid)


class PostgresConnection:
    """A psycopg connection that takes RunStore's SQL: `?` placeholders, rows as dicts."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql: str, args: Sequence = ()):
        """Run one statement; returns psycopg's cursor (fetchone, fetchall, rowcount)."""
        return self.connection.execute(sql.replace("?", "%s"), tuple(args))

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> None:
        """Run one statement for each row of arguments."""
        with self.connection.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), list(rows))


class PostgresDatabase:
    """A PostgreSQL database (psycopg 3), shared by every app server and by trainers on other machines."""

    upsert_batch = (
        "INSERT INTO batch_metrics VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, step) DO UPDATE SET "
        "epoch = EXCLUDED.epoch, batch = EXCLUDED.batch, loss = EXCLUDED.loss, accuracy = EXCLUDED.accuracy, "
        "time_s = EXCLUDED.time_s"
    )
    upsert_epoch = (
        "INSERT INTO epoch_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, epoch) DO UPDATE SET "
        "loss = EXCLUDED.loss, accuracy = EXCLUDED.accuracy, val_loss = EXCLUDED.val_loss, "
        "val_accuracy = EXCLUDED.val_accuracy, learning_rate = EXCLUDED.learning_rate, time_s = EXCLUDED.time_s"
    )
    upsert_file = "INSERT INTO run_files VALUES (?, ?, ?) ON CONFLICT (run_id, name) DO UPDATE SET data = EXCLUDED.data"
    same_as = "IS NOT DISTINCT FROM"
    skip_locked = " FOR UPDATE SKIP LOCKED"  # rows another claimer holds are passed over, never claimed twice

    def __init__(self, url: str):
        # Only a PostgreSQL store needs the driver: the default install goes without it.
        import psycopg
        from psycopg.rows import dict_row

        self.url, self.psycopg, self.dict_row = url, psycopg, dict_row
        self.local = threading.local()
        with self.connect() as db:
            # Two app servers starting at once would both try CREATE TABLE: the first creates, the second waits.
            db.execute("SELECT pg_advisory_xact_lock(?)", (LOCK_KEY,))
            for statement in filter(str.strip, postgres_schema().split(";")):
                db.execute(statement)
            for name, kind in LATER_COLUMNS.items():
                kind = "DOUBLE PRECISION" if kind == "REAL" else kind
                db.execute(f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS {name} {kind}")

    def __str__(self) -> str:
        return self.url.split("@")[-1]  # host and database, never a password

    @contextmanager
    def connect(self) -> Iterator[PostgresConnection]:
        """A transaction on this thread's connection, committed when the block ends (rolled back on an exception)."""
        connection = self._connection()
        try:
            yield PostgresConnection(connection)
            connection.commit()
        except BaseException:
            if not connection.closed:
                connection.rollback()
            raise

    def _connection(self):
        """This thread's open connection: a trainer asks for its stop flag every batch, too often to reconnect."""
        pid, connection = getattr(self.local, "connection", (None, None))
        # A forked child must not share its parent's socket; a dropped connection is replaced.
        if pid != os.getpid() or connection is None or connection.closed or connection.broken:
            connection = self.psycopg.connect(self.url, row_factory=self.dict_row)
            self.local.connection = (os.getpid(), connection)
        return connection

    def begin_claim(self, db: PostgresConnection) -> None:
        """Serialise one-at-a-time claims: the check that nothing runs and the claim happen under one lock."""
        db.execute("SELECT pg_advisory_xact_lock(?)", (LOCK_KEY,))

    def insert_id(self, db: PostgresConnection, sql: str, args: Sequence) -> int:
        """Run an INSERT and return the new row's id."""
        return int(db.execute(sql + " RETURNING id", args).fetchone()["id"])


_POSTGRES: dict[str, PostgresDatabase] = {}
_POSTGRES_LOCK = threading.Lock()


def open_database(location: str | Path | None, default: Path, busy_timeout_s: float = 30.0):
    """The database a HANDLAB_STORE value names: a postgresql:// URL, else a SQLite path (`default` when empty)."""
    location = location or os.environ.get("HANDLAB_STORE") or default
    if not is_postgres_url(str(location)):
        return SqliteDatabase(Path(location), busy_timeout_s)
    # Pages open a store several times a second: the schema check and the connections are made once a process.
    with _POSTGRES_LOCK:
        if str(location) not in _POSTGRES:
            _POSTGRES[str(location)] = PostgresDatabase(str(location))
        return _POSTGRES[str(location)]
