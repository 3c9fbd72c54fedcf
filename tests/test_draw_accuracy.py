"""Accuracy of the Draw page's whole canvas path on real handwriting: MNIST test digits re-drawn as canvas images.

Each digit is upscaled onto a 280×280 canvas at a random size (25–90% of the side) and place, with a pen
0.6–2× as wide as MNIST's, then read exactly as the page reads a drawing (split, normalise, predict).
Numbers are four such digits side by side, at one size and pen, as a person writes them.
"""

import numpy as np
import pytest
from helpers.drawings import place_side_by_side

from core import paths
from core.data.canvas_digits import mnist_as_canvas
from core.predictor import Predictor
from core.vision import reading

pytestmark = [pytest.mark.data, pytest.mark.slow]

DIGITS = 2000  # of MNIST's 10,000 test digits: enough for ±0.25% and fast.
MIN_DIGIT_ACCURACY = 0.99
NUMBERS = 300
MIN_NUMBER_ACCURACY = 0.94  # Four digits at 99% each are all right 96% of the time; 300 numbers vary by ±1%.


@pytest.fixture(scope="module")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    mnist = paths.data_dir() / "mnist.npz"
    if not mnist.is_file():
        pytest.skip(f"needs mnist.npz in HANDLAB_DATA_DIR ({paths.data_dir()})")
    with np.load(mnist) as data:
        return data["x_test"], data["y_test"]


@pytest.fixture(scope="module")
def predictor(shipped_digits_predictor: Predictor) -> Predictor:
    return shipped_digits_predictor


def read(predictor: Predictor, image_rgba: np.ndarray) -> str:
    result = reading.read_canvas(predictor, image_rgba)
    return result.text if result else ""


def test_mnist_drawn_on_the_canvas_is_read_with_99_percent_accuracy(mnist_test, predictor):
    x_test, y_test = mnist_test
    rng = np.random.default_rng(0)
    mistakes = []
    for i in rng.choice(len(x_test), DIGITS, replace=False):
        text = read(predictor, mnist_as_canvas(x_test[i], rng))
        if text != str(y_test[i]):
            mistakes.append(f"#{i}: {y_test[i]} read as {text or 'nothing'}")

    accuracy = 1 - len(mistakes) / DIGITS
    print(f"canvas pipeline: {accuracy:.2%} of {DIGITS} drawn digits")
    assert accuracy >= MIN_DIGIT_ACCURACY, f"{accuracy:.2%} of {DIGITS} drawn digits; mistakes: {mistakes[:15]}"


def test_four_digit_numbers_are_read_whole(mnist_test, predictor):
    x_test, y_test = mnist_test
    rng = np.random.default_rng(1)
    mistakes = []
    for _ in range(NUMBERS):
        picks = rng.choice(len(x_test), 4, replace=False)
        size, pen = rng.uniform(0.25, 0.9), rng.uniform(0.6, 2.0)
        digits = [mnist_as_canvas(x_test[i], rng, size=size, thickness=pen) for i in picks]
        number = "".join(str(y_test[i]) for i in picks)
        text = read(predictor, place_side_by_side(digits, gap=int(rng.integers(8, 30))))
        if text != number:
            mistakes.append(f"{number} read as {text or 'nothing'}")

    accuracy = 1 - len(mistakes) / NUMBERS
    print(f"canvas pipeline: {accuracy:.1%} of {NUMBERS} drawn numbers")
    assert accuracy >= MIN_NUMBER_ACCURACY, f"{accuracy:.1%} of {NUMBERS} numbers; mistakes: {mistakes[:15]}"
