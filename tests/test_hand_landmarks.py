"""Hand landmarks of the photo collections: the cache, the features, the source split, the dataset and its recipe.

Unit tests use tiny synthetic photos and landmarks (no model files, no datasets); the data test runs the real
tracker on a small sample of asl_photos and asl_webcam.
"""

import json
import os
import shutil
import time
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest

from core.data import asl_landmarks, datasets, hand_landmarks
from core.data.datasets import DatasetMissing, load_dataset
from core.data.hand_landmarks import LandmarkSet
from core.labels import SIGN_LETTERS
from core.learn import recipes
from core.learn.spec import TrainSpec, recipes_for_dataset
from core.paths import data_dir
from core.vision import hand_model_files
from core.vision.hand_tracker import HandTracker

# A right hand, fingers up, in pixels (x right, y down): wrist at the bottom, palm about 40 px tall.
HAND_PX = np.array([[100, 200, 0]] + [[100 + 10 * (i % 5) - 20, 160 - 8 * (i // 5), -i] for i in range(20)], np.float32)


def write_webcam_folder(root: Path, sources: tuple[str, ...], letters: str = "AB", per_letter: int = 2) -> Path:
    """asl_webcam/<SOURCE>/<LETTER>/<k>.jpg of small grey pictures."""
    for source in sources:
        for letter in letters:
            (root / "asl_webcam" / source / letter).mkdir(parents=True)
            for k in range(per_letter):
                cv2.imwrite(str(root / "asl_webcam" / source / letter / f"{k}.jpg"), np.full((8, 8, 3), 99, np.uint8))
    return root / "asl_webcam"


def landmark_set(sources: list[str], labels: list[int], found: list[bool] | None = None) -> LandmarkSet:
    """Rows of the same hand, shifted a little per row, with the given sources and labels."""
    n = len(sources)
    found = found if found is not None else [True] * n
    landmarks = np.stack([HAND_PX + [i, 2 * i, 0] for i in range(n)]).astype(np.float32)
    handedness = ["right" if ok else "" for ok in found]
    return LandmarkSet(np.array(sources), np.array(labels, np.int64), landmarks, np.array(handedness), np.array(found))


def fake_extract(calls: list[int], finds=lambda path: True):
    """A stand-in for extract_landmarks that finds HAND_PX in the photos `finds` accepts and counts its calls."""

    def extract(photos, workers=2, log=None):
        calls.append(len(photos))
        found = np.array([finds(p.path) for p in photos], bool)
        return LandmarkSet(
            np.array([p.source for p in photos]),
            np.array([p.label for p in photos], np.int64),
            np.repeat(HAND_PX[None], len(photos), axis=0) * found[:, None, None],
            np.where(found, "right", ""),
            found,
        )

    return extract


# --- the cache ---------------------------------------------------------------------------------------------------


def test_cache_key_changes_when_a_photo_changes(tmp_path: Path) -> None:
    folder = write_webcam_folder(tmp_path, ("anna",))
    before = hand_landmarks.cache_key(hand_landmarks.list_webcam_photos(folder))
    photo = folder / "anna" / "A" / "0.jpg"
    photo.write_bytes(photo.read_bytes() + b"\0")
    os.utime(photo, ns=(photo.stat().st_atime_ns, photo.stat().st_mtime_ns + 10**9))
    assert hand_landmarks.cache_key(hand_landmarks.list_webcam_photos(folder)) != before


def test_cache_key_survives_a_copy_of_the_data_folder(tmp_path: Path) -> None:
    # A copied dataset has new mtimes and a new place; its photos, and so their 43-minute landmarks, are the same.
    folder = write_webcam_folder(tmp_path / "first", ("anna", "bo"))
    copy = shutil.copytree(folder, tmp_path / "second" / "asl_webcam", copy_function=shutil.copyfile)
    later = time.time_ns() + 10**10
    for photo in copy.rglob("*.jpg"):
        os.utime(photo, ns=(later, later))
    assert hand_landmarks.cache_key(hand_landmarks.list_webcam_photos(copy)) == hand_landmarks.cache_key(
        hand_landmarks.list_webcam_photos(folder)
    )


def test_cache_key_changes_when_a_photo_is_renamed(tmp_path: Path) -> None:
    folder = write_webcam_folder(tmp_path, ("anna",))
    before = hand_landmarks.cache_key(hand_landmarks.list_webcam_photos(folder))
    (folder / "anna" / "A" / "0.jpg").rename(folder / "anna" / "A" / "9.jpg")
    assert hand_landmarks.cache_key(hand_landmarks.list_webcam_photos(folder)) != before


def test_cache_key_changes_with_the_pipeline_version_and_the_model_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = hand_landmarks.list_webcam_photos(write_webcam_folder(tmp_path, ("anna",)))
    before = hand_landmarks.cache_key(photos)
    monkeypatch.setattr(hand_landmarks, "PIPELINE_VERSION", hand_landmarks.PIPELINE_VERSION + 1)
    assert hand_landmarks.cache_key(photos) != before
    monkeypatch.undo()
    palm = hand_model_files.MODEL_FILES["palm_detection_full.tflite"]
    monkeypatch.setitem(hand_model_files.MODEL_FILES, "palm_detection_full.tflite", (palm[0], "0" * 64))
    assert hand_landmarks.cache_key(photos) != before


def test_webcam_photos_carry_their_source_and_letter(tmp_path: Path) -> None:
    photos = hand_landmarks.list_webcam_photos(write_webcam_folder(tmp_path, ("bo", "anna"), letters="BY"))
    assert [(p.source, SIGN_LETTERS[p.label]) for p in photos[::2]] == [
        ("anna", "B"),
        ("anna", "Y"),
        ("bo", "B"),
        ("bo", "Y"),
    ]


def test_landmarks_are_extracted_once_then_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_webcam_folder(tmp_path, ("anna", "bo"))
    calls: list[int] = []
    monkeypatch.setattr(hand_landmarks, "extract_landmarks", fake_extract(calls))
    first = hand_landmarks.load_collections(tmp_path, ("asl_webcam",), tmp_path / "cache")
    again = hand_landmarks.load_collections(tmp_path, ("asl_webcam",), tmp_path / "cache")
    assert calls == [8]
    assert (tmp_path / "cache" / "hand_landmarks_asl_webcam.npz").is_file()
    np.testing.assert_array_equal(again.landmarks_px, first.landmarks_px)
    assert again.sources.tolist() == ["anna"] * 4 + ["bo"] * 4
    photo = tmp_path / "asl_webcam" / "bo" / "B" / "1.jpg"
    photo.write_bytes(photo.read_bytes() + b"\0")
    hand_landmarks.load_collections(tmp_path, ("asl_webcam",), tmp_path / "cache")
    assert calls == [8, 8]


def test_extraction_without_hand_models_says_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hand_model_files, "HAND_MODELS_DIR", tmp_path / "no-models")
    photos = hand_landmarks.list_webcam_photos(write_webcam_folder(tmp_path, ("anna",)))
    with pytest.raises(hand_model_files.HandModelsMissing, match="fetch_hand_models"):
        hand_landmarks.extract_landmarks(photos)


# --- features and split ------------------------------------------------------------------------------------------


def test_face_in_view_is_read_from_the_datasets_readme(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "## asl_photos/ — photos\n| `notasource` | yes | 1 |\n\n"
        "## asl_webcam/<SOURCE>/<LETTER>/ — people\n\n| source | face in view | images |\n|---|---|---|\n"
        "| `anna` | yes | 288 |\n| `bo` | no | 12 |\n\nMore people:\n\n| `cy` | partly | 192 |\n\n"
        "## asl_motion/ — clips\n| `dee` | yes | 3 |\n"
    )
    assert asl_landmarks.face_in_view(tmp_path) == {"anna": True, "bo": False, "cy": True}
    assert asl_landmarks.face_in_view(tmp_path / "elsewhere") == {}


def test_mirrored_copies_double_the_data_with_x_flipped() -> None:
    x = np.random.default_rng(0).normal(size=(5, 63)).astype(np.float32)
    y = np.arange(5)
    x2, y2 = asl_landmarks.with_mirrored_copies(x, y)
    assert x2.shape == (10, 63)
    assert y2.tolist() == [0, 1, 2, 3, 4] * 2
    np.testing.assert_array_equal(x2[:5], x)
    points, mirrored = x.reshape(5, 21, 3), x2[5:].reshape(5, 21, 3)
    np.testing.assert_array_equal(mirrored[:, :, 0], -points[:, :, 0])
    np.testing.assert_array_equal(mirrored[:, :, 1:], points[:, :, 1:])


def test_features_put_the_wrist_at_the_origin_at_palm_scale() -> None:
    x = asl_landmarks.landmark_features(landmark_set(["a", "b"], [0, 1]))
    assert x.shape == (2, 63)
    np.testing.assert_allclose(x[:, :3], 0.0)
    np.testing.assert_allclose(x[0], x[1], atol=1e-5)  # The rows differ only by a shift.
    assert np.isclose(np.linalg.norm(x[0].reshape(21, 3)[9, :2]), 1.0)


def test_split_tests_on_whole_sources_without_mirrors_and_drops_missed_hands() -> None:
    rows = landmark_set(["a", "a", "b", "c", "c"], [0, 1, 2, 3, 4], found=[True, True, True, True, False])
    x_train, y_train, x_test, y_test, groups = asl_landmarks.source_split(rows, ("c",))
    assert y_test.tolist() == [3]
    assert sorted(y_train.tolist()) == [0, 0, 1, 1, 2, 2]
    assert x_test.shape == (1, 63)
    _, y_plain, _, _, plain_groups = asl_landmarks.source_split(rows, ("c",), mirror=False)
    assert y_plain.tolist() == [0, 1, 2]
    # Issue #29: the validation split holds out whole people, so each row (and its mirror image) is named by its
    # source.
    assert groups.tolist() == ["a", "a", "b"] * 2
    assert plain_groups.tolist() == ["a", "a", "b"]


def test_the_people_a_model_learns_from_are_counted_with_their_faces() -> None:
    rows = landmark_set(["asl_photos", "anna", "bo", "cy", "dee"], [0, 1, 2, 3, 4])
    about = asl_landmarks.describe_people(rows, ("dee", "zed"), {"anna": True, "bo": False, "dee": True})
    assert about == (
        "3 people of asl_webcam, each in their own room (1 with the face in view), and the asl_photos collection; "
        "tested on 1 person it never trained on: dee"
    )


def test_asl_photos_rows_are_grouped_in_runs_of_a_hundred() -> None:
    groups = asl_landmarks.source_groups(np.array(["asl_photos"] * 250 + ["anna"] * 3))
    assert (
        groups[[0, 99, 100, 199, 200, 249]].tolist()
        == ["asl_photos/0"] * 2 + ["asl_photos/1"] * 2 + ["asl_photos/2"] * 2
    )
    assert groups[250:].tolist() == ["anna"] * 3


def test_training_keeps_every_nth_asl_photo_and_tests_on_all() -> None:
    rows = landmark_set(["asl_photos"] * 8 + ["a"] * 2, list(range(10)))
    _, y_train, _, _, _ = asl_landmarks.source_split(rows, ("x",), mirror=False, photos_stride=4)
    assert y_train.tolist() == [0, 4, 8, 9]
    _, _, _, y_test, _ = asl_landmarks.source_split(rows, ("asl_photos",), mirror=False, photos_stride=4)
    assert y_test.tolist() == list(range(8))


# --- the dataset and its recipe ------------------------------------------------------------------------------------


def test_dataset_without_its_folders_says_what_to_put_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path))
    (tmp_path / "asl_photos").mkdir()
    assert not datasets.available("asl_landmarks")
    with pytest.raises(
        DatasetMissing, match=r"ASL hand landmarks not found: put .*asl_webcam.* \(no asl_webcam folder\)"
    ):
        load_dataset("asl_landmarks")


def test_dataset_without_hand_models_says_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(hand_model_files, "HAND_MODELS_DIR", tmp_path / "no-models")
    write_webcam_folder(tmp_path, ("anna",))
    for letter in SIGN_LETTERS:
        (tmp_path / "asl_photos" / letter).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / "asl_photos" / letter / f"{letter}0.jpg"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(DatasetMissing, match=r"ASL hand landmarks needs the hand models.*fetch_hand_models"):
        load_dataset("asl_landmarks")


def test_landmark_recipes_are_offered_for_landmark_data_only() -> None:
    assert datasets.get_info("asl_landmarks").kind == "landmarks"
    assert [r.name for r in recipes.RECIPES.values() if r.kind == "landmarks"] == ["letters-landmarks"]
    assert [r.name for r in recipes_for_dataset("asl_landmarks")] == ["letters-landmarks"]
    assert "letters-landmarks" not in [r.name for r in recipes_for_dataset("letters")]
    TrainSpec(recipe="letters-landmarks", dataset="asl_landmarks").validate()
    with pytest.raises(ValueError, match="is for landmarks data, but mnist is image data"):
        TrainSpec(recipe="letters-landmarks", dataset="mnist").validate()


def test_model_card_declares_the_landmark_input() -> None:
    note = datasets.input_note("asl_landmarks", 28)
    assert note.startswith("hand landmarks, 63 = 21×(x, y, z)")
    assert "normalize_landmarks" in note


def test_landmarks_recipe_learns_separable_random_features() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(24, 63)).astype(np.float32)
    y = np.arange(24 * 20) % 24
    x = centres[y] + 0.3 * rng.normal(size=(len(y), 63)).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = recipes.get_recipe("letters-landmarks").build((63,), 24)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.output_shape == (None, 24)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9  # Chance is 1/24.


# --- real photos -------------------------------------------------------------------------------------------------


@pytest.mark.data
def test_every_asl_webcam_source_says_whether_the_face_is_in_view() -> None:
    # Issue #29: 35 people, 24 with the face in view (two of them partly), as the datasets README says.
    folder = data_dir() / "asl_webcam"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    sources = {photo.source for photo in hand_landmarks.list_webcam_photos(folder)}
    faces = asl_landmarks.face_in_view(data_dir())
    assert len(sources) == 35
    assert set(faces) == sources
    assert sum(faces.values()) == 24
    assert faces["mariia00"]
    assert not faces["sanarashid"]


@pytest.mark.data
def test_hands_are_found_in_a_sample_of_two_sources() -> None:
    folder = data_dir()
    if not (folder / "asl_photos").is_dir() or not (folder / "asl_webcam").is_dir():
        pytest.skip(f"asl_photos and asl_webcam are not in {folder}")
    if missing := hand_model_files.problems():
        pytest.skip(f"hand models not ready: {'; '.join(missing)}")
    photos = hand_landmarks.list_collection(folder, "asl_photos")[::1600]  # 15 photos, every letter in turn
    photos += [p for p in hand_landmarks.list_collection(folder, "asl_webcam") if p.source == "mariia00"][::20]
    found = hand_landmarks.extract_landmarks(photos)
    assert len(found) == len(photos) >= 28
    assert set(found.sources.tolist()) == {"asl_photos", "mariia00"}
    assert found.found.mean() >= 0.85
    assert set(found.handedness[found.found].tolist()) <= {"left", "right"}
    x = asl_landmarks.landmark_features(found.subset(found.found))
    assert x.shape == (int(found.found.sum()), 63)
    assert np.isfinite(x).all()


@pytest.mark.data
def test_the_pipeline_gives_the_pinned_landmarks_of_its_version() -> None:
    # Issue #28: the caches are keyed by PIPELINE_VERSION, not by the pipeline's source bytes. A change that moves
    # these landmarks must bump the version (and rebuild the caches): record the pins again with the script.
    pins = json.loads((Path(__file__).parent / "data" / "landmark_pins.json").read_text())
    assert pins["pipeline_version"] == hand_landmarks.PIPELINE_VERSION, (
        "PIPELINE_VERSION was bumped: record the pins again with scripts/pin_landmarks.py"
    )
    folder = data_dir()
    if not all((folder / name).is_file() for name in pins["landmarks_px"]):
        pytest.skip(f"the pinned photos are not in {folder}")
    if missing := hand_model_files.problems():
        pytest.skip(f"hand models not ready: {'; '.join(missing)}")
    tracker = HandTracker(threads=1)  # as the extraction's workers run it
    for name, pinned in pins["landmarks_px"].items():
        hand = tracker.find_in_photo(cv2.imread(str(folder / name), cv2.IMREAD_COLOR))
        assert (hand is None) == (pinned is None), f"{name}: the hand is found or lost: bump PIPELINE_VERSION"
        if hand is not None:
            moved = np.abs(hand.landmarks_px - np.array(pinned)).max()
            assert moved < 0.5, f"{name}: landmarks moved by {moved:.2f} px: bump PIPELINE_VERSION"
