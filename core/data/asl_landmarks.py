"""The asl_landmarks dataset: normalised hand landmarks of every ASL photo with a hand found, split by source.

Each photo's 21 landmarks become the 63 numbers `normalize_landmarks` gives (the input the letters model reads
live), and whole sources (people) are held out for testing, never single photos: frames of one person are
near-copies of each other, and a split that shares a person overstates accuracy by tens of points.
"""

import re
from pathlib import Path

import numpy as np

from core.data.hand_landmarks import ASL_PHOTOS, COLLECTIONS, LandmarkSet, load_collections
from core.vision.landmarks import LANDMARKS, normalize_landmarks

FEATURES = LANDMARKS * 3  # 21 × (x, y, z)
# The asl_webcam sources the registry's dataset tests on: two with the face in view, one hand only.
TEST_SOURCES = ("kingdavidko", "mariia00", "sanarashid")
# A row of the datasets README's asl_webcam tables: | `source` | face in view (yes, no, partly) | ...
SOURCE_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(yes|no|partly)\s*\|", re.MULTILINE)
# Training keeps every 4th asl_photos photo: its 24,000 are runs of near-identical shots, and all of them would
# outweigh the people of asl_webcam (and take several times as long to train on).
PHOTOS_STRIDE = 4
PHOTOS_BLOCK = 100  # asl_photos' photos of one letter come in runs of about a hundred near-copies (its test blocks).
INPUT_CONTRACT = (
    "hand landmarks, 63 = 21×(x, y, z) from core.vision.hand_tracker.HandTracker (find or find_in_photo), "
    "normalised by core.vision.landmarks.normalize_landmarks: wrist at the origin, divided by the palm size "
    "(wrist to middle-finger base in x, y), orientation kept, left hands mirrored in x"
)


def face_in_view(data_folder: Path) -> dict[str, bool]:
    """Each asl_webcam source's "face in view" from the datasets README's tables ("partly" counts as in view).

    The README beside the data is the one place that says which people sign with their face in the picture; a
    data folder without it gives an empty dict.
    """
    readme = data_folder / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    section = text.partition("## asl_webcam/")[2].partition("\n## ")[0]
    return {source: seen != "no" for source, seen in SOURCE_ROW.findall(section)}


def describe_people(landmarks: LandmarkSet, test_sources: tuple[str, ...], faces: dict[str, bool]) -> str:
    """Whom a model trained on the source split learns from, and whom it is tested on, in one sentence."""
    webcam = sorted(set(landmarks.sources.tolist()) - {ASL_PHOTOS})
    trained = [source for source in webcam if source not in test_sources]
    with_face = sum(bool(faces.get(source)) for source in trained)
    tested = [source for source in test_sources if source in webcam]
    return (
        f"{_people(len(trained))} of asl_webcam, each in their own room ({with_face} with the face in view), and the "
        f"asl_photos collection; tested on {_people(len(tested))} it never trained on: {', '.join(tested)}"
    )


def _people(count: int) -> str:
    """'1 person', '3 people'."""
    return f"{count} {'person' if count == 1 else 'people'}"


def load_all_landmarks(data_folder: Path, cache_folder: Path) -> LandmarkSet:
    """The LandmarkSet of asl_photos and asl_webcam together, each collection from its own cache."""
    return load_collections(data_folder, COLLECTIONS, cache_folder)


def landmark_features(landmarks: LandmarkSet) -> np.ndarray:
    """The (N, 63) float32 normalised features of rows whose hand was found (every row must have one)."""
    if not landmarks.found.all():
        raise ValueError("landmark_features needs rows with a hand found: select them with subset(found) first")
    rows = [
        normalize_landmarks(px, hand) for px, hand in zip(landmarks.landmarks_px, landmarks.handedness, strict=True)
    ]
    return np.stack(rows) if rows else np.zeros((0, FEATURES), np.float32)


def with_mirrored_copies(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features followed by a mirrored copy of each (x negated), with the labels repeated.

    Mirroring a photo and flipping its handedness gives the same normalised features (left hands are mirrored
    back), so the copy that teaches something is the mirror image read with the handedness kept: what the model
    sees when the landmark model misjudges which hand it is. With it, one model reads either hand either way.
    """
    mirrored = x.reshape(len(x), LANDMARKS, 3).copy()
    mirrored[:, :, 0] = -mirrored[:, :, 0]
    return np.concatenate([x, mirrored.reshape(len(x), FEATURES)]), np.concatenate([y, y])


def source_split(
    landmarks: LandmarkSet, test_sources: tuple[str, ...], mirror: bool = True, photos_stride: int = PHOTOS_STRIDE
) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_test, y_test of the rows with a hand found, testing on whole sources; and train_groups.

    Training keeps every `photos_stride`-th asl_photos row, and gets mirrored copies when `mirror` is set; the test
    rows are all kept, never mirrored. `train_groups` names each training row's group (source_groups), so that a
    validation split holds out whole people, as the test does.
    """
    found = landmarks.subset(landmarks.found)
    is_test = np.isin(found.sources, test_sources)
    is_train = ~is_test & thinned_photos(found.sources, photos_stride)
    x, y, groups = landmark_features(found), found.labels, source_groups(found.sources)
    x_train, y_train = (with_mirrored_copies if mirror else _unchanged)(x[is_train], y[is_train])
    train_groups = np.concatenate([groups[is_train]] * (2 if mirror else 1))
    return x_train, y_train, x[is_test], y[is_test], train_groups


def source_groups(sources: np.ndarray) -> np.ndarray:
    """A group name per row: its source (one person), or for asl_photos its run of PHOTOS_BLOCK photos in a row.

    asl_photos holds several people in runs of near-identical shots; a run is the nearest thing it has to a person.
    """
    groups = sources.astype(str).astype(object)
    photos = np.flatnonzero(sources == ASL_PHOTOS)
    groups[photos] = [f"{ASL_PHOTOS}/{index // PHOTOS_BLOCK}" for index in range(len(photos))]
    return groups.astype(str)


def thinned_photos(sources: np.ndarray, stride: int) -> np.ndarray:
    """A mask that is True for every row, except that only every stride-th asl_photos row is kept."""
    keep = np.ones(len(sources), bool)
    photos = np.flatnonzero(sources == ASL_PHOTOS)
    keep[photos] = False
    keep[photos[::stride]] = True
    return keep


def _unchanged(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features and labels as they are."""
    return x, y
