"""Tests for core.vision.fashion: a photo of a clothing item becomes a Fashion-MNIST-like input."""

import cv2
import numpy as np
import pytest
from helpers.arrays import ANY_ARRAY, assert_unit_image
from hypothesis import HealthCheck, given, settings

from core.vision.fashion import item_from_image


def shirt_photo(background: int, item: int) -> np.ndarray:
    """A T-shirt-like shape photographed off-centre on a plain background."""
    grey = np.full((400, 600), background, np.uint8)
    cv2.rectangle(grey, (250, 100), (400, 380), item, -1)  # Body.
    cv2.rectangle(grey, (200, 100), (450, 170), item, -1)  # Sleeves.
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize(("background", "item"), [(245, 60), (10, 200)])
def test_item_on_any_background_becomes_light_on_black_filling_the_frame(background, item):
    out = item_from_image(shirt_photo(background, item))
    assert out.shape == (28, 28)
    assert out.dtype == np.float32
    assert out[27, 0] == pytest.approx(0.0, abs=0.02)  # Beside the body, below a sleeve.
    assert out[14, 14] > 0.7
    x, y, w, h = cv2.boundingRect((out > 0.3).astype(np.uint8))
    assert h == 28
    assert 24 <= w <= 26


def test_item_size_is_a_parameter():
    assert item_from_image(shirt_photo(245, 60), size=64).shape == (64, 64)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array=ANY_ARRAY)
def test_any_array_gives_a_valid_item_input_or_value_error(array):
    try:
        result = item_from_image(array)
    except ValueError:
        return
    assert_unit_image(result, 28)
