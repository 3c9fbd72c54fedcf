"""Fit a digits model's "not a digit" threshold and write it into its card (`not_a_digit_below`).

The threshold is the probability of the two likeliest digits together (calibrated, as the pages see it) under which
the Draw page says "That doesn't look like a digit" (core/vision/reading.py says why two). It is set so that
DIGITS_FLAGGED of real digits fall under it: MNIST test digits drawn on the canvas the way
tests/test_draw_accuracy.py draws them, but only those that test and benchmarks/non_digits.py's canvas figures
never use, with another seed. The tuning set of non-digits (core/data/non_digits.py: TUNING) shows what that
threshold flags; the held-out set is left to the benchmark. The model file is not touched. It lives with the
benchmarks, whose canvas drawings (tests/helpers/drawings.py) and figures it shares.

    HANDLAB_DATA_DIR=../shared/datasets python -m benchmarks.not_a_digit_threshold models/digits.keras [--dry-run]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.non_digits import CANVAS_DIGITS, FLAGGED, load_mnist_test, outcome
from core.data import non_digits
from core.predictor import Predictor
from core.storage import write_text_atomically
from core.vision import reading
from tests.helpers.drawings import mnist_as_canvas

DIGITS_FLAGGED = 0.003  # of the tuning digits; the target is at most 0.5% of the held-out ones
TUNING_DIGITS = 4000
SEED = 7


def lowest_score(predictor: Predictor, image_rgba: np.ndarray) -> float:
    """The lowest reading.two_likeliest over the digits the page reads in a drawing (1 when it finds none).

    The digits the page reads, not the pieces of ink: a 4 or a 5 drawn in two strokes is read as one digit (its two
    strokes joined), and a stroke alone, which is no digit, must not pull the threshold down.
    """
    result = reading.read_canvas(predictor, image_rgba)
    if result is None or not result.digits:
        return 1.0
    return float(min(reading.two_likeliest(digit.prediction.probabilities) for digit in result.digits))


def tuning_digit_scores(predictor: Predictor) -> np.ndarray:
    """lowest_score of MNIST test digits that the canvas figures never use, drawn on the canvas."""
    x_test, _ = load_mnist_test()
    reported = np.random.default_rng(0).choice(len(x_test), CANVAS_DIGITS, replace=False)
    rng = np.random.default_rng(SEED)
    pool = np.setdiff1d(np.arange(len(x_test)), reported)
    return np.array([lowest_score(predictor, mnist_as_canvas(x_test[i], rng)) for i in rng.choice(pool, TUNING_DIGITS)])


def fit(model_path: Path) -> dict:
    """The threshold and what it does on the tuning digits and non-digits."""
    predictor = Predictor(model_path)
    scores = tuning_digit_scores(predictor)
    below = float(np.quantile(scores, DIGITS_FLAGGED))
    predictor.card[reading.NOT_A_DIGIT_CARD_KEY] = below
    outcomes = [
        outcome(reading.read_canvas(predictor, item.image_rgba)) for item in non_digits.drawings(non_digits.TUNING)
    ]
    return {
        reading.NOT_A_DIGIT_CARD_KEY: round(below, 4),
        "not_a_digit": {
            "fitted_on": f"{TUNING_DIGITS} MNIST test digits drawn on the canvas (none of test_draw_accuracy's), "
            f"{DIGITS_FLAGGED:.1%} of them under it; benchmarks/not_a_digit_threshold.py",
            "tuning_digits_flagged": round(float(np.mean(scores < below)), 4),
            "tuning_non_digits_flagged_but_look_alikes": round(float(np.mean([o in FLAGGED for o in outcomes])), 4),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="print the figures, leave the card as it is")
    args = parser.parse_args()
    fields = fit(args.model)
    print(json.dumps(fields, indent=2))
    if not args.dry_run:
        card_path = args.model.with_suffix(".json")
        card = json.loads(card_path.read_text(encoding="utf-8"))
        write_text_atomically(card_path, json.dumps({**card, **fields}, indent=2) + "\n")
        print(f"wrote {card_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
