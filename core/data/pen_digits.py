"""MNIST as uploads show it to the model: training digits redrawn with any pen at any size, then read back.

MNIST's digits all have MNIST's own bold stroke, but a digit uploaded from a scan, a paint program or a phone
photo comes with any pen, at any size, and the upload reader evens its stroke before the model sees it. The
model never saw that evened ink in training (issue #16). `load_mnist_pen` adds a redrawn copy of a share of
MNIST's **training** digits (`pen_strokes`: thinned to their centreline, drawn again with a round pen) read back
through the upload reader (`digits.digits_from_image`), so training sees what uploads give. MNIST's test set is
unchanged. The copies are cached, keyed by the code that makes them.
"""

import math
from pathlib import Path

import cv2
import numpy as np

from core.data import npz_cache
from core.data.loaders import Dataset
from core.paths import cache_dir
from core.vision import digit_groups, digits, pen_strokes

PEN_DIGITS = 20_000  # MNIST training digits that also come redrawn (all 60,000 stay as MNIST drew them)
PEN_WIDTHS = (0.008, 0.18)  # the pen, as a fraction of the digit's height: log-uniform between these
# px, the square page's side, log-uniform: larger costs time and reads alike; at under 48 px a thin pen breaks up.
PAGE_SIDES = (48, 600)
SEED = 0


def pen_digit(image28: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """One MNIST digit redrawn with a random pen on a random-sized white page and normalised as an upload is.

    Returns (28, 28) uint8, white ink on black, as MNIST's images are; None where the reader does not find one
    digit (pieces of a digit would teach the model to read fragments as that digit).
    """
    side = round(math.exp(rng.uniform(*np.log(PAGE_SIDES))))
    width = math.exp(rng.uniform(*np.log(PEN_WIDTHS)))
    path = pen_strokes.mnist_skeleton(image28)
    if not len(path):
        return None
    ink01 = pen_strokes.mnist_as_pen(path, side, width)
    page = cv2.cvtColor(np.round(255 * (1 - ink01)).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    crops = digits.digits_from_image(page)
    if len(crops) == 1:
        crop = crops[0]
    elif len(crops) == 2 and crops[0].joined is not None:
        crop = crops[0].joined  # a digit in two pieces, which the reader may read as one
    else:
        return None
    return np.round(255 * crop.image).astype(np.uint8)


def pen_copies(x_train: np.ndarray, y_train: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Redrawn copies of `count` training digits picked at random: uint8 (count, 28, 28) and their labels."""
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(len(x_train), count, replace=False))
    copies = [pen_digit(image, rng) for image in x_train[picks]]
    kept = [index for index, copy in enumerate(copies) if copy is not None]
    return np.stack([copies[index] for index in kept]), y_train[picks][kept]


def load_mnist_pen(mnist: Dataset, count: int = PEN_DIGITS) -> Dataset:
    """MNIST with `count` redrawn copies of training digits added to its training set (cached)."""
    makers = (digits, digit_groups, pen_strokes)
    code = npz_cache.code_digest([Path(__file__), *(Path(module.__file__) for module in makers)])
    key = f"{code} {count} {SEED} {PEN_WIDTHS} {PAGE_SIDES} {len(mnist.x_train)} {int(mnist.x_train[:100].sum())}"
    cache = cache_dir() / "mnist_pen.npz"
    arrays = npz_cache.read_arrays(cache, key, ("x", "y"))
    if arrays is None:
        arrays = pen_copies(mnist.x_train, mnist.y_train, count, SEED)
        npz_cache.write_arrays(cache, key, {"x": arrays[0], "y": arrays[1]})
    x_pen, y_pen = arrays
    x_train = np.concatenate([mnist.x_train, x_pen])
    y_train = np.concatenate([mnist.y_train, y_pen.astype(mnist.y_train.dtype)])
    return Dataset("mnist_pen", x_train, y_train, mnist.x_test, mnist.y_test, mnist.class_names)
