"""The "not a digit" threshold of a digits model trained with outlier exposure (core.data.mnist_other).

The Draw page reads ink as no digit when the probability of its two likeliest digits together falls under the model
card's `not_a_digit_below` (core/vision/reading.py says why two). The threshold is set so that DIGITS_FLAGGED of
real digits, drawn on the canvas as people draw them (core.data.canvas_digits), fall under it: digits the model was
never fitted on. The trainer fits it on a run's validation digits; benchmarks/not_a_digit_threshold.py on MNIST test
digits that no reported figure uses, for the shipped model.
"""

import numpy as np

from core.data.canvas_digits import mnist_as_canvas
from core.predictor import Predictor
from core.vision import reading

DIGITS_FLAGGED = 0.003  # of the digits it is fitted on; the Draw page's target is at most 0.5% of held-out ones


def lowest_score(predictor: Predictor, image_rgba: np.ndarray) -> float:
    """The lowest reading.two_likeliest over the digits the page reads in a drawing (1 when it finds none).

    The digits the page reads, not the pieces of ink: a 4 or a 5 drawn in two strokes is read as one digit (its two
    strokes joined), and a stroke alone, which is no digit, must not pull the threshold down.
    """
    result = reading.read_canvas(predictor, image_rgba)
    if result is None or not result.digits:
        return 1.0
    return float(min(reading.two_likeliest(digit.prediction.probabilities) for digit in result.digits))


def canvas_digit_scores(predictor: Predictor, digits28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """lowest_score of each 28×28 digit (uint8, white on black) drawn on the canvas at a random size, place and pen."""
    return np.array([lowest_score(predictor, mnist_as_canvas(digit, rng)) for digit in digits28])


def card_fields(scores: np.ndarray, fitted_on: str) -> dict:
    """The card's threshold (the DIGITS_FLAGGED quantile of the digits' scores) and what it was fitted on."""
    below = float(np.quantile(scores, DIGITS_FLAGGED))
    return {
        reading.NOT_A_DIGIT_CARD_KEY: round(below, 4),
        "not_a_digit": {
            "fitted_on": f"{fitted_on}, {DIGITS_FLAGGED:.1%} of them under it",
            "digits_flagged": round(float(np.mean(scores < below)), 4),
        },
    }
