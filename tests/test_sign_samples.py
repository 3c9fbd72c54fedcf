"""Signs saved from the Sign page: stored as 128×128 hand crops in my_signs and loaded at any model size."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.hands import SKIN_TONES_BGR, cluttered_background, draw_hand

from core.data import datasets, samples
from core.learn.catalog import TASK_OF_DATASET
from core.vision import hands


def hand_frame(seed: int = 0) -> tuple[np.ndarray, tuple[int, ...]]:
    frame = cluttered_background(seed=seed)
    return frame, draw_hand(frame, (320, 260), 1.0, SKIN_TONES_BGR["tan"])


def test_sign_is_saved_as_a_large_crop_with_its_colour_original(handlab_home: Path):
    frame, box = hand_frame()
    sample = samples.save_sign(frame, box, "l")
    assert sample.path.parent == handlab_home / "samples" / "my_signs" / "L"
    saved = cv2.imread(str(sample.path), cv2.IMREAD_UNCHANGED)
    assert saved.shape == (samples.SIGN_SIDE, samples.SIGN_SIDE)
    expected = hands.letter_from_frame(frame, box, size=samples.SIGN_SIDE)
    assert np.abs(saved.astype(int) - np.round(expected * 255)).max() <= 1
    original = cv2.imread(str(sample.original_path))
    assert original.ndim == 3
    assert original.shape[0] >= box[3]


@pytest.mark.parametrize("label", ["J", "Z", "1", "", "AB"])
def test_only_the_24_static_letters_can_be_saved(label):
    frame, box = hand_frame()
    with pytest.raises(ValueError, match="must be one of"):
        samples.save_sign(frame, box, label)
    assert samples.list_samples(samples.MY_SIGNS) == []


def test_my_signs_is_missing_until_enough_signs_are_saved():
    frame, box = hand_frame()
    for _ in range(datasets.MY_SAMPLES_MIN - 1):
        samples.save_sign(frame, box, "A")
    assert not datasets.available("my_signs")
    with pytest.raises(datasets.DatasetMissing, match="Sign page"):
        datasets.load_dataset("my_signs")
    samples.save_sign(frame, box, "B")
    assert datasets.available("my_signs")


@pytest.mark.parametrize("size", [28, 64, 96])
def test_my_signs_loads_at_the_requested_image_size(size):
    for i, letter in enumerate("ABCDEFGHIKLM"):
        frame, box = hand_frame(seed=i)
        samples.save_sign(frame, box, letter)
    data = datasets.load_dataset("my_signs", image_size=size)
    assert data.x_train.shape[1:] == (size, size)
    assert data.x_train.dtype == np.uint8
    assert len(data.x_train) + len(data.x_test) == 12
    assert data.class_names[int(data.y_train[0])] in "ABCDEFGHIKLM"
    assert data.num_classes == 24


def test_my_signs_trains_the_letters_task_and_is_listed_for_training():
    info = datasets.get_info("my_signs")
    assert info.resizable
    assert info.kind == "image"
    assert TASK_OF_DATASET["my_signs"] == "letters"
    assert "my_signs" in datasets.DATASETS


def test_digit_samples_are_unchanged_by_the_sign_samples():
    image = np.zeros((28, 28), np.float32)
    samples.save_sample(image, "3")
    frame, box = hand_frame()
    samples.save_sign(frame, box, "C")
    assert [s.label for s in samples.list_samples()] == ["3"]
    assert [s.label for s in samples.list_samples(samples.MY_SIGNS)] == ["C"]
