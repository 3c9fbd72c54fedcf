"""Signs saved from the Sign page: stored as 128×128 hand crops in my_signs and loaded at any model size."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.hands import SKIN_TONES_BGR, along, cluttered_background, draw_hand, hand_landmarks_px, j_path, z_path
from helpers.models import make_landmarks_model

from core.data import datasets, loaders, samples
from core.labels import SIGN_LETTERS
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec
from core.learn.trainer import execute_run
from core.predictor import Predictor
from core.ui import run_words
from core.vision import hands
from core.vision.landmarks import normalize_landmarks


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


@pytest.mark.parametrize("label", ["1", "", "AB"])
def test_only_letters_can_be_saved(label):
    frame, box = hand_frame()
    with pytest.raises(ValueError, match="must be one of"):
        samples.save_sign(frame, box, label)
    assert samples.list_samples(samples.MY_SIGNS) == []


@pytest.mark.parametrize("letter", ["J", "Z"])
def test_a_j_or_z_without_its_motion_says_to_save_it_from_live_video(letter):
    frame, box = hand_frame()
    with pytest.raises(ValueError, match="drawn in the air.*Live"):
        samples.save_sign(frame, box, letter)
    assert samples.list_samples(samples.MY_SIGNS) == []


def test_a_j_whose_motion_shows_another_handshape_is_refused():
    frame, box = hand_frame()
    pointing = along(("index",), j_path())  # Z's handshape, not J's
    with pytest.raises(ValueError, match="handshape"):
        samples.save_sign(frame, box, "J", motion_px=pointing)
    assert samples.list_samples(samples.MY_SIGNS) == []


def test_a_saved_j_keeps_its_motion_for_the_motion_reader_and_stays_out_of_the_still_letters(handlab_home: Path):
    frame, box = hand_frame()
    drawn = along(("little",), j_path())
    drawn[5] = np.nan  # a frame the tracker missed
    sample = samples.save_sign(frame, box, "J", motion_px=drawn)
    samples.save_sign(frame, box, "B")
    assert sample.motion_path.is_file()
    ((letter, clip),) = samples.load_motion_clips()
    assert letter == "J"
    assert np.isnan(clip[5]).all()
    np.testing.assert_allclose(clip[6], drawn[6], atol=0.01)
    _, y_train, _, y_test = samples.load_sample_arrays(samples.MY_SIGNS, SIGN_LETTERS, side=samples.SIGN_SIDE)
    assert len(y_train) + len(y_test) == 1  # the B: J is not one of the still model's letters


def test_a_damaged_motion_file_is_named(handlab_home: Path):
    frame, box = hand_frame()
    sample = samples.save_sign(frame, box, "Z", motion_px=along(("index",), z_path()))
    sample.motion_path.write_text("{not json")
    with pytest.raises(ValueError, match=sample.motion_path.name):
        samples.load_motion_clips()


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
    assert datasets.task_of("my_signs") == "letters"
    assert "my_signs" in datasets.DATASETS


def test_digit_samples_are_unchanged_by_the_sign_samples():
    image = np.zeros((28, 28), np.float32)
    samples.save_sample(image, "3")
    frame, box = hand_frame()
    samples.save_sign(frame, box, "C")
    assert [s.label for s in samples.list_samples()] == ["3"]
    assert [s.label for s in samples.list_samples(samples.MY_SIGNS)] == ["C"]


def test_a_sign_found_by_the_hand_models_keeps_its_landmarks_for_landmark_models(handlab_home: Path):
    frame, box = hand_frame()
    landmarks = hand_landmarks_px((320, 330), 70)
    for index, letter in enumerate("LLLBBBYYYVVV"):
        handedness = "left" if index % 2 else "right"
        samples.save_sign(frame, box, letter, landmarks + index, handedness)
    samples.save_sign(frame, box, "A")  # found by skin colour: no landmarks, so not in the landmark set
    assert samples.count_sign_landmarks() == 12
    assert datasets.available("my_sign_landmarks")
    data = datasets.load_dataset("my_sign_landmarks")
    assert data.x_train.shape[1:] == (63,)
    assert len(data.x_train) + len(data.x_test) == 12
    assert set(data.y_train.tolist()) | set(data.y_test.tolist()) == {SIGN_LETTERS.index(c) for c in "LBYV"}
    # Translation does not change the normalised landmarks: every saved sign reads back as one of two features.
    expected = np.stack([normalize_landmarks(landmarks, hand) for hand in ("left", "right")])
    for row in np.concatenate([data.x_train, data.x_test]):
        assert np.abs(expected - row).max(axis=1).min() < 1e-3
    assert datasets.task_of("my_sign_landmarks") == "letters"


def test_landmarks_no_model_could_read_are_refused_before_anything_is_written(handlab_home: Path):
    frame, box = hand_frame()
    with pytest.raises(ValueError, match="not a hand"):
        samples.save_sign(frame, box, "L", np.zeros((21, 3), np.float32), "right")
    with pytest.raises(ValueError, match="handedness"):
        samples.save_sign(frame, box, "L", hand_landmarks_px(), "up")
    assert samples.list_samples(samples.MY_SIGNS) == []


def test_a_damaged_landmarks_file_is_named(handlab_home: Path):
    frame, box = hand_frame()
    for _ in range(10):
        sample = samples.save_sign(frame, box, "L", hand_landmarks_px(), "right")
    sample.landmarks_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{sample.landmarks_path.name}.*delete it or save the sign again"):
        samples.load_sign_landmarks()


def test_too_few_signs_with_landmarks_say_how_to_save_more(handlab_home: Path):
    frame, box = hand_frame()
    for _ in range(3):
        samples.save_sign(frame, box, "L", hand_landmarks_px(), "right")
    assert not datasets.available("my_sign_landmarks")
    with pytest.raises(datasets.DatasetMissing, match="3 saved with landmarks so far, at least 10"):
        datasets.load_dataset("my_sign_landmarks")


def save_twelve_signs() -> None:
    """Save 12 signs of L, Y and V with landmarks, each hand a little bigger than the last."""
    frame, box = hand_frame()
    for index, letter in enumerate("LLLLYYYYVVVV"):
        samples.save_sign(frame, box, letter, hand_landmarks_px(palm_px=60 + index), "right")


def fine_tune_a_landmarks_model(dataset: str, folder: Path) -> Predictor:
    """Fine-tune a shipped-style landmarks model on `dataset` for one epoch, as the Train page runs it."""
    start = make_landmarks_model(folder / "start" / "letters.keras", "B")
    store = RunStore()
    spec = TrainSpec("letters-landmarks", dataset, epochs=1, init_model=str(start)).resolved()
    run_id = store.create_run(spec.to_dict(), "my hands")
    assert execute_run(store, run_id) == 0
    run = store.get_run(run_id)
    assert run.status == "completed", run.error
    return Predictor(Path(run.model_path))


def test_the_shipped_style_landmarks_model_fine_tunes_on_my_signs(handlab_home: Path, tmp_path: Path):
    save_twelve_signs()
    tuned = fine_tune_a_landmarks_model("my_sign_landmarks", tmp_path)
    assert tuned.reads_landmarks
    assert tuned.card["dataset"] == "my_sign_landmarks"
    assert "--init-model" in tuned.card["command"]
    assert tuned.card["motion_letters"]["letters"] == ["J", "Z"]  # the card names where A–Z's other two come from


def asl_landmarks_stand_in(monkeypatch: pytest.MonkeyPatch, rows: int) -> loaders.Dataset:
    """A small asl_landmarks in place of the real one (which needs the photos and their landmarks): all B."""
    features = np.tile(normalize_landmarks(hand_landmarks_px(), "right"), (rows, 1))
    b = SIGN_LETTERS.index("B")
    people = np.char.add("person ", (np.arange(rows) % 10).astype(str))  # as asl_landmarks names its rows' people
    y_train, y_test = np.full(rows, b), np.full(5, b)
    about = "10 people of asl_webcam (4 with the face in view), and the asl_photos collection; tested on 1 person"
    asl = loaders.Dataset("asl_landmarks", features, y_train, features[:5], y_test, SIGN_LETTERS, people, about)
    monkeypatch.setattr(loaders, "load_asl_landmarks", lambda info: asl)
    return asl


def test_my_signs_with_asl_mixes_the_saved_signs_into_the_letters_data(monkeypatch: pytest.MonkeyPatch):
    save_twelve_signs()
    asl = asl_landmarks_stand_in(monkeypatch, rows=2000)
    mine = datasets.load_dataset("my_sign_landmarks")
    mixed = datasets.load_dataset("my_signs_with_asl")
    np.testing.assert_array_equal(mixed.x_train[: len(asl.x_train)], asl.x_train)
    # Each saved training sign and its mirror image, MY_SIGNS_REPEATS times each: they weigh, but do not replace.
    added = mixed.y_train[len(asl.y_train) :]
    assert len(added) == 2 * loaders.MY_SIGNS_REPEATS * len(mine.y_train)
    assert sorted(added.tolist()) == sorted(
        np.repeat(np.concatenate([mine.y_train] * 2), loaders.MY_SIGNS_REPEATS).tolist()
    )
    # A sign's repeats and its mirror image's are one sample to the validation split; the letters rows keep their
    # people.
    groups = mixed.train_groups
    np.testing.assert_array_equal(groups[: len(asl.y_train)], asl.train_groups)
    added_groups = groups[len(asl.y_train) :]
    assert len(np.unique(added_groups)) == len(mine.y_train)
    assert all(len(set(added[added_groups == group])) == 1 for group in np.unique(added_groups))
    assert not set(added_groups) & set(groups[: len(asl.y_train)])
    # Tested on the user's held-out signs and the letters data's held-out people: forgetting would show.
    np.testing.assert_array_equal(mixed.y_test, np.concatenate([mine.y_test, asl.y_test]))
    assert mixed.x_train.shape[1:] == mixed.x_test.shape[1:] == (63,)


def test_my_signs_never_outweigh_the_letters_data_they_are_mixed_into(monkeypatch: pytest.MonkeyPatch):
    save_twelve_signs()
    asl = asl_landmarks_stand_in(monkeypatch, rows=40)
    mixed = datasets.load_dataset("my_signs_with_asl")
    assert len(asl.y_train) < len(mixed.y_train) <= 2 * len(asl.y_train)


def test_my_signs_with_asl_needs_both_the_saved_signs_and_the_photos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path / "data"))
    save_twelve_signs()
    assert datasets.available("my_sign_landmarks")
    assert not datasets.available("my_signs_with_asl")  # no photos yet
    assert run_words.dataset_label("my_signs_with_asl").endswith(
        "(needs asl_photos/ and asl_webcam/ in " + str(tmp_path / "data") + ")"
    )
    for folder in ("asl_photos", "asl_webcam"):
        (tmp_path / "data" / folder).mkdir(parents=True)
    assert datasets.available("my_signs_with_asl")
    for sample in samples.list_samples(samples.MY_SIGNS)[:5]:
        sample.landmarks_path.unlink()
    assert not datasets.available("my_signs_with_asl")  # 7 signs with landmarks left
    assert run_words.dataset_label("my_signs_with_asl") == "My signs + ASL hand landmarks (3 more to save)"
    assert datasets.task_of("my_signs_with_asl") == "letters"


def test_the_letters_model_fine_tunes_on_my_signs_mixed_into_the_letters_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    save_twelve_signs()
    asl = asl_landmarks_stand_in(monkeypatch, rows=300)
    tuned = fine_tune_a_landmarks_model("my_signs_with_asl", tmp_path)
    assert tuned.card["dataset"] == "my_signs_with_asl"
    # Issue #29: the card says whom the model learnt from (the Sign page's letter guide shows it).
    assert tuned.card["data"] == f"Your 12 saved signs, and {asl.about}"
    assert tuned.card["test"]["samples"] == len(datasets.load_dataset("my_sign_landmarks").y_test) + len(asl.y_test)


def test_saved_j_and_z_motions_do_not_count_towards_the_still_letter_datasets():
    frame, box = hand_frame()
    for _ in range(datasets.MY_SAMPLES_MIN - 1):
        samples.save_sign(frame, box, "A", hand_landmarks_px(), "right")
    samples.save_sign(frame, box, "J", hand_landmarks_px(), "right", motion_px=along(("little",), j_path()))
    assert not datasets.available("my_signs")
    assert not datasets.available("my_sign_landmarks")
    with pytest.raises(datasets.DatasetMissing, match=f"{datasets.MY_SAMPLES_MIN - 1} saved"):
        datasets.load_dataset("my_signs")
