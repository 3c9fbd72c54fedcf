"""MNIST with ink that is not a digit: the `mnist_other` dataset, which teaches the digits model to say so.

A model trained on digits alone reads a letter A as a sure "4" (issue #32). Outlier exposure (Hendrycks et al.,
"Deep Anomaly Detection with Outlier Exposure", 2019) fixes that without an eleventh class: the training set gets
drawings that are not digits, labelled NO_CLASS, whose target is the same probability for every digit. The model
keeps its ten outputs (every page, card and run reads it as before) and learns to spread its belief over all of
them for what is not a digit, so a low top probability after calibration means "not a digit".

The drawings come from `non_digits.TUNING`'s fonts and shape families only (with their own seed): the
`HELD_OUT` set, which the benchmark reports on, shares none of its fonts. Letters written like a digit (O, l, S,
...) are left out: teaching the model that a plain stroke is not a digit would teach it that a 1 is not one.
Digits drawn by the same fonts and pen are added with their labels, so that the model learns what a digit is
and not what a font looks like; MNIST training digits turned or mirrored into no digit (a 7 upside down, a 4
sideways) show it where a digit's shape ends. What the user saved on the Draw page with "That was wrong?" is added
too, each SAVED_REPEAT times: drawings saved as no digit ("It's not a digit"), so that the kinds of ink no
generator here draws can be taught by the people who draw them, and digits saved with their right label, so that a
digit it took for no digit is taught back. MNIST's test set is unchanged.
"""

from pathlib import Path

import numpy as np

from core.data import non_digits, npz_cache, samples
from core.data.loaders import NO_CLASS, Dataset
from core.labels import DIGITS
from core.paths import cache_dir
from core.vision import digit_groups, digits, pen_strokes

OTHER_DRAWINGS = 30_000  # not-digit drawings read into 28×28 inputs (some give two pieces)
FONT_DIGITS = 3_000  # digits drawn with the same fonts and pen, with their labels
LETTER_SHARE, SYMBOL_SHARE = 0.4, 0.2  # of the not-digit drawings; the rest are shapes and doodles
SEED = 10  # neither TUNING's nor HELD_OUT's
TURNED_DIGITS = 10_000  # MNIST training digits turned or mirrored into shapes that are no digit
# Which digits stay no digit when turned (a 6 upside down is a 9, a 0, 1 or 8 is itself, a 2 or 5 is nearly itself):
# by quarter turns anticlockwise, and mirrored left to right.
TURNS = {1: (2, 3, 4, 5, 6, 7, 9), 2: (3, 4, 7), 3: (2, 3, 4, 5, 6, 7, 9)}
MIRRORED = (3, 4, 7)
# Each drawing the user saved as no digit counts this many times: a few dozen among 40,000 generated ones would
# barely move the model in a 1–3 epoch fine-tune.
SAVED_REPEAT = 10


def other_inputs(count: int, seed: int) -> np.ndarray:
    """28×28 inputs (uint8, white on black) of about `count` not-digit drawings from TUNING's fonts and shapes,
    read from the canvas as the Draw page reads them (every piece of a drawing is one input)."""
    rng = np.random.default_rng(seed)
    letters = [letter for letter in non_digits.LETTERS if letter not in non_digits.DIGIT_LOOKALIKES]
    fonts = non_digits.set_fonts(non_digits.TUNING)
    truetype = [font for _, font in fonts if isinstance(font, str)]
    shapes = non_digits.TUNING.shapes
    images = []
    for index in range(count):
        if index < LETTER_SHARE * count:
            path = non_digits.glyph_path(str(rng.choice(letters)), fonts[int(rng.integers(len(fonts)))][1])
        elif index < (LETTER_SHARE + SYMBOL_SHARE) * count and truetype:
            path = non_digits.glyph_path(str(rng.choice(list(non_digits.SYMBOLS))), str(rng.choice(truetype)))
            if not len(path):
                continue
        else:
            path = non_digits.strokes_to_segments(non_digits.SHAPES[str(rng.choice(shapes))](rng), rng)
        images += [crop.image for crop in digits.digits_from_canvas(non_digits.draw_on_canvas(path, rng))]
    return _as_uint8(images)


def font_digit_inputs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28×28 inputs of `count` digits drawn by TUNING's fonts with the same pen, and their labels (one-piece
    readings only, as the pen digits keep)."""
    rng = np.random.default_rng(seed)
    fonts = non_digits.set_fonts(non_digits.TUNING)
    images, labels = [], []
    for _ in range(count):
        digit = int(rng.integers(10))
        path = non_digits.glyph_path(str(digit), fonts[int(rng.integers(len(fonts)))][1])
        crops = digits.digits_from_canvas(non_digits.draw_on_canvas(path, rng))
        if len(crops) == 1:
            images.append(crops[0].image)
            labels.append(digit)
    return _as_uint8(images), np.array(labels, np.int64)


def turned_digits(x_train: np.ndarray, y_train: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` training digits turned sideways or upside down, or mirrored, where that makes them no digit: the
    nearest kind of ink that is not a digit, so the model learns where a digit's shape ends."""
    rng = np.random.default_rng(seed)
    ways = [(turns, False, digit) for turns, digits in TURNS.items() for digit in digits]
    ways += [(0, True, digit) for digit in MIRRORED]
    of_digit = {digit: np.flatnonzero(y_train == digit) for digit in range(10)}
    out = []
    for way in rng.integers(len(ways), size=count):
        turns, mirror, digit = ways[way]
        image = x_train[rng.choice(of_digit[digit])]
        out.append(np.rot90(np.fliplr(image) if mirror else image, turns))
    return np.stack(out)


def load_mnist_other(pen: Dataset) -> Dataset:
    """`mnist_pen` with not-digit drawings (label NO_CLASS) and font digits added to its training set (cached)."""
    makers = (non_digits, digits, digit_groups, pen_strokes)
    code = npz_cache.code_digest([Path(__file__), *(Path(module.__file__) for module in makers)])
    fonts = [name for name, _ in non_digits.set_fonts(non_digits.TUNING)]
    key = f"{code} {OTHER_DRAWINGS} {FONT_DIGITS} {LETTER_SHARE} {SYMBOL_SHARE} {SEED} {fonts}"
    cache = cache_dir() / "mnist_other.npz"
    arrays = npz_cache.read_arrays(cache, key, ("x_other", "x_font", "y_font"))
    if arrays is None:
        x_font, y_font = font_digit_inputs(FONT_DIGITS, SEED + 1)
        arrays = other_inputs(OTHER_DRAWINGS, SEED), x_font, y_font
        npz_cache.write_arrays(cache, key, dict(zip(("x_other", "x_font", "y_font"), arrays, strict=True)))
    x_drawn, x_font, y_font = arrays
    x_saved, y_saved = saved_drawings()
    x_other = np.concatenate([x_drawn, turned_digits(pen.x_train, pen.y_train, TURNED_DIGITS, SEED)])
    x_train = np.concatenate([pen.x_train, x_font, x_other, np.repeat(x_saved, SAVED_REPEAT, 0)])
    y_other = np.full(len(x_other), NO_CLASS, pen.y_train.dtype)
    y_repeated = np.repeat(y_saved, SAVED_REPEAT)
    y_train = np.concatenate([pen.y_train, y_font, y_other, y_repeated]).astype(pen.y_train.dtype)
    about = f"mnist_pen's {len(pen.x_train):,} digits, {len(x_font):,} font digits, "
    about += f"{len(x_drawn):,} not-digit drawings ({', '.join(fonts)}; symbols; shapes: "
    about += f"{', '.join(non_digits.TUNING.shapes)}), {TURNED_DIGITS:,} MNIST digits turned or mirrored into no digit"
    if len(x_saved):
        not_digits = int(np.sum(y_saved == NO_CLASS))
        digits_saved = len(y_saved) - not_digits
        about += f"; saved on the Draw page (each {SAVED_REPEAT}×): {not_digits:,} piece{'s' * (not_digits != 1)} of "
        about += f"no digit, {digits_saved:,} digit{'s' * (digits_saved != 1)} with the right label"
    return Dataset("mnist_other", x_train, y_train, pen.x_test, pen.y_test, pen.class_names, about=about)


def saved_drawings() -> tuple[np.ndarray, np.ndarray]:
    """What the user saved with the Draw page's "That was wrong?": 28×28 inputs, and labels (NO_CLASS for a piece
    saved as no digit)."""
    x, labels = samples.load_all(samples.MY_DIGITS, (*DIGITS, samples.NOT_A_DIGIT))
    return x, np.array([NO_CLASS if label == samples.NOT_A_DIGIT else int(label) for label in labels], np.int64)


def _as_uint8(images01: list[np.ndarray]) -> np.ndarray:
    return np.round(255 * np.stack(images01)).astype(np.uint8)
