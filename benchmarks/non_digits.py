"""How often the Draw page says "That doesn't look like a digit" to letters, shapes and scribbles, and to real digits.

    HANDLAB_DATA_DIR=/path/with/mnist.npz .venv/bin/python -m benchmarks.non_digits [--model PATH] [--quick]

Non-digits are core/data/non_digits.py's drawings, read from a 320 px canvas exactly as the page reads a drawing
(`reading.read_canvas`). The held-out set (Liberation and three Hershey fonts, its own seed, six of nine shape
families never used in training or tuning) is the figure; the tuning set is printed beside it. A drawing is
*flagged* when the page does not give it as a digit: the model reads no digit in it (the card's
`not_a_digit_below`), or the ink rules do (too many strokes, a blob, wider than a digit, a dot). Letters written
like a digit (non_digits.DIGIT_LOOKALIKES) are counted apart. Real digits: tests/test_draw_accuracy.py's 2,000
canvas drawings and 300 four-digit numbers, MNIST's 10,000 test images read directly, and digits 0–9 drawn by the
held-out fonts with the same pen (a control: the renderer alone must not look "not a digit").
"""

import argparse
import time
from collections import Counter

import numpy as np

from core import paths
from core.data import non_digits
from core.data.canvas_digits import mnist_as_canvas
from core.learn import catalog
from core.predictor import Predictor
from core.vision import reading
from tests.helpers.drawings import place_side_by_side

OUTCOMES = ("not a digit", "ink rule", "not sure", "read as a digit")
FLAGGED = ("not a digit", "ink rule")
CANVAS_DIGITS, CANVAS_NUMBERS = 2000, 300  # as tests/test_draw_accuracy.py draws them


def outcome(result: reading.NumberReading | None) -> str:
    """What the page makes of a drawing: no digit (the model), an ink rule's problem, not sure, or a digit."""
    if result is None or result.problem or any(digit.problem for digit in result.digits):
        return "ink rule"
    if any(digit.not_a_digit for digit in result.digits):
        return "not a digit"
    return "read as a digit" if result.sure else "not sure"


def measure_non_digits(predictor: Predictor, which: non_digits.NonDigitSet) -> dict[str, Counter]:
    """Outcomes by family; letters split into "letters" and "digit look-alikes"."""
    counts: dict[str, Counter] = {}
    for item in non_digits.drawings(which):
        family = (
            "digit look-alikes" if item.digit_lookalike else ("letters" if item.family == "letter" else item.family)
        )
        counts.setdefault(family, Counter())[outcome(reading.read_canvas(predictor, item.image_rgba))] += 1
    return counts


def measure_font_digits(predictor: Predictor, which: non_digits.NonDigitSet, seed: int) -> tuple[Counter, int]:
    """Digits 0–9 drawn by a set's fonts with the canvas pen: outcomes, and how many read right."""
    rng, counts, right = np.random.default_rng(seed), Counter(), 0
    for _, font in non_digits.set_fonts(which):
        for digit in "0123456789":
            result = reading.read_canvas(predictor, non_digits.draw_on_canvas(non_digits.glyph_path(digit, font), rng))
            counts[outcome(result)] += 1
            right += result is not None and result.text == digit
    return counts, right


def load_mnist_test() -> tuple[np.ndarray, np.ndarray]:
    with np.load(paths.data_dir() / "mnist.npz") as data:
        return data["x_test"], data["y_test"]


def measure_canvas_digits(predictor: Predictor, x_test: np.ndarray, y_test: np.ndarray, count: int) -> dict:
    """tests/test_draw_accuracy.py's drawn digits (same seed and order): outcomes, read right, right and kept."""
    rng, counts, right, kept_right = np.random.default_rng(0), Counter(), 0, 0
    for index in rng.choice(len(x_test), CANVAS_DIGITS, replace=False)[:count]:
        result = reading.read_canvas(predictor, mnist_as_canvas(x_test[index], rng))
        counts[outcome(result)] += 1
        is_right = result is not None and result.text == str(y_test[index])
        right += is_right
        kept_right += is_right and not any(digit.not_a_digit for digit in result.digits)
    return {"outcomes": counts, "right": right, "right_kept": kept_right, "count": count}


def measure_numbers(predictor: Predictor, x_test: np.ndarray, y_test: np.ndarray, count: int) -> dict:
    """tests/test_draw_accuracy.py's four-digit numbers: read right, and with a piece read as no digit."""
    rng, right, flagged = np.random.default_rng(1), 0, 0
    for _ in range(count):
        picks = rng.choice(len(x_test), 4, replace=False)
        size, pen = rng.uniform(0.25, 0.9), rng.uniform(0.6, 2.0)
        drawn = [mnist_as_canvas(x_test[i], rng, size=size, thickness=pen) for i in picks]
        result = reading.read_canvas(predictor, place_side_by_side(drawn, gap=int(rng.integers(8, 30))))
        right += result is not None and result.text == "".join(str(y_test[i]) for i in picks)
        flagged += result is not None and any(digit.not_a_digit for digit in result.digits)
    return {"right": right, "flagged": flagged, "count": count}


def mnist_flagged(predictor: Predictor, x_test: np.ndarray) -> tuple[int, int]:
    """MNIST's test images read directly by the model: how many fall under the card's threshold, of how many."""
    below = reading.not_a_digit_threshold(predictor)
    top = reading.two_likeliest(predictor.predict_batch((x_test.astype(np.float32) / 255)[..., None]))
    return (0 if below is None else int(np.sum(top < below))), len(top)


def share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def family_table(title: str, counts: dict[str, Counter]) -> list[str]:
    """A Markdown table of flagged drawings by family, with totals with and without the digit look-alikes."""
    rows = [f"**{title}**", "", "| family | drawings | flagged | by the model | by the ink rules | not sure |"]
    rows.append("| --- | --- | --- | --- | --- | --- |")

    def row(name: str, counter: Counter) -> str:
        total, flagged = sum(counter.values()), sum(counter[o] for o in FLAGGED)
        by_model, by_ink, unsure = (share(counter[o], total) for o in ("not a digit", "ink rule", "not sure"))
        return f"| {name} | {total} | {share(flagged, total)} | {by_model} | {by_ink} | {unsure} |"

    rows += [row(family, counts[family]) for family in sorted(counts)]
    without = sum((c for f, c in counts.items() if f != "digit look-alikes"), Counter())
    rows.append(row("**all but the digit look-alikes**", without))
    rows.append(row("**all**", sum(counts.values(), Counter())))
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(catalog.shipped_model("digits")), help="a digits .keras model")
    parser.add_argument("--quick", action="store_true", help="500 canvas digits and 100 numbers, no tuning set")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    predictor = Predictor(args.model)
    print(f"model {args.model}: not_a_digit_below = {reading.not_a_digit_threshold(predictor)}")
    print(f"digit look-alikes, counted apart: {' '.join(sorted(non_digits.DIGIT_LOOKALIKES))}\n")
    print("\n".join(family_table("Held-out non-digits", measure_non_digits(predictor, non_digits.HELD_OUT))))
    if not args.quick:
        print()
        print("\n".join(family_table("Tuning non-digits", measure_non_digits(predictor, non_digits.TUNING))))
    x_test, y_test = load_mnist_test()
    canvas = measure_canvas_digits(predictor, x_test, y_test, 500 if args.quick else CANVAS_DIGITS)
    numbers = measure_numbers(predictor, x_test, y_test, 100 if args.quick else CANVAS_NUMBERS)
    fonts, fonts_right = measure_font_digits(predictor, non_digits.HELD_OUT, seed=3)
    mnist, mnist_count = mnist_flagged(predictor, x_test)
    counts, total = canvas["outcomes"], canvas["count"]
    print("\n**Real digits**\n")
    print("| digits | count | flagged by the model | flagged in all | read right | right, not flagged |")
    print("| --- | --- | --- | --- | --- | --- |")
    flagged = sum(counts[o] for o in FLAGGED)
    print(
        f"| canvas digits (test_draw_accuracy) | {total} | {share(counts['not a digit'], total)} | "
        f"{share(flagged, total)} | {share(canvas['right'], total)} | {share(canvas['right_kept'], total)} |"
    )
    count = numbers["count"]
    print(
        f"| four-digit numbers (test_draw_accuracy) | {count} | {share(numbers['flagged'], count)} | | "
        f"{share(numbers['right'], count)} | |"
    )
    print(f"| MNIST test, read directly | {mnist_count} | {share(mnist, mnist_count)} | | | |")
    font_total = sum(fonts.values())
    print(
        f"| digits in the held-out fonts (control) | {font_total} | {share(fonts['not a digit'], font_total)} | "
        f"{share(sum(fonts[o] for o in FLAGGED), font_total)} | {share(fonts_right, font_total)} | |"
    )
    print(f"\n{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
