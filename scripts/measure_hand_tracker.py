"""Measure the hand tracker on asl_webcam: how many face-in-view frames get a hand, and the time per frame.

Prints, per source with the face in view, the share of frames in which a hand is found (fresh detection on each
frame, as on the first frame of a video), from the bare frame, with the video margins (bare, then a border), and
with find's retry after those; then the median time per 640×480 frame of palm detection + landmarks, and of
tracking alone (landmarks only).

    HANDLAB_DATA_DIR=/path/with/asl_webcam python scripts/measure_hand_tracker.py [--timing-runs 300]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from core.data.asl_landmarks import FACE_IN_VIEW_SOURCES  # noqa: E402
from core.paths import data_dir  # noqa: E402
from core.vision import hand_tracker  # noqa: E402


def detection_counts(tracker: hand_tracker.HandTracker, files: list[Path]) -> tuple[int, int, int]:
    """How many frames get a hand from the bare frame alone, with the video margins (bare, border), and with find's
    retry after those (a fresh find, as on the first frame of a video)."""
    bare = video = retried = 0
    for path in files:
        frame = cv2.imread(str(path))
        if tracker.find_in_photo(frame, hand_tracker.VIDEO_MARGINS[:1], retry=None) is not None:
            bare += 1
            video += 1
        elif tracker.find_in_photo(frame, hand_tracker.VIDEO_MARGINS[1:], retry=None) is not None:
            video += 1
        tracker.reset()
        retried += tracker.find(frame) is not None
    return bare, video, retried


def median_ms(run, frames: list, repeats: int) -> str:
    """The median wall and CPU time (all threads) of run(frame) in milliseconds, cycling through the frames.

    On a shared machine the wall time grows with the other work; the CPU time much less.
    """
    wall, cpu = [], []
    for index in range(repeats):
        frame = frames[index % len(frames)]
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        run(frame)
        wall.append((time.perf_counter() - started_wall) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return f"{statistics.median(wall):6.1f} ms wall, {statistics.median(cpu):6.1f} ms CPU"


def timing(tracker: hand_tracker.HandTracker, frames: list, repeats: int) -> tuple[str, str]:
    """Median ms per frame of detection + landmarks, and of tracking (landmarks only, the detector never runs)."""

    def detect_and_read(frame):
        tracker.reset()
        assert tracker.find(frame) is not None

    def track(frame):
        assert tracker.find(frame) is not None  # The previous call on this frame left the hand tracked.

    detect_ms = median_ms(detect_and_read, frames, repeats)
    tracker.reset()
    tracker.find(frames[0])
    return detect_ms, median_ms(track, frames[:1], repeats)


def main() -> None:
    """Print the detection table and the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing-runs", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timing-only", action="store_true", help="skip the detection rates (minutes on 2 cores)")
    args = parser.parse_args()
    folder = data_dir() / "asl_webcam"
    tracker = hand_tracker.HandTracker(threads=args.threads)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs, {args.threads} LiteRT threads")
    if not args.timing_only:
        print_detection_rates(tracker, folder)
    print_timing(tracker, folder, args.timing_runs)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def print_detection_rates(tracker: hand_tracker.HandTracker, folder: Path) -> None:
    """The table of detection rates per face-in-view source."""
    print(f"{'source':16}{'frames':>8}{'bare frame':>18}{'video margins':>18}{'with retry':>18}", flush=True)
    totals = [0, 0, 0, 0]
    for source in FACE_IN_VIEW_SOURCES:
        files = sorted((folder / source).glob("*/*.jpg"))
        counts = (len(files), *detection_counts(tracker, files))
        for index, count in enumerate(counts):
            totals[index] += count
        print(f"{source:16}{row(counts)}", flush=True)
    print(f"{'all':16}{row(totals)}", flush=True)


def row(counts: tuple[int, ...] | list[int]) -> str:
    """Frames, then each count with its share of the frames."""
    total, *found = counts
    return f"{total:>8}" + "".join(f"{count:>10} {count / total:6.1%}" for count in found)


def print_timing(tracker: hand_tracker.HandTracker, folder: Path, runs: int) -> None:
    """Median times per 640×480 frame: the whole find with and without tracking, and each model alone."""
    frames = []
    for source in FACE_IN_VIEW_SOURCES:
        for path in sorted((folder / source).glob("B/*.jpg"))[:3]:
            frame = cv2.resize(cv2.imread(str(path)), (640, 480), interpolation=cv2.INTER_LINEAR)
            tracker.reset()
            if tracker.find(frame) is not None:
                frames.append(frame)
    detect_ms, track_ms = timing(tracker, frames, runs)
    palm_ms = median_ms(tracker.palm_detector.detect, frames, runs)
    crop = np.zeros((224, 224, 3), np.float32)
    landmark_ms = median_ms(tracker.landmark_model.read, [crop], runs)
    print(f"640×480, {len(frames)} frames with a hand, median of {runs} runs:")
    print(f"  palm detection + landmarks {detect_ms} per frame")
    print(f"  tracking (landmarks only)  {track_ms} per frame")
    print(f"  palm detector alone        {palm_ms} (letterbox, model, decoding)")
    print(f"  landmark model alone       {landmark_ms} (model only)")


if __name__ == "__main__":
    main()
