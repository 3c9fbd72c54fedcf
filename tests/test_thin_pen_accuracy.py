"""Real handwriting drawn with a thin pen on a large page, read as an upload is (issue #16).

200 MNIST test digits are turned back into pen strokes (core/vision/pen_strokes.py) and redrawn with a pen 1% of
their height on 1,000 px white images, black on white, then read by the Draw page's upload path, which
`python -m core.predict digits` shares. The full sweep of sizes, pens and photo effects is
benchmarks/digit_robustness.py.
"""

import numpy as np
import pytest

from core import paths
from core.learn import catalog
from core.predictor import Predictor
from core.vision import reading
from core.vision.pen_strokes import mnist_as_pen, mnist_skeleton

pytestmark = [pytest.mark.data, pytest.mark.slow]

DIGITS = 200
SIDE = 1000  # px
PEN = 0.01  # of the digit's height: a 5 px line on a 700 px digit
MIN_ACCURACY = 0.97  # one digit, read with confidence, and the right one


def test_thin_pen_digits_on_a_large_page_are_read():
    mnist = paths.data_dir() / "mnist.npz"
    model = catalog.shipped_model("digits")
    if not mnist.is_file() or not model.is_file():
        pytest.skip(f"needs mnist.npz in HANDLAB_DATA_DIR ({paths.data_dir()}) and {model}")
    with np.load(mnist) as data:
        picks = np.random.default_rng(0).choice(len(data["y_test"]), DIGITS, replace=False)
        images28, labels = data["x_test"][picks], data["y_test"][picks]
    predictor = Predictor(model)
    right = 0
    for image28, label in zip(images28, labels, strict=True):
        page = np.round(255 * (1 - mnist_as_pen(mnist_skeleton(image28), SIDE, PEN))).astype(np.uint8)
        result = reading.read_photo(predictor, np.dstack([page] * 3))
        right += result is not None and len(result.digits) == 1 and result.sure and result.text == str(label)
    assert right / DIGITS >= MIN_ACCURACY, f"{right} of {DIGITS} read right"
