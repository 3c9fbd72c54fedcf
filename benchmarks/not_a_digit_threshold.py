"""Fit the shipped digits model's "not a digit" threshold and write it into its card (`not_a_digit_below`).

core/learn/not_a_digit.py says what the threshold is; the trainer fits it on a run's validation digits. For the
shipped model it is fitted on MNIST test digits drawn on the canvas the way tests/test_draw_accuracy.py draws them,
but only those that test and benchmarks/non_digits.py's canvas figures never use, with another seed. The tuning
set of non-digits (core/data/non_digits.py: TUNING) shows what that threshold flags; the held-out set is left to
the benchmark. It prints the figures; --write writes them into the model's card (`make bench` only prints). The
model file is not touched.

    HANDLAB_DATA_DIR=../shared/datasets python -m benchmarks.not_a_digit_threshold [models/digits.keras] [--write]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.non_digits import CANVAS_DIGITS, FLAGGED, load_mnist_test, outcome
from core import paths
from core.data import non_digits
from core.learn import not_a_digit
from core.predictor import Predictor, load_card, save_card
from core.vision import reading

TUNING_DIGITS = 4000
SEED = 7


def tuning_digits(rng: np.random.Generator) -> np.ndarray:
    """MNIST test digits that the canvas figures never use."""
    x_test, _ = load_mnist_test()
    reported = np.random.default_rng(0).choice(len(x_test), CANVAS_DIGITS, replace=False)
    return x_test[rng.choice(np.setdiff1d(np.arange(len(x_test)), reported), TUNING_DIGITS)]


def fit(model_path: Path) -> dict:
    """The threshold and what it does on the tuning digits and non-digits."""
    predictor = Predictor(model_path)
    rng = np.random.default_rng(SEED)  # picks the digits, then draws them
    scores = not_a_digit.canvas_digit_scores(predictor, tuning_digits(rng), rng)
    fields = not_a_digit.card_fields(
        scores,
        f"{TUNING_DIGITS} MNIST test digits drawn on the canvas (none of test_draw_accuracy's); "
        "benchmarks/not_a_digit_threshold.py",
    )
    predictor.card[reading.NOT_A_DIGIT_CARD_KEY] = fields[reading.NOT_A_DIGIT_CARD_KEY]
    outcomes = [
        outcome(reading.read_canvas(predictor, item.image_rgba)) for item in non_digits.drawings(non_digits.TUNING)
    ]
    fields["not_a_digit"]["tuning_non_digits_flagged_but_look_alikes"] = round(
        float(np.mean([o in FLAGGED for o in outcomes])), 4
    )
    return fields


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, nargs="?", default=paths.MODELS_DIR / "digits.keras")
    parser.add_argument("--write", action="store_true", help="write the threshold into the model's card")
    args = parser.parse_args()
    fields = fit(args.model)
    print(json.dumps(fields, indent=2))
    if args.write:
        save_card(args.model, load_card(args.model) | fields)
        print(f"wrote {args.model.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
