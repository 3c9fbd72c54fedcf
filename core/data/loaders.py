"""Loaders that read each dataset's files into a Dataset, with errors that say which file goes where."""

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from core.data import asl_landmarks, asl_photos, pima_csv, readers, samples, sign_csv
from core.data.hand_landmarks import ASL_PHOTOS, COLLECTIONS, PIPELINE_VERSION, load_collections
from core.labels import PIMA_CLASSES, SIGN_LABELS, SIGN_LETTERS
from core.paths import cache_dir, data_dir
from core.vision import hand_model_files

PIMA_TEST_FRACTION = 0.2
PIMA_SPLIT_SEED = 0
NO_CLASS = -1  # The label of a training sample that is none of the classes (core.data.mnist_other).
MY_SAMPLES_MIN = 10  # Fewer saved digits or signs than this make no useful train and test split.
# Sign MNIST's 27,455 training images are augmented copies of about 1,700 photos; every third keeps that variety
# and lets the ASL photos, the real hands, weigh as much as the Sign MNIST images in the `letters` mix.
LETTERS_SIGN_MNIST_STRIDE = 3
# Each saved sign (and its mirrored copy) is repeated this many times among the ~20,000 rows of ASL hand landmarks
# it is mixed into: few enough to keep the letters the user did not save, many enough to move the model towards the
# user's way of signing (docs/letters.md, "Fine-tuning on My signs").
MY_SIGNS_REPEATS = 10


class DatasetMissing(FileNotFoundError):
    """A dataset's files are not in the data folder (and could not be downloaded)."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test arrays: images uint8 (N, S, S) or tables float32 (N, F); labels int64 class indices."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    # One id per training row where some rows are copies of one sample (repeats, mirror images): the validation
    # split keeps each id's rows on one side, so validation never scores a copy of what it trained on.
    train_groups: np.ndarray | None = None
    about: str = ""  # whom the data comes from, for the model card ("32 people, 21 with the face in view; ...")

    def __post_init__(self) -> None:
        # Loaded datasets are shared through caches, so nobody may change them in place.
        for array in (self.x_train, self.y_train, self.x_test, self.y_test, self.train_groups):
            if array is not None:
                array.flags.writeable = False

    @property
    def kind(self) -> Literal["image", "tabular"]:
        """'image' for (N, S, S) pixels, 'tabular' for (N, F) features."""
        return "tabular" if self.x_train.ndim == 2 else "image"

    @property
    def num_classes(self) -> int:
        """How many classes the labels index into."""
        return len(self.class_names)


class Described(Protocol):
    """What a loader's errors name: the dataset's title and the files it needs (a DatasetInfo has both)."""

    @property
    def title(self) -> str: ...

    @property
    def needs(self) -> str: ...


def missing(info: Described, detail: str = "") -> DatasetMissing:
    """Build the error that tells the user which file to put in which folder."""
    suffix = f" ({detail})" if detail else ""
    return DatasetMissing(f"{info.title} not found: put {info.needs} in {data_dir()}{suffix}")


def load_keras_dataset(info: Described, name: str, class_names: tuple[str, ...]) -> Dataset:
    """Load MNIST or Fashion-MNIST from <name>.npz in the data folder, else via Keras' download."""
    path = data_dir() / f"{name}.npz"
    source = path.name if path.exists() else f"Keras' {name} download"
    if path.exists():
        arrays = readers.read_npz(path)
    else:
        try:
            arrays = readers.download_with_keras(name)
        except Exception as error:
            raise missing(info, f"the download failed: {error}") from error
        readers.check_arrays(source, arrays)
    readers.check_labels(source, arrays, tuple(range(len(class_names))))
    x_train, y_train, x_test, y_test = arrays
    return Dataset(name, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64), class_names)


def load_sign_mnist(info: Described, image_size: int) -> Dataset:
    """Load Sign Language MNIST from sign_mnist.npz, else from the Kaggle CSVs (upscaled to image_size)."""
    folder = data_dir()
    if (folder / "sign_mnist.npz").exists():
        arrays = readers.read_npz(folder / "sign_mnist.npz")
        readers.check_labels("sign_mnist.npz", arrays, SIGN_LABELS)
        x_train, labels_train, x_test, labels_test = arrays
    else:
        train_path = folder / "sign_mnist_train.csv"
        tests = [folder / name for name in ("sign_mnist_test.csv", "sign_mnist_valid.csv")]
        test_path = next((path for path in tests if path.exists()), None)
        if not train_path.exists() or test_path is None:
            present = [path.name for path in (train_path, test_path) if path and path.exists()]
            raise missing(info, f"found only {present[0]}" if present else "")
        x_train, labels_train, x_test, labels_test = sign_csv.read_sign_mnist_pair(train_path, test_path)
    train, test = sign_csv.sign_class_indices(labels_train), sign_csv.sign_class_indices(labels_test)
    x_train, x_test = readers.upscale(x_train, image_size), readers.upscale(x_test, image_size)
    return Dataset("sign_mnist", x_train, train, x_test, test, SIGN_LETTERS)


def load_letters(
    photos_info: Described, sign_info: Described, image_size: int, split: Literal["blocks", "groups"] = "blocks"
) -> Dataset:
    """The ASL photos plus every third Sign MNIST training image; the test split holds both test sets."""
    photos = load_asl_photos(photos_info, image_size, split)
    sign = load_sign_mnist(sign_info, image_size)
    keep = slice(None, None, LETTERS_SIGN_MNIST_STRIDE)
    return Dataset(
        "letters" if split == "blocks" else f"letters_{split}",
        np.concatenate([photos.x_train, sign.x_train[keep]]),
        np.concatenate([photos.y_train, sign.y_train[keep]]),
        np.concatenate([photos.x_test, sign.x_test]),
        np.concatenate([photos.y_test, sign.y_test]),
        SIGN_LETTERS,
    )


def load_pima(info: Described) -> Dataset:
    """Load diabetes.csv with a deterministic stratified 80/20 split."""
    path = data_dir() / "diabetes.csv"
    if not path.exists():
        raise missing(info)
    x, y = pima_csv.read_pima_csv(path)
    is_test = readers.stratified_test_mask(y, PIMA_TEST_FRACTION, PIMA_SPLIT_SEED)
    return Dataset("pima", x[~is_test], y[~is_test], x[is_test], y[is_test], PIMA_CLASSES)


def load_asl_photos(info: Described, image_size: int, split: Literal["blocks", "groups"] = "blocks") -> Dataset:
    """Load asl_photos/<LETTER>/<LETTER><k>.jpg through the Sign page's crop, cached per image size and split.

    The crop is placed by the hand models' landmarks of each photo, extracted once and cached with asl_landmarks'.
    """
    folder = data_dir() / "asl_photos"
    if not folder.is_dir():
        raise missing(info)
    cache = cache_dir() / f"asl_photos_{image_size}{'' if split == 'blocks' else '_' + split}.npz"
    try:
        found = load_collections(data_dir(), (ASL_PHOTOS,), cache_dir())
        hands = (found.landmarks_px, found.found, f"landmarks v{PIPELINE_VERSION}")
        arrays = asl_photos.load_asl_arrays(folder, image_size, cache, hands, split)
    except hand_model_files.HandModelsMissing as error:
        raise DatasetMissing(f"{info.title} needs the hand models to find the hands: {error}") from error
    except FileNotFoundError as error:
        raise missing(info, str(error)) from error
    return Dataset("asl_photos", *arrays, SIGN_LETTERS)


def load_asl_landmarks(info: Described) -> Dataset:
    """The hand landmarks of asl_photos and asl_webcam (cached after the first, slow extraction), split by source."""
    folder = data_dir()
    absent = [name for name in COLLECTIONS if not (folder / name).is_dir()]
    if absent:
        raise missing(info, f"no {' or '.join(absent)} folder")
    try:
        landmarks = asl_landmarks.load_all_landmarks(folder, cache_dir())
    except hand_model_files.HandModelsMissing as error:
        raise DatasetMissing(f"{info.title} needs the hand models to find the landmarks: {error}") from error
    except FileNotFoundError as error:
        raise missing(info, str(error)) from error
    *arrays, groups = asl_landmarks.source_split(landmarks, asl_landmarks.TEST_SOURCES)
    about = asl_landmarks.describe_people(landmarks, asl_landmarks.TEST_SOURCES, asl_landmarks.face_in_view(folder))
    return Dataset("asl_landmarks", *arrays, SIGN_LETTERS, groups, about)


def load_my_samples(
    info: Described, kind: str, labels: tuple[str, ...], side: int, how_to_save: str, image_size: int
) -> Dataset:
    """Load the samples the user saved on the Draw or Sign page, resized from side×side to image_size."""
    count = samples.count_labelled(kind, labels)
    if count < MY_SAMPLES_MIN:
        raise DatasetMissing(
            f"{info.title}: {count} saved so far, at least {MY_SAMPLES_MIN} are needed. {how_to_save} "
            f"(kept in {samples.samples_dir(kind)})."
        )
    return Dataset(kind, *samples.load_sample_arrays(kind, labels, side=side, image_size=image_size), labels)


def load_my_sign_landmarks(info: Described) -> Dataset:
    """The landmarks of the signs the user saved on the Sign page (those whose hand the hand models found)."""
    count = samples.count_sign_landmarks()
    if count < MY_SAMPLES_MIN:
        raise DatasetMissing(
            f"{info.title}: {count} saved with landmarks so far, at least {MY_SAMPLES_MIN} are needed. On the Sign "
            f"page, sign a letter and use “Save this as…” with the right letter (kept in "
            f"{samples.samples_dir(samples.MY_SIGNS)})."
        )
    return Dataset("my_sign_landmarks", *samples.load_sign_landmarks(), SIGN_LETTERS)


def load_my_signs_with_asl(mine_info: Described, asl_info: Described) -> Dataset:
    """The saved signs' landmarks mixed into asl_landmarks: trains on both, the saved ones repeated, tests on both.

    Trained on the saved signs alone, the letters model forgets every letter not saved (docs/letters.md). Mixed in,
    they teach the user's way of signing while the other letters stay. The test set is the user's held-out signs
    and asl_landmarks' held-out people, so a model that forgot would score low.
    """
    mine = load_my_sign_landmarks(mine_info)
    asl = load_asl_landmarks(asl_info)
    x_mine, y_mine = asl_landmarks.with_mirrored_copies(mine.x_train, mine.y_train)
    sample = np.tile(np.arange(len(mine.y_train)), 2)  # a sign and its mirror image are one sample
    repeats = max(1, min(MY_SIGNS_REPEATS, len(asl.y_train) // max(1, len(y_mine))))  # never outweigh the rest
    x_train = np.concatenate([asl.x_train, np.repeat(x_mine, repeats, axis=0)])
    y_train = np.concatenate([asl.y_train, np.repeat(y_mine, repeats)])
    mine_groups = np.char.add("my sign ", np.repeat(sample, repeats).astype(str))
    groups = np.concatenate([asl.train_groups, mine_groups])
    x_test, y_test = np.concatenate([mine.x_test, asl.x_test]), np.concatenate([mine.y_test, asl.y_test])
    about = f"Your {len(mine.y_train) + len(mine.y_test)} saved signs, and {asl.about}"
    return Dataset("my_signs_with_asl", x_train, y_train, x_test, y_test, SIGN_LETTERS, groups, about)
