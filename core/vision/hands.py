"""Find a hand in a BGR frame by its skin colour and crop it into the square greyscale input letter models read."""

import cv2
import numpy as np

from core import images

# Skin in YCrCb (Chai & Ngan, 1999): the chroma of skin is nearly the same across skin tones; brightness is
# left free so dark and light skin both pass. Cr measures redness, Cb blueness.
SKIN_LOW_YCRCB = (0, 133, 77)
SKIN_HIGH_YCRCB = (255, 173, 127)
WORK_SIDE = 240  # Frames are reduced to this longer side (px): enough for a hand, fast for live video.
MIN_AREA = 0.01  # A hand covers at least this fraction of the frame...
MAX_AREA = 0.9  # ...and at most this much; more means the background itself is skin-coloured.
MIN_SOLIDITY = 0.3  # Area over convex-hull area; thin scattered shapes (wood grain, cables) are not hands.
JOIN_AREA = 0.1  # Skin regions at least this fraction of the largest one that touch its box join it.
CROP_MARGIN = 0.15  # Margin around the hand box on each side of its crop, as a fraction of its longer side.
GUIDE_FRACTION = 0.8  # The guide box covers this fraction of the frame's shorter side.


def locate_hand(frame_bgr: np.ndarray) -> tuple[int, int, int, int] | None:
    """Return the box_xywh (frame pixels) of the largest plausible skin-coloured region, or None."""
    frame_bgr = images.to_bgr(frame_bgr)
    factor = min(1.0, WORK_SIDE / max(frame_bgr.shape[:2]))
    small = _resize(frame_bgr, factor)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(skin_mask(small), connectivity=8)
    if count <= 1:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    rows = stats[_joined(stats, largest)]
    area = int(rows[:, cv2.CC_STAT_AREA].sum())
    lx, ly, lw, lh = stats[largest, :4]
    region = labels[ly : ly + lh, lx : lx + lw] == largest  # the largest region, within its own box
    if not MIN_AREA <= area / labels.size <= MAX_AREA or _solidity(region) < MIN_SOLIDITY:
        return None
    x, y = rows[:, 0].min(), rows[:, 1].min()
    w, h = (rows[:, 0] + rows[:, 2]).max() - x, (rows[:, 1] + rows[:, 3]).max() - y
    frame_h, frame_w = frame_bgr.shape[:2]
    left, top = int(x / factor), int(y / factor)
    right, bottom = min(frame_w, int(np.ceil((x + w) / factor))), min(frame_h, int(np.ceil((y + h) / factor)))
    return left, top, right - left, bottom - top


def skin_mask(frame_bgr: np.ndarray) -> np.ndarray:
    """A uint8 mask (255 = skin) of a BGR frame, cleaned of specks and small holes."""
    frame_bgr = images.to_bgr(frame_bgr)
    # Sensor noise pushes single pixels out of the skin range; smoothing first keeps the hand whole.
    smooth = cv2.GaussianBlur(frame_bgr, (3, 3), 0)
    mask = cv2.inRange(cv2.cvtColor(smooth, cv2.COLOR_BGR2YCrCb), SKIN_LOW_YCRCB, SKIN_HIGH_YCRCB)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    # Holes (shadows between fingers, highlights) are filled in proportion to the frame.
    side = max(3, round(max(mask.shape) / 40) | 1)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))


def square_box(
    box_xywh: tuple[int, int, int, int], frame_shape: tuple[int, ...], margin: float = CROP_MARGIN
) -> tuple[int, int, int, int]:
    """The square crop around a box: its longer side plus a margin each side, inside the frame if it fits.

    The side never exceeds the frame's shorter side unless the box itself does; only then does the square
    reach past the frame (letter_from_frame pads it by replicating the border).
    """
    x, y, w, h = _check_box(box_xywh, frame_shape)
    frame_h, frame_w = frame_shape[:2]
    longer = max(w, h)
    side = max(1, round(min(longer * (1 + 2 * margin), max(longer, min(frame_h, frame_w)))))
    left, top = round(x + w / 2 - side / 2), round(y + h / 2 - side / 2)
    left = min(max(left, 0), frame_w - side) if side <= frame_w else round((frame_w - side) / 2)
    top = min(max(top, 0), frame_h - side) if side <= frame_h else round((frame_h - side) / 2)
    return left, top, side, side


def guide_box(frame_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The centred square where the user is asked to hold their hand (used when no hand is found)."""
    frame_h, frame_w = frame_shape[:2]
    side = max(1, round(min(frame_h, frame_w) * GUIDE_FRACTION))
    return (frame_w - side) // 2, (frame_h - side) // 2, side, side


def _check_box(box_xywh: tuple[int, int, int, int], frame_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Validate a box against the frame and return it as ints."""
    try:
        x, y, w, h = (int(round(float(v))) for v in box_xywh)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"box_xywh must be four numbers (x, y, width, height), got {box_xywh!r}.") from None
    frame_h, frame_w = frame_shape[:2]
    if w <= 0 or h <= 0:
        raise ValueError(f"box_xywh needs a positive width and height, got {box_xywh!r}.")
    if x >= frame_w or y >= frame_h or x + w <= 0 or y + h <= 0:
        raise ValueError(f"box_xywh {box_xywh!r} lies outside the {frame_w}×{frame_h} frame.")
    return x, y, w, h


def _resize(frame_bgr: np.ndarray, factor: float) -> np.ndarray:
    """Scale a frame by a factor ≤ 1 with area averaging."""
    if factor >= 1.0:
        return frame_bgr
    width, height = max(1, round(frame_bgr.shape[1] * factor)), max(1, round(frame_bgr.shape[0] * factor))
    # Area averaging by exactly one half has a fast path (0.1 ms for 640×480, against 1.6 ms straight to 240×180).
    while frame_bgr.shape[1] >= 2 * width and frame_bgr.shape[0] >= 2 * height:
        half = (frame_bgr.shape[1] // 2, frame_bgr.shape[0] // 2)
        frame_bgr = cv2.resize(frame_bgr, half, interpolation=cv2.INTER_AREA)
    return cv2.resize(frame_bgr, (width, height), interpolation=cv2.INTER_AREA)


def _joined(stats: np.ndarray, largest: int) -> list[int]:
    """The largest region plus the sizeable regions that touch its box (fingers cut off by shadows)."""
    x, y, w, h = stats[largest, :4]
    lx, ly, lw, lh, area = (stats[:, column] for column in range(5))
    touches = (lx <= x + w) & (x <= lx + lw) & (ly <= y + h) & (y <= ly + lh)
    sizeable = area >= JOIN_AREA * stats[largest, cv2.CC_STAT_AREA]
    others = np.flatnonzero(touches & sizeable)
    return [largest, *(int(label) for label in others if label not in (0, largest))]


def _solidity(region: np.ndarray) -> float:
    """Area of a boolean region over the area of its convex hull."""
    # The hull of a region is the hull of each row's leftmost and rightmost pixel: 2 points a row, not all.
    rows = np.flatnonzero(region.any(axis=1))
    if len(rows) == 0:
        return 0.0
    left = region[rows].argmax(axis=1)
    right = region.shape[1] - 1 - region[rows, ::-1].argmax(axis=1)
    points = np.concatenate([np.stack([left, rows], axis=1), np.stack([right, rows], axis=1)]).astype(np.int32)
    hull_area = cv2.contourArea(cv2.convexHull(points))
    return float(region.sum()) / hull_area if hull_area > 0 else 0.0


def letter_from_frame(
    frame_bgr: np.ndarray, box_xywh: tuple[int, int, int, int] | None = None, size: int = 28
) -> np.ndarray:
    """Crop the hand (given, found, or the guide box) into a (size, size) float32 greyscale image in [0, 1].

    Training data, photos and the webcam all pass through here, so models see identical input.
    """
    frame_bgr = images.to_bgr(frame_bgr)
    images.check_side(size)
    if box_xywh is None:
        box_xywh = locate_hand(frame_bgr) or guide_box(frame_bgr.shape)
    crop_bgr = _crop_padded(frame_bgr, square_box(box_xywh, frame_bgr.shape))
    grey = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _crop_padded(frame_bgr: np.ndarray, box_xywh: tuple[int, int, int, int]) -> np.ndarray:
    """Crop a box from the frame, replicating the border where the box reaches past it."""
    x, y, w, h = box_xywh
    frame_h, frame_w = frame_bgr.shape[:2]
    inner = frame_bgr[max(y, 0) : min(y + h, frame_h), max(x, 0) : min(x + w, frame_w)]
    pads = (max(-y, 0), max(y + h - frame_h, 0), max(-x, 0), max(x + w - frame_w, 0))
    return cv2.copyMakeBorder(inner, *pads, cv2.BORDER_REPLICATE) if any(pads) else inner
