"""How well uploads of handwritten digits are read at any image size and pen width, dark on light and light on dark.

    .venv/bin/python -m benchmarks.digit_robustness [--per-cell 200] [--quick] [--seed S]
    # a quick subset while tuning, each miss with its reason:
    ... --sizes 64,512,2000 --widths 1,4,15 --polarity "dark on light" --grid-only --misses

MNIST test digits are turned back into pen strokes (thinned to their centreline, core/vision/pen_strokes.py) and
redrawn with a round, anti-aliased pen, the digit's height 70% of a square image, at every image size × pen
width (% of the digit's height). Each image is read as an upload is (`reading.read_photo`: split, normalise,
predict, the "not sure" rules), which `python -m core.predict digits` uses too. A reading is right only when it
is one digit, read with confidence, and the right one. Photo effects (grey paper, a lighting gradient, blur,
JPEG at quality 60, rotation up to ±10°) are rows at one size and width. The Draw page's canvas path
(tests/test_draw_accuracy.py's drawings) is the last row. Prints Markdown tables, the targets and the cells that
miss them, the time taken and the load average.
"""

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable

import cv2
import numpy as np

from core.data import datasets
from core.data.canvas_digits import mnist_as_canvas
from core.learn import catalog
from core.predictor import Predictor
from core.vision import reading
from core.vision.pen_strokes import mnist_as_pen, mnist_skeleton

SIZES = (28, 64, 128, 256, 512, 1000, 2000)  # px, the square image's side
WIDTHS = (0.5, 1, 2, 4, 8, 15, 20)  # pen width, % of the digit's height
TARGET = 0.98  # cells under it are shown in bold; the figure is the mean of the target cells (docs/digits.md)
CANVAS_TARGET = 0.99
# Digits a person looked at (without the model's readings) and found broken by the redrawing, by (seed, digits a
# cell): their index in the sample. They count as misses in the cells; the report lists them apart (docs/digits.md).
BROKEN_REDRAWS = {
    (0, 1000): (30, 305, 352, 858, 878, 956, 978, 993),
    (1, 1000): (48, 105, 455, 717, 747),
}
EFFECT_SIZE, EFFECT_WIDTH = 512, 4  # where the photo effects are measured
POLARITIES = {"dark on light": True, "light on dark": False}
OUTCOMES = ("right", "wrong", "not sure", "no digit", "split")  # split: read as several digits
PAPER_GREY, PEN_GREY = 150, 40  # grey paper and a pencil-grey pen
SHOWN_MISSES = 20


def in_target(size: int, width: float) -> bool:
    return size >= 64 and 1 <= width <= 15


def page_outcome(predictor: Predictor, image_bgr: np.ndarray, label: int) -> str:
    """How the upload path (read_photo) reads one digit's image."""
    return outcome(reading.read_photo(predictor, image_bgr), label)


def outcome(result: reading.NumberReading | None, label: int) -> str:
    """One of OUTCOMES for the reading of an image of one digit."""
    if result is None:
        return "no digit"
    if len(result.digits) != 1:
        return "split"  # several pieces, or so many that it is called scribble
    digit = result.digits[0]
    if not digit.sure:
        return "not sure"
    return "right" if digit.prediction.label == str(label) else "wrong"


def as_photo(ink01: np.ndarray, dark_on_light: bool, paper: int = 255, pen: int = 0) -> np.ndarray:
    """Ink (white on black, 0..1) as a BGR image: a pen of grey `pen` on paper of grey `paper`, or inverted."""
    if not dark_on_light:
        paper, pen = pen, paper
    grey = paper + (pen - paper) * ink01
    return cv2.cvtColor(np.round(grey).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def rotate(ink01: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    side = ink01.shape[0]
    turn = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), rng.uniform(-10, 10), 1.0)
    return cv2.warpAffine(ink01, turn, (side, side), flags=cv2.INTER_LINEAR)


def lighting(image_bgr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light falling from full to 40% across the image, in a random direction."""
    side = image_bgr.shape[0]
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:side, 0:side] / max(side - 1, 1) - 0.5
    along = (xs * np.cos(angle) + ys * np.sin(angle)) / np.sqrt(0.5) + 0.5  # 0..1 corner to corner
    light = 1.0 - 0.6 * np.clip(along, 0, 1)
    return np.round(image_bgr * light[..., None]).astype(np.uint8)


def blur(image_bgr: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image_bgr, (0, 0), 0.01 * image_bgr.shape[0])  # σ = 1% of the side


def jpeg(image_bgr: np.ndarray) -> np.ndarray:
    _, data = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 60])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


EFFECTS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "none (white paper, black pen)": lambda ink, rng: as_photo(ink, True),
    f"grey paper ({PAPER_GREY}) and pen ({PEN_GREY})": lambda ink, rng: as_photo(ink, True, PAPER_GREY, PEN_GREY),
    "lighting gradient (100% → 40%)": lambda ink, rng: lighting(as_photo(ink, True), rng),
    "blur (σ = 1% of the side)": lambda ink, rng: blur(as_photo(ink, True)),
    "JPEG quality 60": lambda ink, rng: jpeg(as_photo(ink, True)),
    "rotation (uniform ±10°)": lambda ink, rng: as_photo(rotate(ink, rng), True),
    "all of them": lambda ink, rng: jpeg(blur(lighting(as_photo(rotate(ink, rng), True, PAPER_GREY, PEN_GREY), rng))),
}


def measure_grid(predictor: Predictor, paths: list[np.ndarray], labels: np.ndarray, grid: argparse.Namespace) -> dict:
    """Outcome counts per (reader, polarity, size, width), and each miss as (digit's index, what was read)."""
    counts: dict[tuple, Counter] = {}
    for size in grid.sizes:
        print(f"  {size} px...", file=sys.stderr, flush=True)
        for width in grid.widths:
            for index, (path, label) in enumerate(zip(paths, labels, strict=True)):
                ink = mnist_as_pen(path, size, width / 100)
                for polarity in grid.polarities:
                    result = reading.read_photo(predictor, as_photo(ink, POLARITIES[polarity]))
                    cell = counts.setdefault(("page", polarity, size, width), Counter())
                    cell[outcome(result, label)] += 1
                    if outcome(result, label) != "right":
                        cell.setdefault("misses", []).append((index, label, outcome(result, label), said(result)))
    return counts


def said(result: reading.NumberReading | None) -> str:
    """What a reading said, e.g. "5 (99%) + 1 (62%)"."""
    if result is None:
        return "nothing"
    return " + ".join(f"{d.prediction.label} ({d.prediction.confidence:.0%})" for d in result.digits)


def measure_mnist_images(predictor: Predictor, images28: np.ndarray, labels: np.ndarray, sizes: list[int]) -> dict:
    """MNIST's own images, upscaled so the ink fills 70% of the side, read as uploads: is it the redrawing?"""
    counts: dict[int, Counter] = {}
    for size in sizes:
        for image28, label in zip(images28, labels, strict=True):
            x, y, w, h = cv2.boundingRect((image28 > 0).astype(np.uint8))
            factor = 0.7 * size / max(w, h)
            big = cv2.resize(
                image28[y : y + h, x : x + w].astype(np.float32) / 255,
                None,
                fx=factor,
                fy=factor,
                interpolation=cv2.INTER_CUBIC,
            )
            ink = np.zeros((size, size), np.float32)
            top, left = (size - big.shape[0]) // 2, (size - big.shape[1]) // 2
            ink[top : top + big.shape[0], left : left + big.shape[1]] = np.clip(big, 0, 1)
            counts.setdefault(size, Counter())[page_outcome(predictor, as_photo(ink, True), label)] += 1
    return counts


def measure_effects(predictor: Predictor, paths: list[np.ndarray], labels: np.ndarray) -> dict[str, Counter]:
    counts = {name: Counter() for name in EFFECTS}
    for name, effect in EFFECTS.items():
        rng = np.random.default_rng(1)
        for path, label in zip(paths, labels, strict=True):
            image_bgr = effect(mnist_as_pen(path, EFFECT_SIZE, EFFECT_WIDTH / 100), rng)
            counts[name][page_outcome(predictor, image_bgr, label)] += 1
    return counts


def measure_canvas(predictor: Predictor, images28: np.ndarray, labels: np.ndarray) -> Counter:
    """The Draw page's path on tests/test_draw_accuracy.py's drawings of the same digits."""
    rng, counts = np.random.default_rng(0), Counter()
    for image28, label in zip(images28, labels, strict=True):
        result = reading.read_canvas(predictor, mnist_as_canvas(image28, rng))
        counts[outcome(result, label)] += 1
        counts["text right"] += result is not None and result.text == str(label)  # what the test counts
    return counts


def measure_mnist_as_is(predictor: Predictor, images28: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The model on MNIST's own 28×28 images of the sample: read right, and read right at least SURE_FROM sure."""
    probabilities = predictor.predict_batch(images28.astype(np.float32) / 255)
    right = probabilities.argmax(axis=1) == labels
    return float(right.mean()), float((right & (probabilities.max(axis=1) >= reading.SURE_FROM)).mean())


def share(counter: Counter, *outcomes: str) -> float:
    """The fraction of readings with one of these outcomes."""
    return sum(counter[o] for o in outcomes) / max(sum(counter[o] for o in OUTCOMES), 1)


def grid_table(counts: dict, reader: str, polarity: str, cell: Callable[[Counter, bool], str]) -> list[str]:
    sizes = sorted({key[2] for key in counts})
    widths = sorted({key[3] for key in counts})
    lines = ["| size \\ pen | " + " | ".join(f"{w:g}%" for w in widths) + " |", "|---" * (len(widths) + 1) + "|"]
    for size in sizes:
        cells = [cell(counts[(reader, polarity, size, w)], in_target(size, w)) for w in widths]
        lines.append(f"| {size} px | " + " | ".join(cells) + " |")
    return lines


def accuracy_cell(counter: Counter, target: bool) -> str:
    accuracy = share(counter, "right")
    return f"**{accuracy:.1%}**" if target and accuracy < TARGET else f"{accuracy:.1%}"


def failures(*outcomes: str) -> Callable[[Counter, bool], str]:
    """A table cell with the shares of these outcomes, e.g. "1% / 4% / 0% / 0%"."""
    return lambda counter, target: " / ".join(f"{share(counter, o):.0%}" for o in outcomes)


def report_grid(counts: dict, polarities: list[str], per_cell: int) -> None:
    for polarity in polarities:
        print(f"\n### Upload path (reading.read_photo), {polarity}: read right ({per_cell} digits a cell)\n")
        print("\n".join(grid_table(counts, "page", polarity, accuracy_cell)))
        print(f"\n### Upload path, {polarity}: wrong / not sure / no digit / split into several\n")
        print("\n".join(grid_table(counts, "page", polarity, failures("wrong", "not sure", "no digit", "split"))))


def report_extras(effects: dict[str, Counter], canvas: Counter) -> None:
    print(f"\n### Photo effects, dark on light, {EFFECT_SIZE} px, pen {EFFECT_WIDTH}% (upload path)\n")
    print("| effect | right | wrong | not sure | no digit | split |\n|---|---|---|---|---|---|")
    for name, counter in effects.items():
        print(f"| {name} | " + " | ".join(f"{share(counter, o):.1%}" for o in OUTCOMES) + " |")
    print("\n### Canvas path (reading.read_canvas on tests/test_draw_accuracy.py's drawings of the same digits)\n")
    others = ", ".join(f"{o} {share(canvas, o):.1%}" for o in OUTCOMES[1:])
    print(f"read right and sure: {share(canvas, 'right'):.1%} ({others}); the right digit, sure or not, as")
    print(f"tests/test_draw_accuracy.py counts it: {share(canvas, 'text right'):.1%}")


def report_misses(counts: dict, mnist_images: dict[int, Counter]) -> None:
    """Every miss in the target cells with its reason, and MNIST's own images read at the same sizes."""
    print("\n### MNIST's own images, upscaled to 70% of the side, read as uploads (dark on light)\n")
    for size, counter in mnist_images.items():
        print(f"{size} px: " + ", ".join(f"{o} {share(counter, o):.1%}" for o in OUTCOMES))
    print("\n### Misses in the target cells (digit's index in the sample, its label: reason, what was read)\n")
    for (_, polarity, size, width), counter in sorted(counts.items()):
        if in_target(size, width) and counter.get("misses"):
            print(f"{polarity}, {size} px, pen {width:g}%:")
            for index, label, reason, text in counter["misses"]:
                print(f"  #{index} ({label}): {reason}, read {text}")


def report_targets(counts: dict, canvas: Counter | None, seed: int, per_cell: int) -> None:
    """The sample's figure: the mean of the upload target cells, the worst cell, those under 98%, the broken redraws."""
    targets = {key: share(c, "right") for key, c in counts.items() if key[0] == "page" and in_target(*key[2:])}
    misses = sorted((accuracy, key) for key, accuracy in targets.items() if accuracy < TARGET)
    worst, (_, polarity, size, width) = min((accuracy, key) for key, accuracy in targets.items())
    mean = np.mean(list(targets.values()))
    print("\nThe upload target cells (a pen of 1–15% and a size ≥ 64 px, bold above when under 98%):")
    print(f"mean {mean:.1%} of {len(targets)} cells; worst {worst:.1%} ({polarity}, {size} px, pen {width:g}%).")
    print("Known broken redraws in this sample (counted as misses): ", end="")
    broken = BROKEN_REDRAWS.get((seed, per_cell))
    print(", ".join(f"#{index}" for index in broken) if broken else "none listed for this seed and size.")
    if canvas is not None:
        canvas_met = "met" if share(canvas, "right") >= CANVAS_TARGET else "missed"
        print(f"≥ {CANVAS_TARGET:.0%} read right and sure on the canvas path: {canvas_met}.")
    print(f"Cells under {TARGET:.0%}: {len(misses)} of {len(targets)}, worst first:")
    for accuracy, (_, polarity, size, width) in misses[:SHOWN_MISSES]:
        print(f"  {accuracy:6.1%}  {polarity}, {size} px, pen {width:g}%")
    if len(misses) > SHOWN_MISSES:
        print(f"  ... and {len(misses) - SHOWN_MISSES} more")


def numbers(kind: type) -> Callable[[str], list]:
    """An argparse type for a comma-separated list, e.g. "64,512,2000"."""
    return lambda text: [kind(part) for part in text.split(",")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-cell", type=int, default=200, help="MNIST test digits per cell (the same ones in all)")
    parser.add_argument("--quick", action="store_true", help="a tiny run: 10 digits per cell")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sizes", type=numbers(int), default=list(SIZES), help="image sides, e.g. 64,512,2000")
    parser.add_argument("--widths", type=numbers(float), default=list(WIDTHS), help="pens, %% of height: 1,4,15")
    parser.add_argument("--polarity", choices=list(POLARITIES), help="only this one (default: both)")
    parser.add_argument("--grid-only", action="store_true", help="no photo effects and no canvas path")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="list every miss in the target cells, and read MNIST's own images at the same sizes",
    )
    args = parser.parse_args()
    args.polarities = [args.polarity] if args.polarity else list(POLARITIES)
    return args


def main() -> int:
    args = parse_args()
    per_cell = 10 if args.quick else args.per_cell
    model = catalog.shipped_model("digits")
    if not datasets.available("mnist") or not model.is_file():
        # Skipped, not failed, so that `make bench` goes on to the other benchmarks on a fresh clone.
        print(f"skipped: needs mnist.npz in HANDLAB_DATA_DIR and the shipped model {model}.")
        return 0
    started, load_before = time.monotonic(), os.getloadavg()
    predictor = Predictor(model)
    mnist = datasets.load_dataset("mnist")
    picks = np.random.default_rng(args.seed).choice(len(mnist.x_test), per_cell, replace=False)
    images28, labels = mnist.x_test[picks], mnist.y_test[picks]
    paths = [mnist_skeleton(image) for image in images28]
    counts = measure_grid(predictor, paths, labels, args)
    print(f"model: {model}; {per_cell} MNIST test digits (seed {args.seed}), the same in every cell")
    as_is = measure_mnist_as_is(predictor, images28, labels)
    print(f"The same digits as MNIST gives them (28×28, straight to the model): {as_is[0]:.1%} right, ", end="")
    print(f"{as_is[1]:.1%} right and at least {reading.SURE_FROM:.0%} sure, for comparison.")
    report_grid(counts, args.polarities, per_cell)
    canvas = None
    if not args.grid_only:
        canvas = measure_canvas(predictor, images28, labels)
        report_extras(measure_effects(predictor, paths, labels), canvas)
    if args.misses:
        report_misses(counts, measure_mnist_images(predictor, images28, labels, args.sizes))
    report_targets(counts, canvas, args.seed, per_cell)
    minutes = (time.monotonic() - started) / 60
    load = ", ".join(f"{before:.2f} → {after:.2f}" for before, after in zip(load_before, os.getloadavg(), strict=True))
    print(f"\nTook {minutes:.1f} min on {os.cpu_count()} cores; load average (1, 5, 15 min) before → after: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
