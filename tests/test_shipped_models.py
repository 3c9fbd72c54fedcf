"""The shipped models: each loads in safe mode, agrees with its card, and reaches its target on untouched test data.

Targets (issue #3): digits ≥ 99.5% on MNIST test; fashion ≥ 93.0% on Fashion-MNIST test. The letters model
reads hand landmarks (issue #15): it is held to the people it never trained on, read from their photo files through
the Sign page's own path (hand models, landmarks, model), photos without a hand found counting as wrong.
"""

import json

import cv2
import numpy as np
import pytest

from core import paths
from core.data import datasets
from core.data.asl_landmarks import TEST_SOURCES
from core.data.datasets import DatasetMissing
from core.learn import catalog
from core.predictor import Predictor, load_model
from core.tasks import TASKS
from core.vision import signs

TARGETS = {
    ("digits", "mnist"): 0.995,
    ("fashion", "fashion_mnist"): 0.930,
}
# The letters model on the asl_webcam people of the registry's test split (two with the face in view), every
# PHOTO_STRIDE-th photo read as the Sign page reads a photo: the figure docs/letters.md states for this sample.
UNSEEN_PEOPLE_FIGURE = 0.910
PHOTO_STRIDE = 3


def shipped(task: str) -> Predictor:
    return Predictor(catalog.shipped_model(task))


@pytest.mark.parametrize("task", list(TASKS))
def test_shipped_model_loads_safely_and_matches_its_card(task: str) -> None:
    path = catalog.shipped_model(task)
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    model = load_model(path)  # safe mode

    assert path.stat().st_size < 5 * 1024 * 1024
    assert list(model.input_shape[1:]) == card["input_shape"]
    assert model.output_shape[-1] == len(card["labels"])
    assert card["command"].startswith("python -m core.train ")
    probabilities = Predictor(path).predict_batch(np.zeros((2, *card["input_shape"]), np.float32))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)


def _test_split(dataset: str, image_size: int) -> datasets.Dataset:
    try:
        return datasets.load_dataset(dataset, image_size=image_size)
    except DatasetMissing as error:
        pytest.skip(str(error))


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize(("task", "dataset"), list(TARGETS))
def test_shipped_model_reaches_its_target_on_the_test_set(task: str, dataset: str) -> None:
    predictor = shipped(task)
    data = _test_split(dataset, predictor.image_size)
    probabilities = predictor.predict_batch(data.x_test.astype(np.float32)[..., None] / 255.0)

    accuracy = float(np.mean(probabilities.argmax(axis=1) == data.y_test))
    print(f"{task} on {dataset} test: {accuracy:.2%} of {len(data.y_test)}")
    assert accuracy >= TARGETS[(task, dataset)]


@pytest.mark.data
def test_letters_model_reads_people_it_never_saw_from_their_photo_files() -> None:
    folder = paths.data_dir() / "asl_webcam"
    if not folder.is_dir():
        pytest.skip(f"needs the asl_webcam folder in HANDLAB_DATA_DIR ({paths.data_dir()})")
    predictor = shipped("letters")
    assert predictor.card["dataset"] == "asl_landmarks"  # so TEST_SOURCES are the people it never trained on
    right = total = 0
    for source in TEST_SOURCES:
        for letter in predictor.labels:
            for photo in sorted((folder / source / letter).glob("*.jpg"))[::PHOTO_STRIDE]:
                frame = cv2.imread(str(photo), cv2.IMREAD_COLOR)
                prediction = signs.read_sign(predictor, frame).prediction
                right += prediction is not None and prediction.label == letter
                total += 1
    print(f"letters of {', '.join(TEST_SOURCES)}: {right}/{total} = {right / total:.1%}")
    assert total > 200
    assert right / total == pytest.approx(UNSEEN_PEOPLE_FIGURE, abs=0.02)  # ±2 points: docs/letters.md is current
