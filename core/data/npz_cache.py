"""Derived arrays cached as .npz files under a key: a stale or damaged cache reads as missing, writes are atomic."""

import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.storage import write_atomically


def files_fingerprint(names: Iterable[str], sizes_bytes: Iterable[int]) -> str:
    """A cheap fingerprint of a set of files: their count, total bytes and a digest of each one's name and size.

    Modification times are left out on purpose: copying a data folder gives every file a new one, and a cache that
    took 43 minutes to build should survive the copy. Names are the files' paths within their dataset, so that
    moving the dataset keeps its caches too.
    """
    pairs = [f"{name}\t{size}" for name, size in zip(names, sizes_bytes, strict=True)]
    digest = hashlib.sha256("\n".join(pairs).encode()).hexdigest()[:16]
    total = sum(int(pair.rsplit("\t", 1)[1]) for pair in pairs)
    return f"{len(pairs)} files, {total} B, names {digest}"


def code_digest(paths: Iterable[Path]) -> str:
    """A short sha256 of source files: any change to the code that made a cache rebuilds it."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def read_arrays(path: Path, key: str, names: Iterable[str]) -> tuple[np.ndarray, ...] | None:
    """The named arrays of a cache written under `key`; None when it is missing, stale or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return tuple(archive[name] for name in names) if str(archive["key"]) == key else None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def write_arrays(path: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays under `key`, atomically and uncompressed (loading is what must be fast)."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as file:
            np.savez(file, key=np.array(key), **arrays)

    write_atomically(path, write)
