"""Pen strokes (core/vision/pen_strokes.py): thinning, and redrawing a path at a known pen width."""

import math

import cv2
import numpy as np
import pytest

from core.vision.pen_strokes import holes_of, mnist_as_pen, mnist_skeleton, path_segments, render_pen, skeleton_of


def ring_path(side: int, radius: float) -> tuple[np.ndarray, float]:
    """A 1-pixel circle centred on a side×side image as path segments, and its length in pixels."""
    mask = np.zeros((side, side), np.uint8)
    cv2.circle(mask, (side // 2, side // 2), round(radius), 1, 1, cv2.LINE_8)
    return path_segments(mask.astype(bool)), 2 * math.pi * round(radius)


def width_from_distance(ink01: np.ndarray, path: np.ndarray) -> float:
    """Twice the median distance from the path's pixels to the paper, in the ink thresholded at 0.5."""
    distance = cv2.distanceTransform((ink01 >= 0.5).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    xs, ys = np.round(path[:, 0]).astype(int).T
    # The distance is taken from pixel centres, so a band w pixels wide reads about w/2 + 1/2 in its middle.
    return 2 * float(np.median(distance[ys, xs])) - 1


@pytest.mark.parametrize(
    ("side", "width_px"),
    [(64, 1.0), (64, 3.0), (1000, 8.0), (1000, 60.0)],
    ids=["small-1px", "small-3px", "big-8px", "big-60px"],
)
def test_a_ring_redrawn_at_width_w_measures_w(side, width_px):
    path, length = ring_path(side, 0.3 * side)

    ink = render_pen(path, (side, side), width_px)

    by_area = float(ink.sum()) / length  # A ring has no ends: its ink is exactly length × width.
    assert by_area == pytest.approx(width_px, rel=0.3)
    if width_px >= 3:  # Thinner pens are grey, not a band a threshold can measure.
        assert width_from_distance(ink, path) == pytest.approx(width_px, rel=0.3)


def test_a_pen_thinner_than_a_pixel_draws_a_faint_line_with_the_right_ink():
    path, length = ring_path(100, 30)

    ink = render_pen(path, (100, 100), 0.3)

    assert ink.max() < 0.7
    assert float(ink.sum()) / length == pytest.approx(0.3, rel=0.3)


def test_thinning_a_thick_bar_leaves_a_one_pixel_centreline():
    bar = np.zeros((40, 120), np.uint8)
    cv2.rectangle(bar, (10, 14), (109, 25), 1, -1)

    skeleton = skeleton_of(bar)

    rows = np.nonzero(skeleton[:, 30:90])[0]
    assert skeleton[:, 30:90].sum(axis=0).max() == 1
    assert abs(float(rows.mean()) - 19.5) <= 1


@pytest.mark.parametrize(("side", "width_frac"), [(64, 0.04), (1000, 0.15)])
def test_a_digit_path_fills_70_percent_of_the_image_with_a_pen_in_proportion(side, width_frac):
    path = np.float32([[[0, 0], [0, 50]], [[0, 50], [30, 50]]])  # an L, 50 px tall in path units

    ink = mnist_as_pen(path, side, width_frac)

    _, _, _, h = cv2.boundingRect((ink >= 0.5).astype(np.uint8))
    assert h == pytest.approx(0.7 * side, rel=0.05)
    length_px = 80 * (0.7 * side * (1 - width_frac)) / 50
    caps = math.pi * (width_frac * 0.7 * side) ** 2 / 4  # the two round ends, half a pen's disc each
    by_area = (float(ink.sum()) - caps) / length_px
    assert by_area == pytest.approx(width_frac * 0.7 * side, rel=0.3)


def test_a_bold_loop_with_a_small_hole_stays_a_loop_when_redrawn():
    # A 9 as MNIST draws it with a bold pen: a head of solid ink around a hole of one pixel, and a stem.
    image28 = np.zeros((28, 28), np.uint8)
    cv2.circle(image28, (14, 9), 4, 255, -1)
    cv2.line(image28, (17, 10), (15, 24), 255, 3)
    image28[9, 14] = 0
    assert holes_of(image28 > 127).any()

    ink = mnist_as_pen(mnist_skeleton(image28), 512, 0.04)

    assert holes_of(ink >= 0.5).sum() > 100  # px: the head is still a loop (it was a solid line: a 9 read as a 1)


def test_holes_are_the_paper_enclosed_by_ink():
    ring = np.zeros((20, 20), np.uint8)
    cv2.circle(ring, (10, 10), 6, 1, 2)

    holes = holes_of(ring.astype(bool))

    assert holes[10, 10]
    assert not holes[0, 0]
    assert not holes[10, 16]  # the ink itself


def test_a_faint_join_keeps_a_digit_in_one_piece_when_redrawn():
    # A 5 whose bar MNIST drew light: the bar meets the body in grey (0.45), as a light pen stroke scans.
    image28 = np.zeros((28, 28), np.uint8)
    cv2.polylines(image28, [np.int32([[10, 8], [9, 14], [15, 14], [18, 19], [14, 23], [8, 22]])], False, 255, 2)
    cv2.line(image28, (14, 7), (21, 6), 255, 2)
    cv2.line(image28, (10, 8), (14, 7), 115, 2)

    ink = mnist_as_pen(mnist_skeleton(image28), 512, 0.04)

    count, _ = cv2.connectedComponents((ink >= 0.5).astype(np.uint8))
    assert count - 1 == 1
