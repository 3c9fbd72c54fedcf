"""J and Z from the hand's motion (core.vision.motion_letters) on real clips, and still letters never taken for them.

    HANDLAB_DATA_DIR=/path/with/datasets HANDLAB_HOME=/path/to/home .venv/bin/python -m benchmarks.motion_letters

1. asl_motion: every clip (40 consecutive webcam frames of one person's J or Z) through the live tracker
   (`HandTracker.find`, the landmarks cached in HANDLAB_HOME/cache), then `read_motion` over the whole clip. Clips
   whose fingertip hardly moves (under `min_path` palm lengths) are counted apart as "too small to see", and clips
   whose handshape is not J's or Z's in most frames apart again, not dropped.
2. Still letters: every I, D and X hold of benchmarks/spelling_streams.py's words (35 people, 1.2 s and 0.6 s a
   letter), with 0.3 s of the moves either side, and every 1 s window of the spelled words: how often J or Z is
   read where there is none.
3. The cost of one reading of a 1 s window.

No model is trained: the four settings of MotionSettings were chosen by looking at all clips here, so the clip figure
is not a left-out figure; the still letters' is (none of their streams was looked at to set them).
"""

import hashlib
import json
import time
from collections import Counter

import cv2
import numpy as np

from benchmarks.spelling_streams import FPS, load_streams
from core import paths
from core.data import npz_cache
from core.data.hand_landmarks import PIPELINE_VERSION
from core.vision import hand_model_files
from core.vision.hand_tracker import HandTracker
from core.vision.motion_letters import MotionSettings, read_motion

MARGIN_S = 0.3  # of the moves either side of a still letter's hold
MODELS_KEY = (
    f"pipeline v{PIPELINE_VERSION}; hand models {sorted(sha for _, sha in hand_model_files.MODEL_FILES.values())}"
)


def motion_clips() -> dict[str, np.ndarray]:
    """Each asl_motion clip's landmarks ("source/letter" -> (frames, 21, 3), NaN where no hand), cached."""
    folder = paths.data_dir() / "asl_motion"
    clips = sorted(path for path in folder.glob("*/*") if path.is_dir() and path.name in ("J", "Z"))
    if not clips:
        raise SystemExit(f"no asl_motion/ clips in {paths.data_dir()}: set HANDLAB_DATA_DIR to the datasets folder")
    files = [sorted(clip.glob("*.jpg")) for clip in clips]
    names = [f"{clip.parent.name}/{clip.name}" for clip in clips]
    listing = [names, [[f"{f.name}:{f.stat().st_size}" for f in fs] for fs in files]]
    key = f"motion clips {hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]}; {MODELS_KEY}"
    cache = paths.cache_dir() / "motion_landmarks.npz"
    cached = npz_cache.read_arrays(cache, key, [f"clip{i}" for i in range(len(names))])
    if cached is not None:
        return dict(zip(names, cached, strict=True))
    tracker, arrays = HandTracker(), {}
    for i, clip_files in enumerate(files):
        tracker.reset()
        hands = [tracker.find(cv2.imread(str(f), cv2.IMREAD_COLOR)) for f in clip_files]
        arrays[f"clip{i}"] = np.stack([h.landmarks_px if h else np.full((21, 3), np.nan, np.float32) for h in hands])
    npz_cache.write_arrays(cache, key, arrays)
    return {name: arrays[f"clip{i}"] for i, name in enumerate(names)}


def clips_table(clips: dict[str, np.ndarray], settings: MotionSettings) -> None:
    """Each clip's reading, then the moving clips read right, the ones too small to see and those without the
    handshape."""
    counts = Counter()
    print(f"{'clip':<24} {'read':>5} {'shape':>5} {'path':>6} {'bend':>5}")
    for name, landmarks in clips.items():
        reading = read_motion(landmarks, settings)
        letter = name[-1]
        outcome = "right" if reading.letter == letter else "wrong" if reading.letter else "none"
        kind = "no handshape" if reading.shape is None else "too small" if reading.too_small else "moving"
        counts[kind, outcome] += 1
        print(
            f"{name:<24} {reading.letter or '-':>5} {reading.shape or '-':>5} {reading.path:6.2f} {reading.bend:5.2f}"
        )
    moving = sum(n for (kind, _), n in counts.items() if kind == "moving")
    small, shapeless = (sum(n for (k, _), n in counts.items() if k == kind) for kind in ("too small", "no handshape"))
    print(
        f"\nmoving clips read right: {counts['moving', 'right']} of {moving}"
        f" ({counts['moving', 'right'] / max(moving, 1):.0%}; wrong letter {counts['moving', 'wrong']}, "
        f"none {counts['moving', 'none']}); too small to see: {small}; J's or Z's handshape in under half the frames"
        f" with a hand: {shapeless}"
    )


def still_letters(settings: MotionSettings) -> None:
    """How often J or Z is read in I, D and X holds (the words have no X) and in any 1 s window of spelled words."""
    streams = load_streams()
    margin = round(MARGIN_S * FPS)
    holds, false = Counter(), Counter()
    windows = window_false = 0
    for stream in streams:
        for index, letter in enumerate(stream.word):
            frames = np.flatnonzero(stream.truth == index)
            if letter in "IDX" and len(frames):
                start, end = max(0, frames[0] - margin), frames[-1] + 1 + margin
                holds[letter] += 1
                false[letter] += read_motion(stream.landmarks_px[start:end], settings).letter is not None
        for start in range(0, max(1, len(stream.t_s) - FPS), 3):
            windows += 1
            window_false += read_motion(stream.landmarks_px[start : start + FPS], settings).letter is not None
    for letter in sorted(holds):
        print(
            f"{letter} holds read as J or Z: {false[letter]} of {holds[letter]} ({false[letter] / holds[letter]:.1%})"
        )
    total, wrong = sum(holds.values()), sum(false.values())
    print(f"I, D and X holds not read as J or Z: {1 - wrong / total:.1%} of {total} (target >= 99%)")
    print(f"1 s windows of spelled words read as J or Z: {window_false} of {windows} ({window_false / windows:.2%})")


def main() -> None:
    settings = MotionSettings()
    print(f"settings: {settings}\n")
    clips = motion_clips()
    clips_table(clips, settings)
    still_letters(settings)
    window = next(iter(clips.values()))[:FPS]
    started = time.perf_counter()
    for _ in range(200):
        read_motion(window, settings)
    print(f"\none reading of a 1 s window ({FPS} frames): {(time.perf_counter() - started) / 200 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
