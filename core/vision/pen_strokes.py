"""Handwriting as pen strokes: thin ink to its centreline, then redraw it with a round pen of any width at any size.

MNIST digits come with MNIST's own stroke width. `mnist_as_pen` turns one back into a pen path (Zhang-Suen
thinning of the upscaled digit) and `render_pen` draws that path again with a round, anti-aliased pen: every
pixel is inked by how much of it lies within width/2 of the path. Pens thinner than a few pixels are drawn on a
finer grid and area-averaged down, so a 0.3 px pen gives a faint grey hairline, as a scanner would.
"""

import math

import cv2
import numpy as np

SKELETON_SCALE = 8  # MNIST digits are upscaled 8× (28 → 224 px) before thinning, for a smooth path.
MIN_PEN_SUBPIXELS = 4.0  # Pens are drawn at least this many (fine-grid) pixels wide, then area-averaged down.
# MNIST's ink above this level (0..1) is the pen's path. At 0.5 the faint joins of light strokes broke (a 5's bar came
# off, a 6 fell into three pieces: 5 and 4 of 200 test digits were redrawn in more pieces than MNIST drew them, 1
# and 1 at 0.35); at 0.25 bold digits' small loops filled in.
INK_LEVEL = 0.35
MAX_FINE_SIDE = 4096  # px: the fine grid's side is capped here (cost), which only limits pens under ~0.1 px.
# The 8-neighbours that come after a pixel in scan order: each pair of touching path pixels is joined once.
_FORWARD = ((0, 1), (1, -1), (1, 0), (1, 1))


def skeleton_of(mask: np.ndarray) -> np.ndarray:
    """The 1-pixel-wide centreline of a binary image (Zhang and Suen's thinning, 1984), bool (H, W)."""
    img = np.pad(mask.astype(bool), 1)
    while True:
        changed = False
        for step in (0, 1):
            # p2..p9 are the neighbours N, NE, E, SE, S, SW, W, NW of every inner pixel.
            p2, p3, p4, p5 = img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:]
            p6, p7, p8, p9 = img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            count = sum(n.astype(np.uint8) for n in ring[:-1])
            crossings = sum((~a & b).astype(np.uint8) for a, b in zip(ring[:-1], ring[1:], strict=True))
            # The first pass peels south-east boundaries and north-west corners, the second the opposite.
            side = ~(p2 & p4 & p6) & ~(p4 & p6 & p8) if step == 0 else ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
            remove = img[1:-1, 1:-1] & (count >= 2) & (count <= 6) & (crossings == 1) & side
            if remove.any():
                img[1:-1, 1:-1] &= ~remove
                changed = True
        if not changed:
            return img[1:-1, 1:-1]


def path_segments(skeleton: np.ndarray) -> np.ndarray:
    """The pen path of a skeleton as segments joining touching pixels: float32 (N, 2, 2) of (x, y) pixel centres.

    A pixel that touches no other becomes a zero-length segment (a dot).
    """
    ys, xs = np.nonzero(skeleton)
    on = np.pad(skeleton.astype(bool), 1)
    segments = [np.stack([np.stack([xs, ys], 1)] * 2, 1)]  # every pixel as a dot; lines cover most of them
    for dy, dx in _FORWARD:
        touching = on[ys + 1 + dy, xs + 1 + dx]
        start = np.stack([xs[touching], ys[touching]], 1)
        segments.append(np.stack([start, start + (dx, dy)], 1))
    return np.concatenate(segments).astype(np.float32)


def render_pen(segments_xy: np.ndarray, shape_hw: tuple[int, int], width_px: float) -> np.ndarray:
    """Draw segments (N, 2, 2) of (x, y) in image pixels with a round pen width_px wide: ink float32 in [0, 1].

    White ink on black; multiply or invert for other colours.
    """
    height, width = shape_hw
    fine = max(1, math.ceil(MIN_PEN_SUBPIXELS / width_px))
    fine = max(1, min(fine, MAX_FINE_SIDE // max(height, width)))
    # A pixel's centre (i) on the image lies at fine·i + (fine - 1)/2 on the fine grid.
    points = segments_xy * fine + (fine - 1) / 2
    # Only the pen's reach around the path is drawn: the box of whole image pixels it can touch.
    reach = width_px * fine / 2 + 2
    x0, y0 = (np.maximum(np.floor((points.reshape(-1, 2).min(0) - reach) / fine), 0) * fine).astype(int)
    x1 = min(width * fine, int(np.ceil((points[..., 0].max() + reach) / fine)) * fine)
    y1 = min(height * fine, int(np.ceil((points[..., 1].max() + reach) / fine)) * fine)
    ink = np.zeros((height, width), np.float32)
    if x1 <= x0 or y1 <= y0:
        return ink
    centreline = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    shifted = np.round((points - (x0, y0)) * 16).astype(np.int32)  # 4 fractional bits
    cv2.polylines(centreline, list(shifted), False, 0, 1, cv2.LINE_8, 4)
    # The 5×5 mask is within ~2% of the exact distance and 8× faster on large images.
    distance = cv2.distanceTransform(centreline, cv2.DIST_L2, cv2.DIST_MASK_5)
    # Coverage of each fine pixel by the pen's edge: 1 inside, 0 outside, a 1-pixel linear ramp across the edge.
    coverage = np.clip(width_px * fine / 2 - distance + 0.5, 0, 1)
    if fine > 1:
        coverage = cv2.resize(coverage, ((x1 - x0) // fine, (y1 - y0) // fine), interpolation=cv2.INTER_AREA)
    ink[y0 // fine : y1 // fine, x0 // fine : x1 // fine] = coverage
    return ink.astype(np.float32)


def mnist_skeleton(image28: np.ndarray) -> np.ndarray:
    """The pen path of an MNIST digit: path_segments of its thinned ink, upscaled SKELETON_SCALE× (x, y) px."""
    big = cv2.resize(image28.astype(np.float32) / 255, None, fx=SKELETON_SCALE, fy=SKELETON_SCALE)
    # Blurring by half an MNIST pixel rounds off the 28×28 grid's staircase before thinning...
    smooth = cv2.GaussianBlur(big, (0, 0), SKELETON_SCALE / 2) >= INK_LEVEL
    # ...but it also fills the small loops that MNIST drew bold (a 9's head, an 8's top), and the thinned path then
    # lost them: a 9 became a 1, an 8 a 6. The unblurred digit's holes are kept open, so every loop stays a loop.
    return path_segments(skeleton_of(smooth & ~holes_of(big >= INK_LEVEL)))


def holes_of(mask: np.ndarray) -> np.ndarray:
    """The background pixels of a binary image that are enclosed by ink (not connected to its border), bool."""
    paper = np.pad(~mask.astype(bool), 1, constant_values=True).astype(np.uint8)
    _, labels = cv2.connectedComponents(paper, connectivity=4)
    return (paper.astype(bool) & (labels != labels[0, 0]))[1:-1, 1:-1]


def mnist_as_pen(segments_xy: np.ndarray, side: int, width_frac: float, fill: float = 0.7) -> np.ndarray:
    """A digit's pen path drawn centred on a side×side image, its ink's longer side `fill` of the image.

    The pen is width_frac of the ink's longer side (the height, for MNIST digits) wide. Returns the ink
    float32 (side, side) in [0, 1], white on black.
    """
    ink_side = fill * side
    pen_px = width_frac * ink_side
    low, high = segments_xy.reshape(-1, 2).min(0), segments_xy.reshape(-1, 2).max(0)
    # The path's longer side plus the pen's two round ends makes the ink's longer side.
    scale = max(ink_side - pen_px, 1e-3) / max(float((high - low).max()), 1.0)
    placed = (segments_xy - (low + high) / 2) * scale + (side - 1) / 2
    return render_pen(placed, (side, side), pen_px)
