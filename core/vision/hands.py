"""The hand's crop: the square around the box the hand models found, shrunk to the greyscale input image models read."""

import cv2
import numpy as np

from core import images

CROP_MARGIN = 0.15  # Margin around the hand box on each side of its crop, as a fraction of its longer side.
GUIDE_FRACTION = 0.8  # The guide box covers this fraction of the frame's shorter side.


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


def letter_from_frame(frame_bgr: np.ndarray, box_xywh: tuple[int, int, int, int], size: int = 28) -> np.ndarray:
    """Crop the square around a hand's box into a (size, size) float32 greyscale image in [0, 1].

    Training data, photos and the webcam all pass through here, so models see identical input.
    """
    frame_bgr = images.to_bgr(frame_bgr)
    images.check_side(size)
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
