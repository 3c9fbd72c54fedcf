"""MNIST digits drawn the way the Draw page's canvas returns them: what the not-a-digit threshold is fitted on.

A 28×28 digit is upscaled to a random size and place on a canvas and its stroke redrawn with a thinner or thicker
pen, as people draw with the page's pens; tests/test_draw_accuracy.py and the benchmarks measure the canvas path on
the same drawings.
"""

import cv2
import numpy as np

CANVAS_SIDE = 280  # px, the side of the rendered canvas images.
MNIST_STROKE_PX = 2.4  # MNIST's median stroke width in its 28×28 frame.


def mnist_as_canvas(
    image28: np.ndarray,
    rng: np.random.Generator,
    side: int = CANVAS_SIDE,
    size: float | None = None,
    thickness: float | None = None,
) -> np.ndarray:
    """An MNIST digit as a canvas RGBA image: upscaled, rescaled, shifted and drawn with a thinner or thicker pen.

    The digit's 20 px box becomes 25–90% of the canvas side and its stroke 0.6–2× as wide as MNIST's (a pen
    thins a stroke but never breaks it), and it lands at a random place on the canvas. Half the images have
    an opaque black background (what the Draw page's canvas returns), half a transparent one. `size` and
    `thickness` fix the size (fraction of the side) and the pen instead.
    """
    factor = (size or rng.uniform(0.25, 0.9)) * side / 20
    big = cv2.resize(image28.astype(np.float32) / 255.0, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    mask = _repen((big >= 0.5).astype(np.uint8), thickness or rng.uniform(0.6, 2.0), MNIST_STROKE_PX * factor)
    x, y, w, h = cv2.boundingRect(mask)
    ink = mask[y : y + h, x : x + w]
    if max(w, h) > side - 4:
        ink = cv2.resize(ink, None, fx=(side - 4) / max(w, h), fy=(side - 4) / max(w, h), interpolation=cv2.INTER_AREA)
        h, w = ink.shape
    top, left = rng.integers(0, side - h + 1), rng.integers(0, side - w + 1)
    canvas = np.zeros((side, side), np.float32)
    canvas[top : top + h, left : left + w] = ink
    return as_canvas_rgba(cv2.GaussianBlur(canvas, (3, 3), 0), opaque=bool(rng.random() < 0.5))


def _repen(mask: np.ndarray, thickness: float, stroke_px: float) -> np.ndarray:
    """Redraw a binary stroke image with a pen `thickness` times as wide (dilate or erode, never breaking it)."""
    radius = round(abs(thickness - 1) * stroke_px / 2)
    if radius == 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if thickness > 1:
        return cv2.dilate(mask, kernel)
    thinner = cv2.erode(mask, kernel)
    pieces = cv2.connectedComponents(thinner)[0]
    return thinner if thinner.any() and pieces <= cv2.connectedComponents(mask)[0] else mask


def as_canvas_rgba(ink01: np.ndarray, opaque: bool = True) -> np.ndarray:
    """Greyscale ink in [0, 1] as the browser canvas returns it: white on opaque black, or white with alpha."""
    ink = np.round(np.clip(ink01, 0, 1) * 255).astype(np.uint8)
    if opaque:
        return np.dstack([ink, ink, ink, np.full_like(ink, 255)])
    white = np.where(ink > 0, 255, 0).astype(np.uint8)
    return np.dstack([white, white, white, ink])
