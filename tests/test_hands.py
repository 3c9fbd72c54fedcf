"""Tests for core.vision.hands: finding a hand by skin colour, and cropping the letter input around it."""

import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.arrays import ANY_ARRAY, assert_unit_image, center_of_mass
from helpers.hands import SKIN_TONES_BGR, cluttered_background, draw_hand
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.paths import data_dir
from core.vision.hands import guide_box, letter_from_frame, locate_hand, skin_mask, square_box


def iou(a_xywh: tuple[int, ...], b_xywh: tuple[int, ...]) -> float:
    """Intersection over union of two boxes."""
    ax, ay, aw, ah = a_xywh
    bx, by, bw, bh = b_xywh
    inter_w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = inter_w * inter_h
    return inter / (aw * ah + bw * bh - inter)


@pytest.mark.parametrize("tone", list(SKIN_TONES_BGR))
@pytest.mark.parametrize("background", ["plain", "cluttered"])
@pytest.mark.parametrize(("center_xy", "scale"), [((320, 260), 1.0), ((150, 200), 0.6), ((480, 300), 1.5)])
def test_hand_is_found_where_it_is(tone, background, center_xy, scale):
    frame_bgr = cluttered_background() if background == "cluttered" else np.full((480, 640, 3), 90, np.uint8)
    expected = draw_hand(frame_bgr, center_xy, scale, SKIN_TONES_BGR[tone])
    found = locate_hand(frame_bgr)
    assert found is not None
    assert iou(found, expected) > 0.5


def test_box_is_in_frame_pixels_for_large_frames():
    frame_bgr = np.full((1080, 1920, 3), (200, 120, 60), np.uint8)
    expected = draw_hand(frame_bgr, (1200, 600), 3.0, SKIN_TONES_BGR["medium"])
    found = locate_hand(frame_bgr)
    assert iou(found, expected) > 0.8
    x, y, w, h = found
    assert x >= 0
    assert y >= 0
    assert x + w <= 1920
    assert y + h <= 1080


def test_hand_filling_most_of_a_small_photo_is_found():
    frame_bgr = np.full((128, 128, 3), (180, 180, 180), np.uint8)
    expected = draw_hand(frame_bgr, (64, 80), 0.55, SKIN_TONES_BGR["light"])
    assert iou(locate_hand(frame_bgr), expected) > 0.6


@pytest.mark.parametrize(
    "frame_bgr",
    [
        np.full((480, 640, 3), (200, 80, 30), np.uint8),
        np.full((480, 640, 3), 128, np.uint8),
        np.zeros((120, 160, 3), np.uint8),
        cluttered_background(seed=3),
        np.dstack(  # Noise in blues and greens only.
            [np.random.default_rng(5).integers(100, 256, (240, 320), np.uint8)] * 2
            + [np.random.default_rng(6).integers(0, 90, (240, 320), np.uint8)]
        ),
    ],
    ids=["blue", "grey", "black", "room", "cold-noise"],
)
def test_no_hand_gives_none(frame_bgr):
    assert locate_hand(frame_bgr) is None


def test_skin_coloured_wall_is_not_a_hand():
    assert locate_hand(np.full((480, 640, 3), SKIN_TONES_BGR["light"], np.uint8)) is None


def test_tiny_skin_spot_is_not_a_hand():
    frame_bgr = np.full((480, 640, 3), 90, np.uint8)
    cv2.circle(frame_bgr, (300, 200), 12, SKIN_TONES_BGR["light"], -1)
    assert locate_hand(frame_bgr) is None


def test_skin_mask_marks_skin_and_not_background():
    frame_bgr = cluttered_background()
    draw_hand(frame_bgr, (320, 260), 1.0, SKIN_TONES_BGR["tan"])
    mask = skin_mask(frame_bgr)
    assert mask.shape == frame_bgr.shape[:2]
    assert mask.dtype == np.uint8
    assert mask[260, 320] == 255
    assert mask[5, 5] == 0


@pytest.mark.parametrize("array", [np.zeros((0, 0, 3)), np.zeros((4, 4, 7)), np.full((4, 4), np.nan), "frame"])
def test_bad_frames_are_refused(array):
    with pytest.raises(ValueError, match="."):
        locate_hand(array)


ANY_FRAME = hnp.arrays(
    st.sampled_from([np.bool_, np.uint8, np.uint16, np.int64, np.float32, np.float64]),
    st.one_of(
        hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=10),
        st.sampled_from([(60, 80, 3), (60, 80, 4), (60, 80), (1, 200, 3)]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(frame=ANY_FRAME)
def test_any_array_gives_a_box_inside_the_frame_none_or_value_error(frame):
    try:
        box = locate_hand(frame)
    except ValueError:
        return
    if box is not None:
        x, y, w, h = box
        assert 0 <= x < x + w <= frame.shape[1]
        assert 0 <= y < y + h <= frame.shape[0]


# The letter crop: what the letters model reads from a frame and a hand's box.


@pytest.mark.parametrize("size", [28, 64])
@pytest.mark.parametrize("box_xywh", [None, (100, 80, 120, 160), (0, 0, 60, 50), (600, 400, 40, 80)])
def test_letter_input_is_a_square_greyscale_image(size, box_xywh):
    frame_bgr = np.random.default_rng(1).integers(0, 255, (480, 640, 3), np.uint8)
    out = letter_from_frame(frame_bgr, box_xywh, size=size)
    assert out.shape == (size, size)
    assert out.dtype == np.float32
    assert out.min() >= 0.0
    assert out.max() <= 1.0


def test_letter_crop_is_centred_on_the_box():
    frame_bgr = np.zeros((480, 640, 3), np.uint8)
    frame_bgr[100:300, 250:350] = 255
    out = letter_from_frame(frame_bgr, (250, 100, 100, 200))
    cx, cy = center_of_mass(out)
    assert abs(cx - 13.5) < 1
    assert abs(cy - 13.5) < 1
    assert out[14, 14] == pytest.approx(1.0)
    assert out[14, 1] == pytest.approx(0.0)


def test_square_box_adds_a_margin_and_stays_inside_the_frame():
    assert square_box((100, 100, 100, 200), (480, 640), margin=0.15) == (20, 70, 260, 260)
    x, y, w, h = square_box((0, 0, 100, 100), (480, 640, 3), margin=0.2)
    assert (x, y) == (0, 0)
    assert w == h == 140
    assert square_box((0, 0, 128, 128), (128, 128, 3)) == (0, 0, 128, 128)


def test_square_box_reaches_past_the_frame_only_when_the_box_is_too_big():
    x, y, w, h = square_box((0, 0, 640, 300), (480, 640, 3))
    assert w == h == 640
    assert x == 0
    assert y < 0
    assert letter_from_frame(np.zeros((480, 640, 3), np.uint8), (0, 0, 640, 300)).shape == (28, 28)


def test_guide_box_is_a_centred_square():
    assert guide_box((480, 640, 3)) == (128, 48, 384, 384)


@pytest.mark.parametrize("box_xywh", [(0, 0, 0, 10), (700, 0, 10, 10), ("a", 0, 1, 1), (1, 2, 3)])
def test_bad_box_is_refused(box_xywh):
    with pytest.raises(ValueError, match="box_xywh"):
        letter_from_frame(np.zeros((480, 640, 3), np.uint8), box_xywh)


@pytest.mark.parametrize("size", [0, -3, 2.5, 5000])
def test_bad_size_is_refused(size):
    with pytest.raises(ValueError, match="size"):
        letter_from_frame(np.zeros((48, 64, 3), np.uint8), size=size)


LETTER_FUNCTIONS = {
    "letter_from_frame": letter_from_frame,
    "letter_from_frame_64": lambda image: letter_from_frame(image, size=64),
    "letter_from_frame_box": lambda image: letter_from_frame(image, (1, 1, 5, 3)),
}


@pytest.mark.parametrize("name", list(LETTER_FUNCTIONS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array=ANY_ARRAY)
def test_any_array_gives_a_valid_letter_input_or_value_error(name, array):
    try:
        result = LETTER_FUNCTIONS[name](array)
    except ValueError:
        return
    assert_unit_image(result, 64 if name.endswith("64") else 28)


@pytest.mark.data
def test_hand_is_found_in_most_asl_photos():
    folder = data_dir() / "asl_photos"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (set HANDLAB_DATA_DIR)")
    files = sorted(Path(folder).glob("*/*.jpg"))
    sample = random.Random(0).sample(files, min(480, len(files)))
    found = [locate_hand(cv2.imread(str(path))) for path in sample]
    # Measured 99.8% on 2,400 photos (100 per letter); the margin allows other samples and OpenCV versions.
    assert sum(box is not None for box in found) >= 0.95 * len(sample)
    # The hand fills much of each photo: a box covering under a tenth of it found the wrong thing.
    areas = [w * h / (128 * 128) for _, _, w, h in filter(None, found)]
    assert np.mean(np.array(areas) >= 0.1) >= 0.95
