"""How well the live path reads letters, beside the photo path, on people the letters model never trained on.

    HANDLAB_DATA_DIR=/path/with/datasets .venv/bin/python -m benchmarks.live_vs_photo [--sources S ...] [--model M]

Spelling happens on the live path, so its per-frame accuracy is the one that counts. For each source (default: the
shipped model's test people, whom it never trained on), every asl_webcam photo of the source is read three ways,
letter after letter as in a word (A's frames, then B's, ...):

- photo: `read_sign`, as Snapshot, Upload and the CLI read a picture (find_in_photo and six readings);
- live, tracked: `SignReader.read(video=True)` with one tracker across all letters, as live video reads frames;
- live, reset: the same, with the tracker reset at each letter (the hand found afresh for every letter).

A frame in which no hand is found counts as wrong. Prints the accuracy per source and path, the live path's gap to
the photo path, and the live path's time per frame (p50).
"""

import argparse
import time

import cv2
import numpy as np

from core import paths
from core.data import hand_landmarks
from core.data.asl_landmarks import TEST_SOURCES
from core.labels import SIGN_LETTERS
from core.predictor import Predictor
from core.tasks import get_task
from core.vision import signs
from core.vision.signs import SignReader

PATHS = ("photo", "live, tracked", "live, reset")


def frames_by_letter(source: str) -> list[tuple[int, list[np.ndarray]]]:
    """The source's photos as (label, frames) in letter order, each letter's frames in file order."""
    photos = [p for p in hand_landmarks.list_webcam_photos(paths.data_dir() / "asl_webcam") if p.source == source]
    if not photos:
        raise SystemExit(f"no asl_webcam/{source}/ photos in {paths.data_dir()}")
    letters: dict[int, list[np.ndarray]] = {}
    for photo in photos:
        letters.setdefault(photo.label, []).append(cv2.imread(photo.path, cv2.IMREAD_COLOR))
    return sorted(letters.items())


def read_source(predictor: Predictor, source: str) -> tuple[dict[str, float], int, list[float]]:
    """Accuracy of each path on the source's frames, the frame count, and the live path's ms per frame."""
    letters = frames_by_letter(source)
    right = dict.fromkeys(PATHS, 0)
    tracked, fresh = SignReader.open(), SignReader.open()
    live_ms = []
    for label, frames in letters:
        fresh.tracker.reset()
        for frame in frames:
            right["photo"] += _is(signs.read_sign(predictor, frame), label)
            started = time.perf_counter()
            right["live, tracked"] += _is(tracked.read(predictor, frame, video=True), label)
            live_ms.append((time.perf_counter() - started) * 1000)
            right["live, reset"] += _is(fresh.read(predictor, frame, video=True), label)
    count = sum(len(frames) for _, frames in letters)
    return {path: right[path] / count for path in PATHS}, count, live_ms


def _is(reading: signs.SignReading, label: int) -> bool:
    """Whether a reading found the hand and named the letter."""
    return reading.prediction is not None and reading.prediction.label == SIGN_LETTERS[label]


def main() -> None:
    """Read every source three ways and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=list(TEST_SOURCES))
    parser.add_argument("--model", default=str(get_task("letters").shipped_model))
    args = parser.parse_args()
    predictor = Predictor(args.model)
    print(f"model {args.model}; frames read letter after letter; no hand found counts as wrong")
    print(f"{'source':<22} {'frames':>6} " + " ".join(f"{path:>14}" for path in PATHS) + f" {'live gap':>9}")
    totals, all_ms = {path: [] for path in PATHS}, []
    for source in args.sources:
        accuracy, count, live_ms = read_source(predictor, source)
        all_ms += live_ms
        for path in PATHS:
            totals[path].append(accuracy[path])
        gap = accuracy["live, tracked"] - accuracy["photo"]
        cells = " ".join(f"{accuracy[path]:>14.1%}" for path in PATHS)
        print(f"{source:<22} {count:>6} {cells} {gap * 100:>+8.1f}", flush=True)
    means = {path: float(np.mean(values)) for path, values in totals.items()}
    cells = " ".join(f"{means[path]:>14.1%}" for path in PATHS)
    print(f"{'mean':<22} {'':>6} {cells} {(means['live, tracked'] - means['photo']) * 100:>+8.1f}")
    p50, p90 = np.percentile(all_ms, [50, 90])
    print(f"live path (tracked): p50 {p50:.1f} ms a frame, p90 {p90:.1f} ms")


if __name__ == "__main__":
    main()
