"""Ink that is not a digit on the Draw page: letters, shapes and scribbles read as "not a digit", digits as digits.

The drawings are core/data/non_digits.py's (Hershey fonts and drawn shapes: no font files or datasets needed),
read by the shipped digits model exactly as the page reads a canvas. benchmarks/non_digits.py gives the figures.
"""

import dataclasses

import cv2
import numpy as np
import pytest
from helpers.drawings import pen_canvas, place_side_by_side

from core.data import mnist_other, non_digits, samples
from core.data.canvas_digits import as_canvas_rgba
from core.data.loaders import NO_CLASS, Dataset
from core.labels import DIGITS
from core.learn import not_a_digit
from core.learn.inputs import as_targets, split_validation
from core.learn.spec import TrainSpec
from core.predictor import Predictor
from core.vision import digits, reading
from core.vision.digits import DigitCrop

LETTER_FONT = cv2.FONT_HERSHEY_SIMPLEX


@pytest.fixture(scope="module")
def predictor(shipped_digits_predictor: Predictor) -> Predictor:
    return shipped_digits_predictor


def letter(text: str, seed: int = 0) -> np.ndarray:
    """A letter of a Hershey font drawn on the canvas with the pen, at a random size and place."""
    return non_digits.draw_on_canvas(non_digits.glyph_path(text, LETTER_FONT), np.random.default_rng(seed))


def shape(name: str, seed: int = 0) -> np.ndarray:
    """One of non_digits.SHAPES drawn on the canvas."""
    rng = np.random.default_rng(seed)
    return non_digits.draw_on_canvas(non_digits.strokes_to_segments(non_digits.SHAPES[name](rng), rng), rng)


def read(predictor: Predictor, image_rgba: np.ndarray) -> reading.NumberReading:
    result = reading.read_canvas(predictor, image_rgba)
    assert result is not None
    return result


@pytest.mark.parametrize("text", ["A", "K", "R", "x"])
def test_a_drawn_letter_is_not_a_digit(predictor, text):
    result = read(predictor, letter(text))

    assert not result.sure
    assert any(digit.not_a_digit for digit in result.digits), result.verdict()


@pytest.mark.parametrize("name", ["smiley", "scribble", "cross", "star", "heart"])
def test_a_drawn_shape_is_not_a_digit(predictor, name):
    result = read(predictor, shape(name, seed=3))

    assert not result.sure, f"{name} read as a sure {result.text}"
    assert result.verdict().startswith(("That doesn't look like a digit", "That is", "That looks like", "Piece"))


@pytest.mark.parametrize("digit", ["0", "1", "2", "4", "5", "7"])
def test_a_drawn_digit_is_still_read_as_that_digit(predictor, digit):
    result = read(predictor, pen_canvas(digit))

    assert result.sure, result.verdict()
    assert result.text == digit


def test_the_verdict_of_a_letter_says_not_a_digit_with_the_closest_digit_said_quietly(predictor):
    (digit,) = read(predictor, letter("A")).digits

    assert digit.guess == "?"
    closest = f"Closest digit: {digit.prediction.label}, but the model is unsure it's a digit."
    assert digit.doubt() == f"That doesn't look like a digit. {closest}"


def test_a_letter_inside_a_number_is_flagged_and_the_digits_beside_it_are_not(predictor):
    number = place_side_by_side([pen_canvas("2"), letter("K", seed=1), pen_canvas("7")], gap=30)

    result = read(predictor, number)

    assert [digit.not_a_digit for digit in result.digits] == [False, True, False]
    assert result.verdict().startswith("Piece 2 doesn't look like a digit.")


def test_a_model_whose_card_has_no_threshold_never_says_not_a_digit(predictor, monkeypatch):
    card = {key: value for key, value in predictor.card.items() if key != reading.NOT_A_DIGIT_CARD_KEY}
    monkeypatch.setattr(predictor, "card", card)

    assert not any(digit.not_a_digit for digit in read(predictor, letter("A")).digits)


def test_a_card_threshold_that_is_no_probability_says_how_to_fit_it_again(predictor, monkeypatch):
    monkeypatch.setattr(predictor, "card", {**predictor.card, reading.NOT_A_DIGIT_CARD_KEY: "high"})

    with pytest.raises(ValueError, match=r"not_a_digit_below = 'high'.*benchmarks/not_a_digit_threshold.py"):
        reading.read_canvas(predictor, letter("A"))


def test_tuning_and_held_out_non_digits_share_no_font_and_no_seed():
    tuning, held_out = non_digits.TUNING, non_digits.HELD_OUT

    assert not set(tuning.hershey_fonts) & set(held_out.hershey_fonts)
    assert not set(tuning.font_files) & set(held_out.font_files)
    assert tuning.seed != held_out.seed
    assert set(held_out.shapes) - set(tuning.shapes)  # some families are never tuned on


@pytest.mark.parametrize("name", sorted(non_digits.SHAPES))
def test_every_shape_family_draws_ink_inside_the_canvas(name):
    image = shape(name)

    ink = image[:, :, 0] > 127
    assert image.shape == (non_digits.CANVAS_SIDE, non_digits.CANVAS_SIDE, 4)
    assert ink.any()
    assert not (ink[0].any() and ink[-1].any() and ink[:, 0].any() and ink[:, -1].any())


def test_samples_of_no_class_train_towards_the_same_probability_for_every_class_and_never_validate():
    y = np.array([3, NO_CLASS, 0, NO_CLASS] * 5)

    targets = as_targets(y, "categorical", 10)
    _, _, (_, y_val) = split_validation(np.zeros((len(y), 2)), y, TrainSpec(validation_split=0.5))

    np.testing.assert_allclose(targets[1], np.full(10, 0.1))
    assert targets[0, 3] == 1
    assert NO_CLASS not in y_val
    with pytest.raises(ValueError, match="categorical"):
        as_targets(y, "sparse", 10)


def test_the_threshold_is_fitted_on_the_digits_the_page_reads_not_on_strokes_it_joins(predictor, monkeypatch):
    # A 7's crossbar drawn apart is a piece of ink that is no digit; the page joins it to the rest and reads a 7. The
    # fitter once scored each piece alone, and its threshold (0.578) was the score of one such bar.
    (seven,) = digits.digits_from_canvas(pen_canvas("7"))
    (one,) = digits.digits_from_canvas(pen_canvas("1"))
    bar_ink = np.zeros((320, 320), np.uint8)
    cv2.line(bar_ink, (100, 160), (220, 150), 255, 18, cv2.LINE_AA)
    (bar,) = digits.digits_from_canvas(as_canvas_rgba(bar_ink / 255))
    monkeypatch.setattr(digits, "digits_from_canvas", lambda image: [dataclasses.replace(bar, joined=seven), one])

    score = not_a_digit.lowest_score(predictor, pen_canvas("7"))

    (read,) = reading.read_canvas(predictor, pen_canvas("7")).digits
    assert read.crop is seven
    assert score == pytest.approx(reading.two_likeliest(predictor.predict(seven.image).probabilities))
    assert score > reading.two_likeliest(predictor.predict(bar.image).probabilities) + 0.1


def test_what_the_user_saved_with_that_was_wrong_trains_in_mnist_other(monkeypatch):
    # The generated drawings come from the cache; here a small stand-in, so that only the user's drawings are new.
    x_drawn, x_font, y_font = np.zeros((5, 28, 28), np.uint8), np.zeros((2, 28, 28), np.uint8), np.array([1, 2])
    monkeypatch.setattr(mnist_other.npz_cache, "read_arrays", lambda *args: (x_drawn, x_font, y_font))
    monkeypatch.setattr(mnist_other, "TURNED_DIGITS", 4)
    pen = Dataset("mnist_pen", np.zeros((20, 28, 28), np.uint8), np.arange(20) % 10, x_drawn, y_font, DIGITS)
    plus, seven = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    plus[5:23, 13:15], plus[13:15, 5:23] = 1, 1
    seven[5:7, 6:22], seven[7:23, 14:16] = 1, 1
    samples.save_not_a_digit([DigitCrop(plus, (0, 0, 40, 40))], np.zeros((60, 60, 3), np.uint8))
    samples.save_sample(seven, "7")

    dataset = mnist_other.load_mnist_other(pen)

    def labels_of(image: np.ndarray) -> np.ndarray:
        return dataset.y_train[(dataset.x_train == np.round(255 * image).astype(np.uint8)).all(axis=(1, 2))]

    np.testing.assert_array_equal(labels_of(plus), [NO_CLASS] * mnist_other.SAVED_REPEAT)
    np.testing.assert_array_equal(labels_of(seven), [7] * mnist_other.SAVED_REPEAT)
    assert len(dataset.x_train) == 20 + 2 + 5 + 4 + 2 * mnist_other.SAVED_REPEAT
    assert "(each 10×): 1 piece of no digit, 1 digit with the right label" in dataset.about
