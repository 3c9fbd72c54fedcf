"""Hand landmarks of the ASL photo collections (asl_photos, asl_webcam), found by the hand tracker and cached.

Every photo goes through `HandTracker.find_in_photo`, the path the Sign page takes for a snapshot or an upload,
so a letters model trained on these landmarks reads what the page will give it. Extraction costs tens of
milliseconds a photo, so the result is cached per collection in HANDLAB_HOME/cache, keyed by the photos (names and
sizes), the pipeline's version and the hand model files' hashes.
"""

import hashlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.data import npz_cache
from core.data.asl_photos import list_asl_photos
from core.labels import SIGN_LETTERS
from core.vision import hand_model_files
from core.vision.hand_tracker import HandTracker

# The caches' contract: bump it with any change to the landmarks a photo gives (HandTracker.find_in_photo, its crops,
# thresholds, margins and retry), so that the caches are rebuilt. tests/test_hand_landmarks.py pins the landmarks
# of a few frames under this number: a change of outputs without a bump fails there. Edits that keep the outputs
# (comments, names, moves) keep the caches. v1 was keyed on the pipeline's source bytes; v2 is the same outputs.
PIPELINE_VERSION = 2
ASL_PHOTOS = "asl_photos"
WEBCAM_FOLDER = "asl_webcam"
COLLECTIONS = (ASL_PHOTOS, WEBCAM_FOLDER)
FIELDS = ("sources", "labels", "landmarks_px", "handedness", "found")
WORKERS = 2  # One tracker per process; this machine's two cores are the budget.


@dataclass(frozen=True)
class LandmarkSet:
    """The landmarks of a list of photos, one row per photo, hand found or not."""

    sources: np.ndarray  # (N,) str: "asl_photos" or the asl_webcam folder (the person) the photo came from
    labels: np.ndarray  # (N,) int64 index into SIGN_LETTERS
    landmarks_px: np.ndarray  # (N, 21, 3) float32 in photo pixels; zeros where no hand was found
    handedness: np.ndarray  # (N,) str: "left", "right", or "" where no hand was found
    found: np.ndarray  # (N,) bool: whether the tracker found a hand

    def __len__(self) -> int:
        """How many photos."""
        return len(self.labels)

    def subset(self, keep: np.ndarray) -> "LandmarkSet":
        """The rows a boolean mask or index array selects."""
        return LandmarkSet(*(getattr(self, name)[keep] for name in FIELDS))


@dataclass(frozen=True)
class PhotoFile:
    """One photo to read: where it is, who made it and which letter it shows."""

    path: str
    source: str
    label: int
    size_bytes: int


def list_webcam_photos(folder: Path) -> list[PhotoFile]:
    """Every asl_webcam/<SOURCE>/<LETTER>/*.jpg (or .jpeg, .png), by source, letter and name."""
    photos = []
    for source in sorted(entry.name for entry in os.scandir(folder) if entry.is_dir()):
        for label, letter in enumerate(SIGN_LETTERS):
            letter_dir = folder / source / letter
            entries = sorted(os.scandir(letter_dir), key=lambda e: e.name) if letter_dir.is_dir() else []
            for entry in entries:
                if entry.name.lower().endswith((".jpg", ".jpeg", ".png")):
                    photos.append(PhotoFile(entry.path, source, label, entry.stat().st_size))
    if not photos:
        raise FileNotFoundError(f"no photos in {folder}/<SOURCE>/<LETTER>/")
    return photos


def list_collection(data_folder: Path, collection: str) -> list[PhotoFile]:
    """The photos of one collection ("asl_photos" or "asl_webcam") in a data folder."""
    folder = data_folder / collection
    if collection == WEBCAM_FOLDER:
        return list_webcam_photos(folder)
    photos = list_asl_photos(folder)
    return [PhotoFile(p.path, ASL_PHOTOS, p.label, p.stat.st_size) for p in photos]


def cache_path(cache_folder: Path, collection: str) -> Path:
    """Where a collection's landmarks are cached."""
    return cache_folder / f"hand_landmarks_{collection}.npz"


def cache_key(photos: list[PhotoFile]) -> str:
    """Fingerprint photos and pipeline cheaply: count, bytes, names and sizes; pipeline version; model file hashes."""
    names = (f"{p.source}/{SIGN_LETTERS[p.label]}/{os.path.basename(p.path)}" for p in photos)
    files = npz_cache.files_fingerprint(names, (p.size_bytes for p in photos))
    models = hashlib.sha256("".join(sha for _, sha in hand_model_files.MODEL_FILES.values()).encode()).hexdigest()
    return f"landmarks of {files}; pipeline v{PIPELINE_VERSION}; hand models {models[:16]}"


def load_collections(
    data_folder: Path, collections: tuple[str, ...], cache_folder: Path, log: Callable[[str], None] | None = None
) -> LandmarkSet:
    """The collections' landmarks, one after the other, each from its own cache file when that is current.

    The collections whose cache is missing or stale are extracted together in one pool (its workers start once:
    a spawned worker imports the caller's main module, TensorFlow included under `python -m core.train`) and
    cached atomically, one file per collection.
    """
    photos = {name: list_collection(data_folder, name) for name in collections}
    caches = {name: cache_path(cache_folder, name) for name in collections}
    keys = {name: cache_key(photos[name]) for name in collections}
    found = {name: read_cache(caches[name], keys[name]) for name in collections}
    stale = [name for name in collections if found[name] is None]
    if stale:
        extracted = extract_landmarks([photo for name in stale for photo in photos[name]], log=log)
        start = 0
        for name in stale:
            found[name] = extracted.subset(slice(start, start + len(photos[name])))
            npz_cache.write_arrays(caches[name], keys[name], {f: getattr(found[name], f) for f in FIELDS})
            start += len(photos[name])
    return concatenate([found[name] for name in collections])


def concatenate(parts: list[LandmarkSet]) -> LandmarkSet:
    """One LandmarkSet holding the rows of several, in order."""
    return LandmarkSet(*(np.concatenate([getattr(part, name) for part in parts]) for name in FIELDS))


def extract_landmarks(
    photos: list[PhotoFile], workers: int = WORKERS, log: Callable[[str], None] | None = None
) -> LandmarkSet:
    """Run HandTracker.find_in_photo on every photo in a pool of processes, each with its own tracker."""
    log = log or _log_stderr
    hand_model_files.require()
    rows: list[tuple[np.ndarray, str, bool]] = []
    started = time.monotonic()
    # Spawned, not forked: the caller may have TensorFlow loaded, whose threads do not survive a fork.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker) as pool:
        for index, row in enumerate(pool.map(_find_hand, [p.path for p in photos], chunksize=16), start=1):
            rows.append(row)
            if index % 500 == 0 or index == len(photos):
                log(_progress(index, len(photos), time.monotonic() - started))
    landmarks = np.stack([r[0] for r in rows]) if rows else np.zeros((0, 21, 3), np.float32)
    return LandmarkSet(
        np.array([p.source for p in photos], dtype=str),
        np.array([p.label for p in photos], dtype=np.int64),
        landmarks.astype(np.float32),
        np.array([r[1] for r in rows], dtype=str),
        np.array([r[2] for r in rows], dtype=bool),
    )


def read_cache(cache: Path, key: str) -> LandmarkSet | None:
    """The cached LandmarkSet if the cache exists and matches `key`, else None."""
    arrays = npz_cache.read_arrays(cache, key, FIELDS)
    return None if arrays is None else LandmarkSet(*arrays)


_tracker = None  # Each worker process's own HandTracker, opened once by _start_worker.


def _start_worker() -> None:
    """Open this worker's tracker: one LiteRT thread, since the pool already keeps every core busy."""
    global _tracker
    _tracker = HandTracker(threads=1)


def _find_hand(path: str) -> tuple[np.ndarray, str, bool]:
    """The landmarks (zeros if none), handedness ("" if none) and found flag of one photo, in a worker."""
    frame_bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if frame_bgr is None:
        raise ValueError(f"{path}: cannot be read as an image")
    hand = _tracker.find_in_photo(frame_bgr)
    if hand is None:
        return np.zeros((21, 3), np.float32), "", False
    return hand.landmarks_px.astype(np.float32), hand.handedness, True


def _progress(done: int, total: int, elapsed_s: float) -> str:
    """A progress line with the rate and the time left."""
    rate = done / max(elapsed_s, 1e-9)
    left_s = (total - done) / max(rate, 1e-9)
    return f"landmarks: {done}/{total} photos, {1000 / max(rate, 1e-9):.0f} ms each, {left_s / 60:.1f} min left"


def _log_stderr(line: str) -> None:
    """Print a progress line on stderr."""
    print(line, file=sys.stderr, flush=True)
