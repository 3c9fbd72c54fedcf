"""How long the Sign page takes to read one 640×480 webcam frame: find the hand, crop it, predict.

    PYTHONPATH=. .venv/bin/python benchmarks/sign_frame.py [--model path/to/letters.keras] [--runs 300]

Frames are ASL photos placed in a 640×480 frame (as the browser tests' fake webcam does) when
HANDLAB_DATA_DIR has asl_photos, else drawn hands on a cluttered room. Uses the active letters model, or a
stand-in of the same shape (64×64×1 in, 24 out, the same cost for a dense layer but less than a CNN) when
there is none. Prints p50/p99 per stage and for the whole frame, and the overlay's cost. Target: p50 ≤ 10 ms.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from benchmarks import stand_ins
from benchmarks.timing import timings_ms
from core import paths
from core.learn import catalog
from core.predictor import Predictor
from core.vision import hands, signs

TARGET_P50_MS = 10.0


def frames(count: int) -> tuple[list[np.ndarray], str]:
    """640×480 BGR frames with a hand in them, and where they came from."""
    folder = paths.data_dir() / "asl_photos"
    rng = np.random.default_rng(0)
    photos = sorted(folder.glob("*/*.jpg")) if folder.is_dir() else []
    if photos:
        picks = rng.choice(len(photos), count, replace=len(photos) < count)
        out = []
        for i in picks:
            square = cv2.resize(cv2.imread(str(photos[i])), (480, 480), interpolation=cv2.INTER_CUBIC)
            out.append(cv2.copyMakeBorder(square, 0, 0, 80, 80, cv2.BORDER_REPLICATE))
        return out, "ASL photos in a 640×480 frame"
    out = [stand_ins.hand_frame(seed=i) for i in range(count)]
    return out, "drawn hands on a cluttered room"


def predictor_for(model: Path | None) -> tuple[Predictor, str]:
    """The model to time: the one given, the active letters model, else a stand-in."""
    path = model or catalog.active_model("letters")
    if path.is_file():
        return Predictor(path), str(path)
    stand_in = stand_ins.letters_model(Path(tempfile.mkdtemp()) / "letters.keras")
    return Predictor(stand_in), "stand-in dense model (no letters model found)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="a letters .keras model (default: the active one)")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args(argv)
    predictor, model_name = predictor_for(args.model)
    inputs, source = frames(args.runs)
    size = predictor.image_size
    boxes = [hands.locate_hand(f) or hands.guide_box(f.shape) for f in inputs]
    crops = [hands.letter_from_frame(f, b, size=size) for f, b in zip(inputs, boxes, strict=True)]
    reading = signs.read_sign(predictor, inputs[0])
    stages = {
        "find hand (hands.locate_hand)": timings_ms(hands.locate_hand, inputs),
        f"crop to {size}×{size} (letter_from_frame, box given)": timings_ms(
            lambda i: hands.letter_from_frame(inputs[i], boxes[i], size=size), list(range(len(inputs)))
        ),
        "predict (Predictor, traced call)": timings_ms(predictor.predict, crops),
        "whole frame (signs.read_sign)": timings_ms(lambda f: signs.read_sign(predictor, f), inputs),
        "overlay (signs.annotate, mirrored)": timings_ms(lambda f: signs.annotate(f, reading, None, 15.0), inputs),
    }
    print(f"Sign page, one 640×480 frame: {len(inputs)} {source}; model: {model_name}")
    print(f"{'stage':<52} {'p50 ms':>8} {'p99 ms':>8}")
    for name, ms in stages.items():
        print(f"{name:<52} {np.percentile(ms, 50):8.2f} {np.percentile(ms, 99):8.2f}")
    p50 = float(np.percentile(stages["whole frame (signs.read_sign)"], 50))
    verdict = "meets" if p50 <= TARGET_P50_MS else "misses"
    print(f"whole frame p50 {p50:.2f} ms {verdict} the {TARGET_P50_MS:g} ms target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
