"""`python -m core.predict`: read image files with a model, one line (or JSON object) per file."""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from core import images
from core.labels import TASKS
from core.learn import catalog
from core.predictor import Prediction, Predictor
from core.vision import digits, fashion, hand_model_files, signs

TRAIN_HINTS = {
    "digits": "--recipe digits-cnn",
    "letters": "--dataset asl_landmarks --recipe letters-landmarks",
    "fashion": "--recipe fashion-cnn",
}


def image_input(task: str, image_bgr: np.ndarray, image_size: int) -> np.ndarray:
    """Turn a digit or fashion photo into the model input with the same preprocessing the pages use."""
    if task == "digits":
        digit = digits.digit_from_image(image_bgr)
        if digit is None:
            raise ValueError("No digit found in the image.")
        return digit
    return fashion.item_from_image(image_bgr, size=image_size)


def predict_file(predictor: Predictor, task: str, path: Path) -> Prediction:
    """Read one image file and predict it; ValueError for an unreadable file or an image with nothing to read.

    Letters take the Sign page's path for a photo: the hand models find the hand, then the model reads it.
    """
    image_bgr = images.read_image(path)
    if task != "letters":
        return predictor.predict(image_input(task, image_bgr, predictor.image_size))
    reading = signs.read_sign(predictor, image_bgr)
    if reading.prediction is None:
        raise ValueError("No hand found in the image: one hand, big in the picture, in good light reads best.")
    return reading.prediction


def main(argv: list[str] | None = None) -> int:
    """Predict each file and print a line per file (JSON with --json); exit 1 if any file failed."""
    args = _parser().parse_args(argv)
    model_path = args.model or catalog.shipped_model(args.task)
    try:
        predictor = Predictor(model_path)
        predictor.check_task(args.task)
    except ValueError as error:
        hint = f" Train one: python -m core.train {TRAIN_HINTS[args.task]} --save-to {model_path}"
        print(f"error: {error}{hint if not args.model else ''}", file=sys.stderr)
        return 2
    if args.task == "letters" and (problems := hand_model_files.problems()):
        missing = hand_model_files.HandModelsMissing("; ".join(problems))
        if predictor.reads_landmarks:
            print(f"error: this letters model reads hand landmarks. {missing}", file=sys.stderr)
            return 2
        print(
            f"warning: {missing} Hands are found by skin colour instead, which a face in view can fool.",
            file=sys.stderr,
        )
    failed = 0
    for path in args.files:
        try:
            prediction = predict_file(predictor, args.task, path)
        except ValueError as error:
            failed += 1
            line = {"path": str(path), "error": str(error)} if args.json else f"{path}: error: {error}"
        else:
            line = _result_line(path, prediction, args.top, args.json)
        print(json.dumps(line) if args.json else line, flush=True)
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.predict", description=__doc__)
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", type=Path, help="a .keras model (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.add_argument("--top", type=int, default=3, help="how many labels to list")
    return parser


def _result_line(path: Path, prediction: Prediction, top: int, as_json: bool) -> dict | str:
    """A file's prediction as a JSON-ready dict (label, confidence, top labels) or a line of text."""
    if not as_json:
        return f"{path}: {prediction.label} ({prediction.confidence:.1%})"
    return {
        "path": str(path),
        "label": prediction.label,
        "confidence": round(prediction.confidence, 4),
        "top": [[label, round(p, 4)] for label, p in prediction.top(top)],
    }


if __name__ == "__main__":
    sys.exit(main())
