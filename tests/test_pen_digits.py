"""MNIST training digits redrawn with any pen and read back as uploads (core/data/pen_digits.py)."""

import cv2
import numpy as np
import pytest

from core.data import pen_digits
from core.data.loaders import Dataset
from core.vision.reading import stroke_width_px


def bold_seven() -> np.ndarray:
    """A 7 as MNIST gives it: 28×28 uint8, white on black, a bold stroke in a 20 px box."""
    image = np.zeros((28, 28), np.uint8)
    cv2.polylines(image, [np.int32([[8, 5], [20, 5], [13, 24]])], False, 255, 3, cv2.LINE_AA)
    return image


def test_a_redrawn_digit_comes_back_as_mnist_with_its_stroke_whatever_the_pen():
    rng = np.random.default_rng(0)

    copies = [pen_digits.pen_digit(bold_seven(), rng) for _ in range(12)]

    for copy in copies:
        assert copy is not None
        assert copy.shape == (28, 28)
        assert copy.dtype == np.uint8
        assert 1.6 <= stroke_width_px(copy / 255) <= 3.6  # MNIST's median is 2.4 px, whatever pen drew it
        assert copy[:4].max() == 0  # the ink's box is 20 px, centred
        assert copy[[0, -1]].max() == 0


def test_copies_keep_their_labels_and_drop_what_the_reader_loses():
    x_train = np.stack([bold_seven(), np.zeros((28, 28), np.uint8), bold_seven()])
    y_train = np.array([7, 3, 7])

    x_pen, y_pen = pen_digits.pen_copies(x_train, y_train, 3, seed=0)

    assert y_pen.tolist() == [7, 7]  # a blank image has no digit to read back
    assert x_pen.shape == (2, 28, 28)


def test_mnist_pen_adds_the_copies_to_training_only_and_caches_them(monkeypatch):
    x = np.stack([bold_seven()] * 4)
    mnist = Dataset("mnist", x, np.array([7, 7, 7, 7]), x[:1], np.array([7]), tuple("0123456789"))

    pen = pen_digits.load_mnist_pen(mnist, count=2)
    monkeypatch.setattr(pen_digits, "pen_copies", lambda *args: pytest.fail("read from the cache"))
    again = pen_digits.load_mnist_pen(mnist, count=2)

    assert pen.x_train.shape == (6, 28, 28)
    assert pen.y_train.tolist() == [7] * 6
    assert pen.x_test is mnist.x_test
    np.testing.assert_array_equal(again.x_train, pen.x_train)
