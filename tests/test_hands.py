"""Tests for core.vision.hands: the letter input cropped around a hand's box."""

import numpy as np
import pytest
from helpers.arrays import ANY_ARRAY, assert_unit_image, center_of_mass
from hypothesis import HealthCheck, given, settings

from core.vision.hands import guide_box, letter_from_frame, square_box

# The letter crop: what the letters model reads from a frame and a hand's box.


@pytest.mark.parametrize("size", [28, 64])
@pytest.mark.parametrize("box_xywh", [(100, 80, 120, 160), (0, 0, 60, 50), (600, 400, 40, 80)])
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
        letter_from_frame(np.zeros((48, 64, 3), np.uint8), (1, 1, 5, 3), size=size)


LETTER_FUNCTIONS = {
    "letter_from_frame": lambda image: letter_from_frame(image, (0, 0, 1, 1)),
    "letter_from_frame_64": lambda image: letter_from_frame(image, (0, 0, 1, 1), size=64),
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
