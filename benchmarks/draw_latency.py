"""How long the Draw page takes to read one drawing: preprocessing + prediction, against Keras' model.predict.

    .venv/bin/python -m benchmarks.draw_latency [--model path/to/digits.keras] [--runs 500]

Drawings are MNIST test digits re-drawn as 320×320 canvas images (random size, place and pen width) when
mnist.npz is in HANDLAB_DATA_DIR, else pen-stroke digits. Prints p50/p99 per stage, and how many times
faster the page's path is than calling `model.predict` on the same 28×28 input.
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from benchmarks.timing import timings_ms
from core import paths
from core.data.canvas_digits import mnist_as_canvas
from core.learn import catalog
from core.predictor import Predictor
from core.vision import digits as digit_prep
from core.vision import reading
from tests.helpers.drawings import pen_canvas, place_side_by_side

CANVAS_SIDE = 320  # px, as on the Draw page.


def drawings(count: int) -> tuple[list[np.ndarray], str]:
    """Canvas images to read, and where they came from."""
    mnist = paths.data_dir() / "mnist.npz"
    rng = np.random.default_rng(0)
    if mnist.is_file():
        with np.load(mnist) as data:
            x_test = data["x_test"]
        picks = rng.choice(len(x_test), count, replace=False)
        return [mnist_as_canvas(x_test[i], rng, CANVAS_SIDE) for i in picks], "MNIST test digits drawn on a canvas"
    digits = "01247"
    return [pen_canvas(digits[i % len(digits)], CANVAS_SIDE) for i in range(count)], "pen-stroke digits"


def as_number(digits: list[np.ndarray]) -> np.ndarray:
    """Four digit drawings side by side, shrunk onto one canvas, as a 4-digit number is drawn."""
    row = place_side_by_side(digits)
    scale = CANVAS_SIDE / max(row.shape[:2])
    row = cv2.resize(row, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((CANVAS_SIDE, CANVAS_SIDE, 4), np.uint8)
    canvas[:, :, 3] = 255
    canvas[: row.shape[0], : row.shape[1]] = row
    return canvas


def row(name: str, ms: np.ndarray) -> str:
    p50, p99 = np.percentile(ms, [50, 99])
    return f"{name:<44} {p50:8.2f} {p99:8.2f} {len(ms):6d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=catalog.shipped_model("digits"))
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--keras-runs", type=int, default=50, help="model.predict is slow: fewer runs")
    args = parser.parse_args()
    if not args.model.is_file():
        # Skipped, not failed, so that `make bench` goes on to the other benchmarks on a fresh clone.
        print(
            f"skipped: no model at {args.model}; train one with python -m core.train --recipe digits-cnn "
            f"--save-to {args.model}, or pass --model."
        )
        return 0
    predictor = Predictor(args.model)
    canvases, source = drawings(args.runs)
    inputs = [crops[0].image for crops in map(digit_prep.digits_from_canvas, canvases) if crops]
    numbers = [as_number(canvases[i : i + 4]) for i in range(0, 200, 4)]

    page = timings_ms(lambda c: reading.read_canvas(predictor, c), canvases)
    stages = {
        "preprocess (digits_from_canvas)": timings_ms(digit_prep.digits_from_canvas, canvases),
        "predict (Predictor.predict)": timings_ms(predictor.predict, inputs),
        "page path (read_canvas: both + checks)": page,
        "page path, a 4-digit number": timings_ms(lambda c: reading.read_canvas(predictor, c), numbers),
        "keras model.predict on the 28×28 input": timings_ms(
            lambda x: predictor.model.predict(x[None, ..., None], verbose=0), inputs[: args.keras_runs], warmup=5
        ),
    }
    print(f"model: {args.model}  ({predictor.card.get('recipe', '?')})")
    print(f"inputs: {len(canvases)} {source}, {CANVAS_SIDE}×{CANVAS_SIDE} RGBA\n")
    print(f"{'stage':<44} {'p50 ms':>8} {'p99 ms':>8} {'runs':>6}")
    for name, ms in stages.items():
        print(row(name, ms))
    keras_p50 = np.median(stages["keras model.predict on the 28×28 input"])
    print(f"\nmodel.predict alone (p50) takes {keras_p50 / np.median(page):.0f}× as long as the whole page path.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
