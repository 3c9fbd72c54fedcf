"""Test helpers: pen strokes of digits drawn on a canvas or a photo, and several drawings side by side.

MNIST digits drawn the way the canvas returns them are core.data.canvas_digits' (the trainer fits the not-a-digit
threshold on them too).
"""

import math

import cv2
import numpy as np

from core.data.canvas_digits import as_canvas_rgba

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float, n: int = 24) -> Stroke:
    """Points along an elliptic arc in a unit box (x right, y down)."""
    angles = [math.radians(start_deg + (end_deg - start_deg) * i / n) for i in range(n + 1)]
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# How people draw these digits, stroke by stroke, in a unit box (x right, y down). The 4 and 5 take two strokes.
DIGIT_STROKES: dict[str, list[Stroke]] = {
    "0": [_arc(0.5, 0.5, 0.45, 0.5, -90, 275)],
    "1": [[(0.25, 0.2), (0.6, 0.0), (0.6, 1.0)]],
    "2": [_arc(0.5, 0.27, 0.45, 0.27, 200, 390) + [(0.05, 1.0), (1.0, 1.0)]],
    "4": [[(0.6, 0.0), (0.0, 0.65), (1.0, 0.65)], [(0.75, 0.3), (0.75, 1.0)]],
    "7": [[(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]],
    # The 5's top bar drawn last, apart from the rest and shifted right, as many people write it.
    "5": [[(0.12, 0.0), (0.08, 0.45)] + _arc(0.45, 0.68, 0.45, 0.32, -150, 150), [(0.55, 0.0), (1.2, -0.03)]],
}


def number_strokes(text: str, digit_height: float = 0.5) -> list[Stroke]:
    """The strokes of a number written left to right across a unit canvas, with gaps between digits."""
    width = min(0.6 * digit_height, 0.8 / len(text) * 0.75)
    gap = width / 2
    left = 0.5 - (len(text) * width + (len(text) - 1) * gap) / 2
    top = 0.5 - digit_height / 2
    strokes = []
    for i, digit in enumerate(text):
        x0 = left + i * (width + gap)
        strokes += [[(x0 + x * width, top + y * digit_height) for x, y in stroke] for stroke in DIGIT_STROKES[digit]]
    return strokes


def pen_canvas(text: str, side: int = 320, pen_px: int = 18) -> np.ndarray:
    """A number drawn with a round pen on an opaque black canvas, RGBA uint8 as the Draw page's canvas returns."""
    ink = np.zeros((side, side), np.uint8)
    for stroke in number_strokes(text):
        points = np.round(np.array(stroke) * side * 16).astype(np.int32)  # 4 fractional bits.
        cv2.polylines(ink, [points], False, 255, pen_px, cv2.LINE_AA, 4)
    return as_canvas_rgba(ink.astype(np.float32) / 255.0)


def pen_photo(text: str, size_wh: tuple[int, int] = (1050, 800), pen_px: int = 2) -> np.ndarray:
    """A number drawn with a thin black pen on a large white image, as a paint program saves it: BGR uint8."""
    width, height = size_wh
    side = min(width, height)
    ink = np.zeros((height, width), np.uint8)
    for stroke in number_strokes(text):
        points = (np.array(stroke) * side + ((width - side) / 2, (height - side) / 2)) * 16  # 4 fractional bits.
        cv2.polylines(ink, [np.round(points).astype(np.int32)], False, 255, pen_px, cv2.LINE_AA, 4)
    return cv2.cvtColor(255 - ink, cv2.COLOR_GRAY2BGR)


def sheet_on_table(
    text: str,
    size_wh: tuple[int, int] = (1200, 900),
    pen_px: int = 6,
    paper: int = 215,
    table: int = 70,
    shift_x: int = 0,
    seed: int = 0,
) -> np.ndarray:
    """A phone photo of a number written on a sheet of paper lying askew on a darker table: BGR uint8.

    The sheet is turned 8°, the table has a wood-like grain, light falls off to 75% across the photo, and the whole
    is blurred a little. shift_x moves the sheet right (far enough and the photo's edge cuts it).
    """
    rng = np.random.default_rng(seed)
    width, height = size_wh
    grain = 12 * np.sin(np.linspace(0, 40, width))[None, :]
    photo = table + grain + rng.normal(0, 6, (height, width))
    side = 0.7 * height
    center = (width / 2 + shift_x, height / 2)
    sheet = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(sheet, cv2.boxPoints((center, (side, side), 8)).astype(np.int32), 1)
    photo = np.where(sheet > 0, paper + rng.normal(0, 3, photo.shape), photo)
    ink = np.zeros((height, width), np.uint8)
    written = 0.8 * side
    for stroke in number_strokes(text):
        points = (np.array(stroke) * written + (center[0] - written / 2, center[1] - written / 2)) * 16
        cv2.polylines(ink, [np.round(points).astype(np.int32)], False, 255, pen_px, cv2.LINE_AA, 4)
    photo = photo - ink / 255 * (photo - 35)
    photo = cv2.GaussianBlur(photo, (0, 0), 1.2) * np.linspace(1.0, 0.75, width)[None, :]
    return cv2.cvtColor(np.clip(photo, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def place_side_by_side(canvases: list[np.ndarray], gap: int = 20) -> np.ndarray:
    """Several single-digit canvas images cropped to their ink and placed left to right on one canvas."""
    crops = []
    for rgba in canvases:
        x, y, w, h = cv2.boundingRect((rgba[:, :, :3].max(axis=2) > 0).astype(np.uint8))
        crops.append(rgba[y : y + h, x : x + w])
    height = max(crop.shape[0] for crop in crops) + 2 * gap
    width = sum(crop.shape[1] for crop in crops) + gap * (len(crops) + 1)
    out = np.zeros((height, width, 4), np.uint8)
    out[:, :, 3] = 255
    left = gap
    for crop in crops:
        out[gap : gap + crop.shape[0], left : left + crop.shape[1]] = crop
        left += crop.shape[1] + gap
    return out
