"""J and Z from the hand's motion (core.vision.motion_letters) on real clips, and still letters never taken for them.

    HANDLAB_DATA_DIR=/path/with/datasets HANDLAB_HOME=/path/to/home .venv/bin/python -m benchmarks.motion_letters

1. asl_motion: every clip (40 consecutive webcam frames of one person's J or Z) through the live tracker
   (`HandTracker.find`, the landmarks cached in HANDLAB_HOME/cache), then `read_motion` over the whole clip. Clips
   whose fingertip hardly moves (under `min_path` palm lengths) are counted apart as "too small to see", and clips
   whose handshape is not J's or Z's in most frames apart again, not dropped.
2. Still letters: every I, D and X hold of benchmarks/spelling_streams.py's words (35 people, 1.2 s and 0.6 s a
   letter), with 0.3 s of the moves either side, and every 1 s window of the spelled words: how often J or Z is
   read where there is none.
3. Continuous moves between two still letters that share J's or Z's handshape (D, G, L, X... for Z; I, Y for J): each
   asl_webcam person's own landmarks of the two letters, the hand turned, carried and reshaped smoothly from one to
   the other (0.2-0.6 s, with tremor), through the whole Speller: how often a J or Z is written where none was
   signed. The spelled-word streams cannot show this: their moves slide the next photo in, so the fingertip travels
   a straight line. No setting was chosen on these moves (a left-out figure); the landmarks are real, the moves
   between them are made.
4. The same with the smallest min_path a user's own clips can set (motion_letters.PERSONAL_MIN_PATH).
5. The cost of one reading of a 1 s window.

No model is trained: the four settings of MotionSettings were chosen by looking at all clips here, so the clip figure
is not a left-out figure; the still letters' is (none of their streams was looked at to set them).
"""

import hashlib
import json
import time
from collections import Counter

import cv2
import numpy as np

from benchmarks.spelling_streams import FPS, Stream, load_streams
from core import paths
from core.data import npz_cache
from core.data.hand_landmarks import PIPELINE_VERSION, WEBCAM_FOLDER, LandmarkSet, load_collections
from core.labels import SIGN_LETTERS
from core.vision import hand_model_files
from core.vision.hand_tracker import HandTracker
from core.vision.motion_letters import PERSONAL_MIN_PATH, MotionSettings, handshape, read_motion
from core.vision.spelling import Speller

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
        f"none {counts['moving', 'none']}); too small to see: {small}; J's or Z's handshape in under "
        f"{settings.shape_share:.0%} of the frames with a hand: {shapeless}"
    )


def still_letters(settings: MotionSettings, streams: list[Stream]) -> None:
    """How often J or Z is read in I, D and X holds (the words have no X) and in any 1 s window of spelled words
    (`streams`: load_streams())."""
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


MOVE_DURATIONS_S = (0.2, 0.4, 0.6)
HOLD_FRAMES = 9  # 0.6 s at 15 fps, before and after the move
TREMOR = 0.01  # landmark jitter per frame, in palm lengths (the tracker's own on a still hand is about this)


def shape_groups(landmarks) -> dict[str, list[str]]:
    """The still letters whose photos mostly show J's or Z's handshape, by motion letter."""
    groups: dict[str, list[str]] = {"J": [], "Z": []}
    for label, letter in enumerate(SIGN_LETTERS):
        rows = landmarks.landmarks_px[(landmarks.labels == label) & landmarks.found]
        shapes = Counter(handshape(hand) for hand in rows)
        for motion in groups:
            if shapes[motion] > 0.5 * len(rows):
                groups[motion].append(letter)
    return groups


def _pose(hand: np.ndarray) -> tuple[np.ndarray, float, float, np.ndarray]:
    """A hand as (wrist, palm angle, palm length, shape in the palm's frame)."""
    points = hand[:, :2].astype(np.float64)
    palm = points[9] - points[0]
    angle, size = float(np.arctan2(palm[1], palm[0])), float(np.linalg.norm(palm))
    turn = np.array([[np.cos(-angle), -np.sin(-angle)], [np.sin(-angle), np.cos(-angle)]])
    return points[0], angle, size, (points - points[0]) @ turn.T / size


def moved(first: np.ndarray, second: np.ndarray, frames: int) -> np.ndarray:
    """(frames, 21, 2): the hand turned, carried, scaled and reshaped smoothly from `first` to `second`."""
    (w0, a0, s0, c0), (w1, a1, s1, c1) = _pose(first), _pose(second)
    turn_by = (a1 - a0 + np.pi) % (2 * np.pi) - np.pi  # the shorter way round
    out = []
    for t in np.linspace(0, 1, frames + 2)[1:-1]:
        e = t * t * (3 - 2 * t)  # eased in and out, as a hand moves
        angle, size = a0 + e * turn_by, s0 + e * (s1 - s0)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        out.append(w0 + e * (w1 - w0) + size * ((1 - e) * c0 + e * c1) @ turn.T)
    return np.array(out)


def move_stream(first: np.ndarray, second: np.ndarray, move_s: float, rng) -> np.ndarray:
    """(T, 21, 3): a hold of `first`, the move, a hold of `second`, with tremor."""
    hands = (
        [first[:, :2]] * HOLD_FRAMES + list(moved(first, second, round(move_s * FPS))) + [second[:, :2]] * HOLD_FRAMES
    )
    stream = np.array(hands, np.float64)
    palm = np.linalg.norm(first[9, :2] - first[0, :2])
    stream += rng.normal(0, TREMOR * palm, stream.shape)
    return np.concatenate([stream, np.zeros((*stream.shape[:2], 1))], axis=2)


def letters_written(stream: np.ndarray, first: str, second: str, motion: MotionSettings) -> str:
    """What the Speller writes for the stream, its still letters read as the truth (90%) until the move's middle."""
    speller = Speller(SIGN_LETTERS, motion=motion)
    states = []
    for frame, hand in enumerate(stream):
        probabilities = np.full(len(SIGN_LETTERS), 0.1 / (len(SIGN_LETTERS) - 1), np.float32)
        probabilities[SIGN_LETTERS.index(first if frame < len(stream) / 2 else second)] = 0.9
        states.append(speller.update(probabilities, hand, frame / FPS))
    written = ""
    for state in [*states, speller.finish()]:  # a J or Z takes the place of the letter it `removed`
        written = (written[: -len(state.removed)] if state.removed else written) + (state.added or "")
    return written


def still_to_still_moves(settings: MotionSettings, landmarks: LandmarkSet) -> None:
    """J or Z written in continuous moves between two letters of the same handshape, per pair and overall
    (`landmarks`: asl_webcam's, from load_collections)."""
    groups = shape_groups(landmarks)
    print(f"\nletters with J's handshape: {' '.join(groups['J'])}; with Z's: {' '.join(groups['Z'])}")
    rng = np.random.default_rng(0)
    false, total, per_pair = 0, 0, Counter()
    for letters in groups.values():
        for first, second in ((a, b) for a in letters for b in letters if a != b):
            for source in sorted(set(landmarks.sources)):
                rows = {letter: np.flatnonzero((landmarks.sources == source) & landmarks.found
                                                & (landmarks.labels == SIGN_LETTERS.index(letter)))
                        for letter in (first, second)}  # fmt: skip
                if not all(len(r) for r in rows.values()):
                    continue
                hands = [landmarks.landmarks_px[rng.choice(rows[letter])] for letter in (first, second)]
                for move_s in MOVE_DURATIONS_S:
                    written = letters_written(move_stream(*hands, move_s, rng), first, second, settings)
                    total += 1
                    wrong = any(letter in written for letter in ("J", "Z"))
                    false += wrong
                    per_pair[f"{first}→{second}"] += wrong
    worst = ", ".join(f"{pair} {n}" for pair, n in per_pair.most_common(5) if n)
    print(
        f"moves between them written as J or Z: {false} of {total} ({false / max(total, 1):.1%}; "
        f"{len(MOVE_DURATIONS_S)} durations, min_path {settings.min_path}); most: {worst or 'none'}"
    )


def main() -> None:
    settings = MotionSettings()
    print(f"settings: {settings}\n")
    clips = motion_clips()
    clips_table(clips, settings)
    streams = load_streams()  # loaded once for both settings
    still_letters(settings, streams)
    landmarks = load_collections(paths.data_dir(), (WEBCAM_FOLDER,), paths.cache_dir())
    still_to_still_moves(settings, landmarks)
    smallest = MotionSettings(min_path=PERSONAL_MIN_PATH)
    print(f"\nwith the smallest min_path a user's clips can set ({PERSONAL_MIN_PATH}):")
    clips_table(clips, smallest)
    still_letters(smallest, streams)
    still_to_still_moves(smallest, landmarks)
    window = next(iter(clips.values()))[:FPS]
    started = time.perf_counter()
    for _ in range(200):
        read_motion(window, settings)
    print(f"\none reading of a 1 s window ({FPS} frames): {(time.perf_counter() - started) / 200 * 1000:.2f} ms")


if __name__ == "__main__":
    main()
