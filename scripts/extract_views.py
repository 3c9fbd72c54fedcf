"""Read each cached hand again from more looks (core.vision.hand_views), for evaluate_sources.py --views.

For every photo with a hand in the landmark caches (asl_webcam; every 4th of asl_photos, the ones training keeps),
the landmark model reads the hand again from the squares its cached landmarks place, as the Sign page does for a
photo. Writes OUT.npz: collection and row of each photo, and its (5, 21, 3) more readings in frame pixels, NaN
where a look saw no hand. About 40 min on 2 busy cores for the 10,873 photos.

    HANDLAB_DATA_DIR=/path/with/datasets HANDLAB_HOME=/path/to/home python scripts/extract_views.py OUT.npz
"""

import argparse
import time
from multiprocessing import get_context
from pathlib import Path

import cv2
import numpy as np

from core.data import asl_landmarks, hand_landmarks
from core.paths import cache_dir, data_dir
from core.vision import hand_views
from core.vision.hand_tracker import Hand
from core.vision.landmarks import LandmarkModel

LOOKS = 5  # hand_views.more_readings gives at most this many.
_model: LandmarkModel | None = None


def _start() -> None:
    """Open one landmark model per worker process."""
    global _model
    _model = LandmarkModel(threads=1)


def _looks(job: tuple[str, np.ndarray, str]) -> np.ndarray:
    """The (LOOKS, 21, 3) more readings of one cached hand, NaN rows for looks without a hand."""
    path, landmarks_px, handedness = job
    frame = cv2.imread(path, cv2.IMREAD_COLOR)
    hand = Hand(landmarks_px, (0, 0, 0, 0), 1.0, handedness, 1.0)
    looks = np.full((LOOKS, 21, 3), np.nan, np.float32)
    readings = hand_views.more_readings(_model, frame, hand)
    if readings:  # a hand none of whose looks sees it keeps its NaN rows
        looks[: len(readings)] = readings
    return looks


def main() -> None:
    """Read every kept photo's hand again and save the looks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--limit", type=int, help="only the first N photos (a quick try)")
    args = parser.parse_args()
    landmarks = hand_landmarks.load_collections(data_dir(), hand_landmarks.COLLECTIONS, cache_dir())
    photos = [p for name in hand_landmarks.COLLECTIONS for p in hand_landmarks.list_collection(data_dir(), name)]
    rows = np.flatnonzero(landmarks.found)
    rows = rows[asl_landmarks.thinned_photos(landmarks.sources[rows], asl_landmarks.PHOTOS_STRIDE)]
    rows = rows[: args.limit]
    jobs = [(photos[i].path, landmarks.landmarks_px[i], str(landmarks.handedness[i])) for i in rows]
    started, looks = time.monotonic(), []
    with get_context("spawn").Pool(hand_landmarks.WORKERS, initializer=_start) as pool:
        for done, result in enumerate(pool.imap(_looks, jobs, chunksize=16), 1):
            looks.append(result)
            if done % 1000 == 0:
                print(f"{done} of {len(jobs)} photos, {time.monotonic() - started:.0f} s", flush=True)
    np.savez(args.out, rows=rows, looks=np.stack(looks))
    print(f"{len(jobs)} photos in {time.monotonic() - started:.0f} s: {args.out}")


if __name__ == "__main__":
    main()
