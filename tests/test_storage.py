"""Atomic writes: the old file stays whole when a write fails, and new bytes are on disk before the rename."""

import os
from pathlib import Path

import pytest

from core import storage


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = storage.write_text_atomically(tmp_path / "card.json", "old")

    def half_write(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        storage.write_atomically(path, half_write)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.json"]


def test_new_bytes_are_synced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append("replace") or real_replace(a, b))

    path = storage.write_text_atomically(tmp_path / "sub" / "model.json", "new")

    assert path.read_text() == "new"
    assert events == ["fsync", "replace"]
