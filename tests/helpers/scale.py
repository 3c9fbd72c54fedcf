"""Real parts for the scale-out tests: a throwaway PostgreSQL cluster, and what to do when a part is missing.

The tests start what they need themselves and stop it after: `initdb` + `pg_ctl` in a temp folder on a free
localhost port (no system service), and a local Ray cluster (in tests/test_ray_runner.py).
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL_POSTGRES = "apt-get install -y postgresql (as root; `make test` does it)"
INSTALL_SCALE_PACKAGES = "pip install -r requirements-scale.txt (`make test` does it)"


def missing(what: str, install: str) -> None:
    """Skip a test whose real part is absent, naming the command that installs it; in CI, fail instead.

    CI (`.ci/run` sets HANDLAB_REQUIRE_SCALE=1, and most CI services set CI) installs these parts, so a missing
    one there is a broken setup, not a reason to pass quietly.
    """
    message = f"needs {what}: {install}"
    if os.environ.get("HANDLAB_REQUIRE_SCALE") == "1" or os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server program (initdb, pg_ctl): on PATH, else in Debian's versioned folder."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the unprivileged user `nobody`."""
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A new PostgreSQL cluster in a temp folder on a free port; yields its admin URL, then stops and removes it."""
    initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        missing("the PostgreSQL server (initdb, pg_ctl)", INSTALL_POSTGRES)
    folder = Path(tempfile.mkdtemp(prefix="handlab-pg-"))
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody")
    run = lambda *args: subprocess.run(_as_server_user(list(args)), cwd=folder, check=True, capture_output=True)  # noqa: E731
    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "-t", "60", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(admin_url: str, name: str) -> str:
    """Create an empty database `name` on the cluster at `admin_url`; returns its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
