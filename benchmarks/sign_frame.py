"""How long the Sign page takes to find and read a hand in one 640×480 webcam frame with MediaPipe's hand models.

    .venv/bin/python -m benchmarks.sign_frame [--runs 200] [--threads 2]

Times p50/p99 in ms of (a) HandTracker.find on a live frame after one with the hand (the palm detector runs on
every frame; a' is the tracked square alone, what it reads where the detector misses), (b) a fresh find per frame
(palm detector + landmarks, tracker.reset() between), (b', b'') on the frames where the first pass finds no hand:
the first pass alone, then find with its retry (the difference is the retry's cost), (c) the crop an image
model reads (hands.letter_from_frame around a box), and (d) a stand-in landmarks MLP (Dense 256 → 128 → 24 on 63
numbers) through Predictor.predict, (e) the live page's whole frame while tracking, (f) a photo read as Snapshot,
Upload and the CLI read it (find_in_photo, five more looks at the hand, the letters model on all six readings). Frames:
asl_webcam frames with the signer's face in view, fitted into 640×480, when HANDLAB_DATA_DIR has them; else drawn
hands on a cluttered room, in about half of which the models find a hand (should they find none, (a) times the crop
and the landmark model on a fixed square: what tracking costs). Prints the load average, since other work on the
machine slows every figure. Targets: live find p50 ≤ 20 ms, detector p50 ≤ 45 ms, the live page's frame p50 ≤ 25 ms.
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from benchmarks import stand_ins
from benchmarks.timing import timings_ms
from core import paths
from core.data.asl_landmarks import face_in_view
from core.learn import catalog
from core.predictor import Predictor
from core.vision import hands, signs
from core.vision.hand_rois import HandRect, crop_hand
from core.vision.hand_tracker import HandTracker
from core.vision.landmarks import normalize_landmarks

FRAME_WH = (640, 480)
# Row label prefix -> the target for its p50: the live find, a fresh detection, the live page's whole frame (#29).
TARGETS_P50_MS = {"(a) ": 20.0, "(b) ": 45.0, "(e) ": 25.0}


def fit_frame(image_bgr: np.ndarray) -> np.ndarray:
    """An image scaled to fit 640×480 and centred on black, as a webcam of that size would show it."""
    width, height = FRAME_WH
    factor = min(width / image_bgr.shape[1], height / image_bgr.shape[0])
    new_w, new_h = round(image_bgr.shape[1] * factor), round(image_bgr.shape[0] * factor)
    frame = np.zeros((height, width, 3), np.uint8)
    left, top = (width - new_w) // 2, (height - new_h) // 2
    frame[top : top + new_h, left : left + new_w] = cv2.resize(
        image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR
    )
    return frame


def frames(count: int) -> tuple[list[np.ndarray], str]:
    """640×480 BGR frames, and where they came from."""
    folder = paths.data_dir() / "asl_webcam"
    faces = [source for source, seen in face_in_view(paths.data_dir()).items() if seen]
    files = sorted(p for source in faces for p in (folder / source).glob("*/*.jpg"))
    if files:
        picks = np.random.default_rng(0).choice(len(files), min(count, len(files)), replace=False)
        return [fit_frame(cv2.imread(str(files[i]))) for i in sorted(picks)], "asl_webcam face-in-view frames"
    return [stand_ins.hand_frame(seed=i) for i in range(count)], "drawn hands on a cluttered room (no asl_webcam)"


def fresh_find(tracker: HandTracker) -> Callable[[np.ndarray], object]:
    """find() on a frame as the first of a video: the palm detector runs."""

    def run(frame_bgr: np.ndarray):
        tracker.reset()
        return tracker.find(frame_bgr)

    return run


def tracking_ms(tracker: HandTracker, inputs: list[np.ndarray]) -> tuple[np.ndarray, str]:
    """Times of a live find on each frame with a hand (found first, untimed), or of the tracked square's steps."""
    out = []
    for frame in inputs:
        if fresh_find(tracker)(frame) is not None:  # The hand is now tracked, as on the second frame of a hand.
            start = time.perf_counter()
            tracker.find(frame)
            out.append((time.perf_counter() - start) * 1000)
    if out:
        return np.array(out), f"{len(out)} frames with a hand"
    return tracked_square_ms(tracker, inputs), "crop + landmark model on a fixed square (no hand found in these frames)"


def tracked_square_ms(tracker: HandTracker, inputs: list[np.ndarray]) -> np.ndarray:
    """Times of what a tracked hand costs where the detector misses: a crop of a square, the landmark model."""
    square = HandRect((320.0, 240.0), 200.0, 0.0)
    return timings_ms(lambda f: tracker.landmark_model.landmarks_in(crop_hand(f, square)), inputs)


def letters_predictor(stand_in: Predictor) -> tuple[Predictor, str]:
    """The shipped letters model when it reads landmarks, else the stand-in MLP; and which it is."""
    path = catalog.shipped_model("letters")
    if path.is_file() and (shipped := Predictor(path)).reads_landmarks:
        return shipped, "shipped letters model"
    return stand_in, "stand-in MLP"


def live_frame_ms(predictor: Predictor, inputs: list[np.ndarray]) -> np.ndarray:
    """Times of what the live page does per frame once the hand is tracked: find, crop, predict, draw the overlay."""
    reader = signs.SignReader(HandTracker())
    out = []
    for frame in inputs:
        reader.tracker.reset()
        if reader.read(predictor, frame, video=True).hand:  # found (untimed); the next read tracks it
            start = time.perf_counter()
            signs.annotate(frame, reader.read(predictor, frame, video=True), None, 15.0)
            out.append((time.perf_counter() - start) * 1000)
    return np.array(out) if out else np.array([np.nan])


def photo_ms(predictor: Predictor, inputs: list[np.ndarray], tracker: HandTracker) -> np.ndarray:
    """Times of reading a photo as Snapshot, Upload and the CLI do: find_in_photo, the more looks, the letters model."""
    reader = signs.SignReader(tracker)
    return timings_ms(lambda frame: reader.read(predictor, frame), inputs)


def percentiles(ms: np.ndarray) -> str:
    """p50 and p99 as two columns."""
    return f"{np.percentile(ms, 50):8.1f} {np.percentile(ms, 99):8.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="frames to time (default 200)")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT threads per model (default 2)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    inputs, source = frames(args.runs)
    tracker = HandTracker(threads=args.threads)
    first_pass = HandTracker(tracker.palm_detector, tracker.landmark_model, video_retry=None)
    missed = [frame for frame in inputs if fresh_find(first_pass)(frame) is None]
    track_ms, track_note = tracking_ms(tracker, inputs)
    mlp = Predictor(stand_ins.landmarks_model(Path(tempfile.mkdtemp()) / "landmarks.keras"))
    features = normalize_landmarks(np.random.default_rng(0).normal(size=(21, 3)) + [0, -1, 0], "right")
    size = 64  # The shipped letters model's input side.
    letters, letters_note = letters_predictor(mlp)
    boxes = [hands.guide_box(f.shape) for f in inputs]
    rows = {
        f"(a) live: HandTracker.find, the detector then landmarks [{track_note}]": track_ms,
        "(a') the tracked square alone: crop + landmark model": tracked_square_ms(tracker, inputs),
        f"(b) detector + landmarks: fresh find per frame [{len(inputs)} frames]": timings_ms(
            fresh_find(tracker), inputs
        ),
        f"(b') no hand in the first pass: the first pass alone [{len(missed)} frames]": (
            timings_ms(fresh_find(first_pass), missed, warmup=0) if missed else np.array([np.nan])
        ),
        "(b'') the same frames: the first pass, then the retry (HandTracker.find)": (
            timings_ms(fresh_find(tracker), missed, warmup=0) if missed else np.array([np.nan])
        ),
        "(c) the crop: letter_from_frame at 64×64": timings_ms(
            lambda i: hands.letter_from_frame(inputs[i], boxes[i], size=size), list(range(len(inputs)))
        ),
        "(d) landmarks MLP 256-128-24 (stand-in), Predictor.predict": timings_ms(mlp.predict, [features] * len(inputs)),
        f"(e) the live page's whole frame: SignReader.read + overlay [{letters_note}]": live_frame_ms(letters, inputs),
        f"(f) a photo: SignReader.read, find_in_photo + 5 more looks + the letters model [{letters_note}]": photo_ms(
            letters, inputs, tracker
        ),
    }
    print(f"Sign page, one 640×480 frame: {len(inputs)} {source}; {args.threads} LiteRT threads")
    print(f"{'':<84} {'p50 ms':>8} {'p99 ms':>8}")
    for name, ms in rows.items():
        print(f"{name:<84} {percentiles(ms)}")
    for name, ms in rows.items():
        if target := next((t for prefix, t in TARGETS_P50_MS.items() if name.startswith(prefix)), None):
            p50 = float(np.percentile(ms, 50))
            print(f"{name[:3]} p50 {p50:.1f} ms {'meets' if p50 <= target else 'misses'} the {target:g} ms target")
    load_after = os.getloadavg()
    print(
        f"load average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
        f"after: {', '.join(f'{v:.2f}' for v in load_after)} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
