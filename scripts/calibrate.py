"""Calibrate a trained model's confidence: fit its temperature on the validation split it was trained beside.

Runs trained since temperature scaling came in are calibrated as they finish (core.learn.fit); this does the
same for a model trained before, such as the shipped ones. The validation split is rebuilt from the model
card's spec exactly as training drew it (same dataset, seed and fraction), so no test sample is fitted on.
The card gets `temperature` and the test set's expected calibration error before and after; the model file
is not touched. Prints the figures.

    HANDLAB_DATA_DIR=../shared/datasets python scripts/calibrate.py models/digits.keras [--dry-run]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from core import calibration
from core.data import datasets
from core.learn.inputs import as_inputs, split_validation
from core.learn.spec import TrainSpec
from core.predictor import Predictor, load_card, save_card


def calibrate(model_path: Path) -> dict:
    """Fit the temperature of a model on its spec's validation split; the figures and the card's new fields."""
    predictor = Predictor(model_path)
    spec = TrainSpec.from_dict(predictor.card["spec"]).resolved()
    if not spec.validation_split or spec.limit:
        raise SystemExit(f"{model_path}: its run held back no validation split of the full data to calibrate on.")
    data = datasets.load_dataset(spec.dataset, image_size=spec.image_size or 28)
    x_test, y_test = as_inputs(data.x_test), data.y_test
    _, _, (x_val, y_val) = split_validation(as_inputs(data.x_train), data.y_train, spec)
    predictor.temperature = 1.0  # the model's own probabilities, whatever the card says now
    validation, test = predictor.predict_batch(x_val), predictor.predict_batch(x_test)
    temperature = calibration.fit_temperature(validation, y_val)
    calibrated = calibration.apply_temperature(test, temperature)
    return {
        "temperature": round(temperature, 4),
        "validation_samples": len(y_val),
        "calibration_error": round(calibration.expected_calibration_error(calibrated, y_test), 4),
        "calibration_error_uncalibrated": round(calibration.expected_calibration_error(test, y_test), 4),
        "sure_right": _sure_right(calibrated, y_test),
        "sure_right_uncalibrated": _sure_right(test, y_test),
        "sure_wrong": _sure_right(calibrated, y_test, right=False),
        "sure_wrong_uncalibrated": _sure_right(test, y_test, right=False),
    }


def _sure_right(probabilities: np.ndarray, y: np.ndarray, right: bool = True, sure_from: float = 0.6) -> float:
    """The share of test samples read right (or wrong) with at least `sure_from` confidence (the pages' rule)."""
    hits = (probabilities.argmax(axis=1) == y) == right
    return round(float(np.mean(hits & (probabilities.max(axis=1) >= sure_from))), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="print the figures, leave the card as it is")
    args = parser.parse_args()
    figures = calibrate(args.model)
    print(json.dumps({"model": str(args.model), **figures}, indent=2))
    if not args.dry_run:
        card = load_card(args.model)
        card["temperature"] = figures["temperature"]
        card["test"]["calibration_error"] = figures["calibration_error"]
        card["test"]["calibration_error_uncalibrated"] = figures["calibration_error_uncalibrated"]
        save_card(args.model, card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
