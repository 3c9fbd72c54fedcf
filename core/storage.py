"""Atomic file writes: a crash never leaves a half-written file that the app later reads."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` on a temporary file beside `path`, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    tmp_path = Path(tmp_name)
    try:
        write(tmp_path)
        _sync(tmp_path)  # the bytes reach the disk before the name does, so a power cut cannot swap in a hole
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return path


def _sync(path: Path) -> None:
    """Flush a written file to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomically(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically."""
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
