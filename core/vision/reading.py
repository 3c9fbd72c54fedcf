"""Reading handwritten numbers: every digit's prediction, and an honest verdict on whether to trust them."""

from dataclasses import dataclass, field

import cv2
import numpy as np

from core import images
from core.predictor import Prediction, Predictor
from core.vision import digits as digit_prep
from core.vision.digits import DigitCrop

SURE_FROM = 0.6  # A digit whose top probability is below this is shown as "not sure".
MAX_STROKE_PX = 6.0  # Mean stroke width in the 28×28 input; MNIST's is ≤ 5.1 px for 99.9% of digits, blobs ~9.
MAX_ASPECT = 2.2  # MNIST digits are at most 2× as wide as tall; wider ink is digits that touch, or a dash.
MIN_CANVAS_SIDE = 0.06  # On the canvas, a digit whose longer side is under this fraction of the canvas is a dot.
MAX_DIGITS = 12  # More pieces than this is scribble, not a number.
# A digit of more separate strokes than this is not one: 4 of 10,000 MNIST test digits read as photos have 4, and
# 53 have 3 (faint strokes broken apart); four parallel lines read as a sure "3" before.
MAX_STROKES = 3
# A digits model trained with outlier exposure (core.data.mnist_other) spreads its belief over all ten digits for ink
# that is not a digit. Its card gives the probability of the two likeliest digits together below which the ink is
# read as "not a digit", fitted on digits it never trained on (benchmarks/not_a_digit_threshold.py). Two, not one: a
# digit torn between 4 and 9 is "not sure", not "not a digit". Models without the threshold never say so.
NOT_A_DIGIT_CARD_KEY = "not_a_digit_below"
NOT_A_DIGIT = "That doesn't look like a digit"


@dataclass(frozen=True, eq=False)
class DigitReading:
    """One digit of a drawing or photo: where it is, what the model saw and what it read."""

    crop: DigitCrop
    prediction: Prediction
    problem: str | None = None  # Why the ink does not look like a digit, or None.
    not_a_digit: bool = False  # Whether the model believes the ink is no digit at all (see NOT_A_DIGIT_CARD_KEY).

    @property
    def sure(self) -> bool:
        """Whether the reading is confident and the ink looks like a digit."""
        return self.problem is None and not self.not_a_digit and self.prediction.confidence >= SURE_FROM

    @property
    def no_digit(self) -> bool:
        """Whether the model reads the ink as no digit, and no ink rule says why already."""
        return self.not_a_digit and self.problem is None

    @property
    def guess(self) -> str:
        """The digit, or "?" when not sure."""
        return self.prediction.label if self.sure else "?"

    def maybe(self) -> str:
        """The two likeliest digits as a phrase, e.g. "4 or 9"."""
        return " or ".join(label for label, _ in self.prediction.top(2))

    def closest(self) -> str:
        """The best guess for ink that is no digit, said quietly."""
        return f"Closest digit: {self.prediction.label}, but the model is unsure it's a digit."

    def doubt(self) -> str:
        """Why this digit is not read with confidence, as a sentence."""
        if self.problem:
            return self.problem
        if self.not_a_digit:
            return f"{NOT_A_DIGIT}. {self.closest()}"
        return f"Not sure — maybe {self.maybe()}."


@dataclass(frozen=True, eq=False)
class NumberReading:
    """All digits found in one drawing or photo, left to right."""

    digits: tuple[DigitReading, ...]
    problem: str | None = None  # Why the whole image cannot be read as a number, or None.
    # The drawing or photo the digits came from, BGR uint8, kept so that a correction can save it.
    original_bgr: np.ndarray | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """The most likely number, e.g. "2026"."""
        return "".join(digit.prediction.label for digit in self.digits)

    @property
    def confidence(self) -> float:
        """The probability that every digit is right (the product of the digits' confidences)."""
        return float(np.prod([digit.prediction.confidence for digit in self.digits]))

    @property
    def sure(self) -> bool:
        """Whether every digit is read with confidence and nothing looks odd."""
        return self.problem is None and all(digit.sure for digit in self.digits)

    def verdict(self) -> str:
        """One honest sentence about the reading, e.g. "Not sure — maybe 4 or 9"."""
        if self.problem:
            return self.problem
        unsure = [digit for digit in self.digits if not digit.sure]
        if not unsure:
            return f"Reads {self.text}."
        if len(self.digits) == 1:
            return unsure[0].doubt()
        odd = [n for n, digit in enumerate(self.digits, 1) if digit.no_digit]
        where = [f"digit {n} (maybe {d.maybe()})" for n, d in enumerate(self.digits, 1) if not d.sure and n not in odd]
        sentences = [f"Not sure about {', '.join(where)}."] if where else []
        if odd:
            pieces, verb = " and ".join(f"piece {n}" for n in odd), "doesn't" if len(odd) == 1 else "don't"
            sentences.insert(0, f"{pieces.capitalize()} {verb} look like a digit.")
        return " ".join(sentences)


def read_crops(predictor: Predictor, crops: list[DigitCrop], original_bgr: np.ndarray, canvas: bool) -> NumberReading:
    """Predict every crop in one batch and judge each; original_bgr is the image they were found in."""
    if len(crops) > MAX_DIGITS:
        problem = f"Found {len(crops)} separate pieces: that looks like scribble, not a number."
        return NumberReading((), problem, original_bgr)
    below = not_a_digit_threshold(predictor)
    digits = tuple(
        DigitReading(
            crop,
            Prediction(predictor.labels, row),
            judge_crop(crop, original_bgr.shape, canvas),
            not_a_digit=below is not None and bool(two_likeliest(row) < below),
        )
        for crop, row in _predict_choosing_joins(predictor, crops, original_bgr.shape, canvas)
    )
    return NumberReading(digits, None, original_bgr)


def two_likeliest(probabilities: np.ndarray) -> np.ndarray | float:
    """The probability of the two likeliest classes together, of one row (a float) or of each row of (N, classes)."""
    top = np.partition(probabilities, -2, axis=-1)[..., -2:].sum(axis=-1)
    return float(top) if np.ndim(top) == 0 else top


def not_a_digit_threshold(predictor: Predictor) -> float | None:
    """The two_likeliest probability under which the predictor's model reads ink as no digit (its card's), or None."""
    below = predictor.card.get(NOT_A_DIGIT_CARD_KEY)
    if below is None:
        return None
    if isinstance(below, bool) or not isinstance(below, int | float) or not 0 <= below <= 1:
        raise ValueError(
            f"The model card {predictor.model_path.with_suffix('.json').name} has {NOT_A_DIGIT_CARD_KEY} = {below!r}: "
            "it must be a probability from 0 to 1. Fit it again with benchmarks/not_a_digit_threshold.py."
        )
    return float(below)


def _predict_choosing_joins(
    predictor: Predictor, crops: list[DigitCrop], image_shape: tuple[int, ...], canvas: bool
) -> list[tuple[DigitCrop, np.ndarray]]:
    """Each digit with its probabilities, all predicted in one batch, joined digits included.

    Where two neighbours may be one digit in two strokes, the reading the model is surer of is kept: two digits (as
    sure as the product of their confidences) or one (which must also look like a digit).
    """
    candidates = [
        index
        for index, crop in enumerate(crops[:-1])
        if crop.joined is not None and judge_crop(crop.joined, image_shape, canvas) is None
    ]
    images = [crop.image for crop in crops] + [crops[index].joined.image for index in candidates]
    rows = predictor.predict_batch(np.stack(images)) if images else np.zeros((0, len(predictor.labels)))
    sure = rows.max(axis=1)
    joined_row = dict(zip(candidates, range(len(crops), len(rows)), strict=True))
    chosen, index = [], 0
    while index < len(crops):
        row = joined_row.get(index)
        if row is not None and sure[row] > sure[index] * sure[index + 1]:
            chosen.append((crops[index].joined, rows[row]))
            index += 2
        else:
            chosen.append((crops[index], rows[index]))
            index += 1
    return chosen


def judge_crop(crop: DigitCrop, image_shape: tuple[int, ...], canvas: bool) -> str | None:
    """Say why a crop does not look like a digit (a dot, a blob, a dash, touching digits, loose strokes), or None."""
    _, _, width, height = crop.box_xywh
    if canvas and max(width, height) < MIN_CANVAS_SIDE * max(image_shape[:2]):
        return "That is very small: draw the digit bigger."
    if width > MAX_ASPECT * height:
        return "That is wider than a digit: leave a small gap between digits."
    if crop.strokes > MAX_STROKES:
        return f"That is {crop.strokes} separate strokes, not one digit: draw each digit in one or two strokes."
    if stroke_width_px(crop.image) > MAX_STROKE_PX:
        return "That looks like a blob, not a digit: draw it with lines."
    return None


def stroke_width_px(image01: np.ndarray) -> float:
    """The mean stroke width in pixels of the ink above 0.5."""
    return digit_prep.stroke_width(image01 > 0.5)


def read_canvas(predictor: Predictor, image_rgba: np.ndarray | None) -> NumberReading | None:
    """Read the number drawn on the canvas; None when there is no ink."""
    crops = digit_prep.digits_from_canvas(image_rgba)
    if not crops:
        return None
    # The page's canvas is opaque black, so dropping alpha keeps the drawing as the user saw it.
    code = cv2.COLOR_RGBA2BGR if image_rgba.shape[2] == 4 else cv2.COLOR_RGB2BGR
    return read_crops(predictor, crops, cv2.cvtColor(images.to_uint8(image_rgba), code), canvas=True)


def read_photo(predictor: Predictor, image_bgr: np.ndarray) -> NumberReading | None:
    """Read the handwritten number in a photo or scan; None when no ink is found."""
    crops = digit_prep.digits_from_image(image_bgr)
    return read_crops(predictor, crops, images.to_bgr(image_bgr), canvas=False) if crops else None


def outline_digits(image_bgr: np.ndarray, reading: NumberReading) -> np.ndarray:
    """A copy of the image with a box and the reading drawn around every digit (green if sure, orange if not)."""
    out = images.to_bgr(image_bgr).copy()
    line = max(2, round(max(out.shape[:2]) / 250))
    for digit in reading.digits:
        x, y, w, h = digit.crop.box_xywh
        color = (80, 175, 76) if digit.sure else (0, 152, 255)
        cv2.rectangle(out, (x, y), (x + w, y + h), color, line)
        scale = max(0.6, h / 110)  # Hershey glyphs are ~22 px tall at scale 1: label ≈ 1/5 of the digit.
        text_h = round(22 * scale)
        baseline = y - line - 4 if y - line - 4 >= text_h else y + h + text_h + line + 4
        cv2.putText(out, digit.guess, (x, baseline), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 2 * line, cv2.LINE_AA)
    return out
