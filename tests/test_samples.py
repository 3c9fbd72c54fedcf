"""The user's own samples: saved atomically under HANDLAB_HOME, listed, and loaded as the my_digits dataset."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.data import datasets, samples
from core.vision.digits import DigitCrop


def digit_image(value: float = 1.0) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 12:16] = value
    return image


def photo() -> np.ndarray:
    return np.full((200, 300, 3), 230, np.uint8)


def test_sample_is_saved_under_home_with_its_original(handlab_home: Path):
    sample = samples.save_sample(digit_image(), "7", photo())
    assert sample.path.parent == handlab_home / "samples" / "my_digits" / "7"
    saved = cv2.imread(str(sample.path), cv2.IMREAD_UNCHANGED)
    assert saved.shape == (28, 28)
    assert saved.dtype == np.uint8
    assert saved[10, 13] == 255
    assert saved[0, 0] == 0
    assert cv2.imread(str(sample.original_path)).shape == (200, 300, 3)
    assert not list(sample.path.parent.glob(".*"))  # no temporary files left behind


def test_two_samples_saved_at_once_never_overwrite_each_other():
    first = samples.save_sample(digit_image(), "1")
    second = samples.save_sample(digit_image(0.5), "1")
    assert first.path != second.path
    assert [s.path for s in samples.list_samples()] == sorted([first.path, second.path])


@pytest.mark.parametrize(
    ("image", "label", "message"),
    [
        (digit_image(), "x", "must be one of 0, 1"),
        (digit_image(), "10", "must be one of"),
        (np.zeros((20, 20)), "3", "28×28"),
    ],
)
def test_bad_sample_is_refused_and_nothing_is_written(image, label, message):
    with pytest.raises(ValueError, match=message):
        samples.save_sample(image, label)
    assert samples.list_samples() == []


def test_number_saves_one_sample_per_digit_with_its_crop_of_the_original():
    original = np.zeros((300, 400, 3), np.uint8)
    crops = [DigitCrop(digit_image(), (50, 50, 100, 200)), DigitCrop(digit_image(), (250, 60, 90, 190))]
    saved = samples.save_number(crops, "42", original)
    assert [s.label for s in saved] == ["4", "2"]
    x, y, w, h = crops[0].box_xywh
    margin = round(samples.ORIGINAL_MARGIN * max(w, h))
    assert cv2.imread(str(saved[0].original_path)).shape == (h + 2 * margin, w + 2 * margin, 3)
    assert samples.count_samples() == {"2": 1, "4": 1}


@pytest.mark.parametrize("text", ["4", "421", "4a", ""])
def test_number_answer_must_have_one_digit_per_digit_found(text):
    crops = [DigitCrop(digit_image(), (0, 0, 10, 20))] * 2
    with pytest.raises(ValueError, match="one digit .* for each digit found"):
        samples.save_number(crops, text, photo())


def test_listing_ignores_originals_and_temporary_files():
    sample = samples.save_sample(digit_image(), "5", photo())
    (sample.path.parent / ".tmp-123.png").write_bytes(b"partial")
    assert samples.list_samples() == [samples.Sample(sample.path, "5")]


def test_my_digits_is_missing_until_enough_samples_are_saved():
    for _ in range(datasets.MY_SAMPLES_MIN - 1):
        samples.save_sample(digit_image(), "3")
    assert not datasets.available("my_digits")
    with pytest.raises(datasets.DatasetMissing, match=r"9 saved so far, at least 10.*That was wrong\?"):
        datasets.load_dataset("my_digits")
    samples.save_sample(digit_image(), "8")
    assert datasets.available("my_digits")


def test_my_digits_loads_a_deterministic_split_that_keeps_every_sample():
    for i in range(25):
        samples.save_sample(digit_image((i + 1) / 25), str(i % 10))
    first, again = datasets.load_dataset("my_digits"), datasets.load_dataset("my_digits")
    assert first.x_train.shape[1:] == (28, 28)
    assert first.x_train.dtype == np.uint8
    assert len(first.x_test) == 5
    assert len(first.x_train) + len(first.x_test) == 25
    np.testing.assert_array_equal(first.x_test, again.x_test)
    np.testing.assert_array_equal(first.y_train, again.y_train)
    assert sorted(np.concatenate([first.y_train, first.y_test]).tolist()) == sorted(i % 10 for i in range(25))
    assert first.class_names == tuple("0123456789")


def marked(i: int) -> np.ndarray:
    """A digit image whose corner pixel stores i (0..255), so the sample can be recognised after loading."""
    image = digit_image()
    image[0, 0] = i / 255
    return image


def test_adding_a_sample_moves_at_most_one_other_out_of_the_test_split():
    for i in range(20):
        samples.save_sample(marked(i), str(i % 10))
    before = set(datasets.load_dataset("my_digits").x_test[:, 0, 0].tolist())
    samples.save_sample(marked(20), "0")
    after = set(datasets.load_dataset("my_digits").x_test[:, 0, 0].tolist())
    assert len(before - after) <= 1


def test_a_damaged_sample_file_is_named_in_the_error():
    for i in range(10):
        samples.save_sample(digit_image(), str(i))
    broken = samples.list_samples()[0].path
    broken.write_bytes(b"not a png")
    with pytest.raises(ValueError, match=broken.name):
        datasets.load_dataset("my_digits")


def test_a_drawing_saved_as_not_a_digit_is_kept_apart_from_my_digits():
    original = np.zeros((300, 400, 3), np.uint8)
    crops = [DigitCrop(digit_image(), (50, 50, 100, 200)), DigitCrop(digit_image(0.5), (250, 60, 90, 190))]
    for _ in range(datasets.MY_SAMPLES_MIN - 1):
        samples.save_sample(digit_image(), "3")

    saved = samples.save_not_a_digit(crops, original)

    assert [sample.label for sample in saved] == [samples.NOT_A_DIGIT] * 2
    assert all(sample.original_path.is_file() for sample in saved)
    not_digits, labels = samples.load_all(samples.MY_DIGITS, (samples.NOT_A_DIGIT,))
    assert labels == [samples.NOT_A_DIGIT] * 2
    assert not_digits.shape == (2, 28, 28)
    assert not_digits.dtype == np.uint8
    assert [not_digits[0, 10, 13], not_digits[1, 10, 13]] == [255, 128]
    assert datasets.get_info("my_digits").saved() == datasets.MY_SAMPLES_MIN - 1  # still one digit short
    assert not datasets.available("my_digits")


def test_saving_nothing_as_not_a_digit_is_refused():
    with pytest.raises(ValueError, match="no ink"):
        samples.save_not_a_digit([], photo())
    assert samples.load_all(samples.MY_DIGITS, (samples.NOT_A_DIGIT,))[0].shape == (0, 28, 28)
