"""J and Z from the hand's motion: the letter's handshape held while its fingertip travels a curved path.

J is the I handshape (little finger up, the others closed) whose little fingertip draws a J: down, then hooking
aside and up. Z is the index finger alone (a D- or X-like hand) drawing a Z: across, diagonally back and down,
across again. `read_motion` takes a stretch of frames (landmarks in frame pixels), reads the handshape from the
landmarks frame by frame (which fingers are extended: `handshape`), and follows the letter's fingertip, smoothed and
in palm lengths. The letter is read when its handshape fills enough of the frames (`shape_share`) while the
fingertip travels at least `min_path` palm lengths along a path that is not a straight line, drawn over several
frames, and (for Z) with the hand keeping its orientation: a held or swaying I, D or X stays what it is, a hand
carried straight into place is not a letter, and a hand turning from D to G is changing letters. The path's exact
shape is not matched: the only real clips here (asl_motion, bursts saved for still-image classifiers) show parts of
the motion, not whole letters (benchmarks/motion_letters.py).
"""

from dataclasses import dataclass, replace

import numpy as np

TIPS = {"J": 20, "Z": 8}  # the fingertip that draws each letter: little finger, index finger
FINGERS = {"index": (6, 8), "middle": (10, 12), "ring": (14, 16), "little": (18, 20)}  # (PIP joint, tip)
SHAPES = {"J": ("little",), "Z": ("index",)}  # the only extended fingers (of FINGERS) of each letter's handshape
POINTS = 24  # A path is resampled to this many points, evenly spaced along its length, to measure its bend.


@dataclass(frozen=True)
class MotionSettings:
    """When a fingertip's path counts as J or Z."""

    min_path: float = 1.0  # palm lengths the fingertip must travel
    min_bend: float = 0.1  # how far the path strays from a straight line (mean distance, the path scaled to unit size)
    shape_share: float = 0.35  # of the frames with a hand, how many must show the letter's handshape
    smoothing: int = 3  # frames in the moving average that takes the landmarks' jitter off the path (0.2 s at 15 fps)
    max_gap: int = 2  # frames whose handshape reads otherwise (a flicker) inside a run of the letter's handshape
    max_jump: float = 0.4  # the largest step between two frames, as a share of the whole path
    max_turn_deg: float = 20.0  # how far a Z's hand may end turned from how it began (a J's turns as it hooks)


@dataclass(frozen=True)
class MotionReading:
    """What a stretch of frames shows: a motion letter or None, and why."""

    letter: str | None
    shape: str | None  # the handshape of most frames: "J", "Z" or None (neither)
    path: float  # how far the shape's fingertip travelled, in palm lengths (0 without a shape)
    bend: float  # how far the path strays from a straight line (0 without a shape)

    @property
    def too_small(self) -> bool:
        """The handshape was there but the fingertip hardly moved."""
        return self.shape is not None and self.letter is None and self.bend == 0


def handshape(landmarks_px: np.ndarray) -> str | None:
    """ "J" when only the little finger is extended, "Z" when only the index finger is, else None (one frame)."""
    points = np.asarray(landmarks_px, np.float64)[:, :2]
    wrist = points[0]
    extended = {
        finger: np.linalg.norm(points[tip] - wrist) > 1.1 * np.linalg.norm(points[pip] - wrist)
        for finger, (pip, tip) in FINGERS.items()
    }
    for letter, fingers in SHAPES.items():
        if all(extended[finger] == (finger in fingers) for finger in FINGERS):
            return letter
    return None


def read_motion(landmarks_px: np.ndarray, settings: MotionSettings | None = None) -> MotionReading:
    """J, Z or None from a stretch of frames: (n, 21, 2+) landmarks (NaN rows where no hand was found)."""
    settings = settings or MotionSettings()
    landmarks_px = np.asarray(landmarks_px, np.float64)
    found = ~np.isnan(landmarks_px[:, 0, 0])
    shapes = [handshape(hand) if seen else None for hand, seen in zip(landmarks_px, found, strict=True)]
    shape = max(SHAPES, key=shapes.count)
    if found.sum() < 3 or shapes.count(shape) < settings.shape_share * found.sum():
        return MotionReading(None, None, 0.0, 0.0)
    palm = float(np.median(np.linalg.norm(landmarks_px[found, 9, :2] - landmarks_px[found, 0, :2], axis=1)))
    tip = landmarks_px[:, TIPS[shape], :2] / max(palm, 1.0)
    # The path is followed only through frames that show the handshape: the jump to another letter's hand is not it.
    in_shape = _bridged(np.array(shapes) == shape, found, settings.max_gap)
    runs = [run[~np.isnan(tip[run, 0])] for run in _runs(in_shape) if len(run) >= 3]
    run = max(runs, key=lambda run: _length(_smoothed(tip[run], settings.smoothing)), default=np.arange(0))
    raw = tip[run]
    drawn = _smoothed(raw, settings.smoothing)
    path = _length(drawn)
    if path < settings.min_path:
        return MotionReading(None, shape, path, 0.0)
    unit = _unit(_resampled(drawn))
    bend = float(np.linalg.norm(unit - _unit(_resampled(drawn[[0, -1]])), axis=1).mean())
    # A letter is drawn over several frames; a path made mostly of one jump is the hand switching to another letter
    # (or the tracker jumping), not a J or Z.
    jump = float(np.linalg.norm(np.diff(raw, axis=0), axis=1).max()) / max(_length(raw), 1e-9)
    drawn_letter = bend >= settings.min_bend and jump <= settings.max_jump
    # A Z is drawn with the hand keeping its orientation; a hand that ends turned (D to G or Q, L to Q) is changing
    # letters. A J's hand turns as it hooks, so J is not held to this.
    if shape == "Z" and _turn_deg(landmarks_px[run]) > settings.max_turn_deg:
        drawn_letter = False
    return MotionReading(shape if drawn_letter else None, shape, path, bend)


def _turn_deg(hands: np.ndarray) -> float:
    """How far the palm (wrist to the middle finger's base) turned in the image from the first frames to the last."""
    palm = hands[:, 9, :2] - hands[:, 0, :2]
    angles = np.unwrap(np.arctan2(palm[:, 1], palm[:, 0]))
    ends = min(3, len(angles))
    return float(np.degrees(abs(angles[-ends:].mean() - angles[:ends].mean())))


def _bridged(mask: np.ndarray, found: np.ndarray, max_gap: int) -> np.ndarray:
    """The mask with gaps of up to max_gap frames (with a hand) between two True runs filled."""
    bridged = mask.copy()
    for gap in _runs(~mask):
        start, end = gap[0], gap[-1] + 1
        if len(gap) <= max_gap and start > 0 and end < len(mask) and found[gap].all():
            bridged[gap] = True
    return bridged


def _runs(mask: np.ndarray) -> list[np.ndarray]:
    """The indices of each run of consecutive True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [np.arange(start, end) for start, end in zip(edges[::2], edges[1::2], strict=True)]


def _length(points: np.ndarray) -> float:
    """The length of the polyline through the points."""
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) if len(points) > 1 else 0.0


def _smoothed(points: np.ndarray, frames: int) -> np.ndarray:
    """A moving average over `frames` frames (fewer at the ends), so the landmarks' jitter does not draw the path."""
    if frames <= 1 or len(points) < frames:
        return points
    kernel = np.ones(frames) / frames
    padded = np.pad(points, ((frames // 2, frames - 1 - frames // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, axis], kernel, mode="valid") for axis in range(2)], axis=1)


def _resampled(points: np.ndarray, count: int = POINTS) -> np.ndarray:
    """The polyline through `points`, resampled to `count` points evenly spaced along its length."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] == 0:
        return np.repeat(points[:1], count, axis=0)
    targets = np.linspace(0, along[-1], count)
    return np.stack([np.interp(targets, along, points[:, axis]) for axis in range(2)], axis=1)


def _unit(points: np.ndarray) -> np.ndarray:
    """The points centred and scaled to a root-mean-square radius of 1."""
    centred = points - points.mean(axis=0)
    radius = float(np.sqrt((centred**2).sum(axis=1).mean()))
    return centred / radius if radius > 0 else centred


PERSONAL_MIN_PATH = 0.7  # palm lengths: the least a user's own clips can lower min_path to (I and D holds: 99.4% kept)
PERSONAL_SHARE = 0.8  # min_path becomes this share of the shortest path among the user's own clips


def fitted_settings(clips: list[tuple[str, np.ndarray]], settings: MotionSettings | None = None) -> MotionSettings:
    """The settings fitted to a user's own J and Z clips (letter, landmarks): someone who draws them small gets a
    smaller min_path (PERSONAL_SHARE of their shortest clip's path, never under PERSONAL_MIN_PATH); clips without
    the letter's handshape change nothing."""
    settings = settings or MotionSettings()
    paths = [reading.path for letter, clip in clips if (reading := read_motion(clip, settings)).shape == letter]
    if not paths:
        return settings
    min_path = min(settings.min_path, max(PERSONAL_MIN_PATH, PERSONAL_SHARE * min(paths)))
    return replace(settings, min_path=min_path)
