"""The datasets Handlab trains on: a registry, cheap presence checks, and loaders with actionable errors."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from core.data import asl_photos, pima_csv, readers, samples, sign_csv
from core.data.asl_photos import ASL_CROP_VERSION as ASL_CROP_VERSION  # re-exported for callers of this module
from core.data.asl_photos import asl_split as asl_split
from core.labels import DIGITS, FASHION_CLASSES, PIMA_CLASSES, SIGN_LABELS, SIGN_LETTERS
from core.paths import cache_dir, data_dir

PIMA_TEST_FRACTION = 0.2
PIMA_SPLIT_SEED = 0
MY_SAMPLES_MIN = 10  # Fewer saved digits or signs than this make no useful train and test split.
# Sign MNIST's 27,455 training images are augmented copies of about 1,700 photos; every third keeps that variety
# and lets the ASL photos, the real hands, weigh as much as the Sign MNIST images in the `letters` mix.
LETTERS_SIGN_MNIST_STRIDE = 3


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

    def __post_init__(self) -> None:
        # Loaded datasets are shared through caches, so nobody may change them in place.
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            array.flags.writeable = False

    @property
    def kind(self) -> Literal["image", "tabular"]:
        """'image' for (N, S, S) pixels, 'tabular' for (N, F) features."""
        return "tabular" if self.x_train.ndim == 2 else "image"

    @property
    def num_classes(self) -> int:
        """How many classes the labels index into."""
        return len(self.class_names)


@dataclass(frozen=True)
class DatasetInfo:
    """What the Train page shows about a dataset, and how to find and load it."""

    name: str
    title: str
    kind: Literal["image", "tabular"]
    num_classes: int
    needs: str  # which files to put in the data folder, as a phrase for messages
    # Alternative sets of files (or folders) in the data folder; any one complete set will do.
    sources: tuple[tuple[str, ...], ...]
    load: Callable[[int], Dataset] = field(repr=False)  # called with the image size
    resizable: bool = False  # whether the loader honours an image size other than 28
    keras_files: tuple[str, ...] = ()  # files of Keras' download cache that make the dataset usable offline
    present: Callable[[], bool] | None = field(default=None, repr=False)  # own check, for data kept elsewhere


def get_info(name: str) -> DatasetInfo:
    """Look up a registry entry; unknown names list the valid ones."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def available(name: str) -> bool:
    """Say cheaply whether the files of dataset `name` are present (no loading, no download)."""
    info = get_info(name)
    if info.present is not None:
        return info.present()
    folder = data_dir()
    if any(all((folder / file).exists() for file in files) for files in info.sources):
        return True
    keras_datasets = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"
    return bool(info.keras_files) and all((keras_datasets / file).exists() for file in info.keras_files)


def load_dataset(name: str, *, image_size: int = 28) -> Dataset:
    """Load dataset `name`; DatasetMissing says which file goes where, ValueError names a bad file's line."""
    info = get_info(name)
    if image_size != 28 and not info.resizable:
        resizable = ", ".join(other.name for other in DATASETS.values() if other.resizable)
        raise ValueError(f"{info.title} has a fixed size: image_size={image_size} works only for {resizable}")
    return info.load(image_size)


def _missing(name: str, detail: str = "") -> DatasetMissing:
    """Build the error that tells the user which file to put in which folder."""
    info = DATASETS[name]
    suffix = f" ({detail})" if detail else ""
    return DatasetMissing(f"{info.title} not found: put {info.needs} in {data_dir()}{suffix}")


def _load_keras_dataset(name: str, class_names: tuple[str, ...]) -> Dataset:
    """Load MNIST or Fashion-MNIST from <name>.npz in the data folder, else via Keras' download."""
    path = data_dir() / f"{name}.npz"
    source = path.name if path.exists() else f"Keras' {name} download"
    if path.exists():
        arrays = readers.read_npz(path)
    else:
        try:
            arrays = readers.download_with_keras(name)
        except Exception as error:
            raise _missing(name, f"the download failed: {error}") from error
        readers.check_arrays(source, arrays)
    readers.check_labels(source, arrays, tuple(range(len(class_names))))
    x_train, y_train, x_test, y_test = arrays
    return Dataset(name, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64), class_names)


def input_note(name: str, image_size: int) -> str | None:
    """How a 28×28 image of dataset `name` maps to a model input of `image_size`, for model cards."""
    if image_size == 28 or get_info(name).num_classes != len(SIGN_LETTERS):  # only letters are resized
        return None
    return (
        f"A hand crop from core.hands.letter_from_frame(frame, size={image_size}); a 28×28 Sign MNIST "
        f"image is upscaled to {image_size}×{image_size} with cv2.INTER_LINEAR."
    )


def _load_sign_mnist(image_size: int) -> Dataset:
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
            raise _missing("sign_mnist", f"found only {present[0]}" if present else "")
        x_train, labels_train, x_test, labels_test = sign_csv.read_sign_mnist_pair(train_path, test_path)
    train, test = sign_csv.sign_class_indices(labels_train), sign_csv.sign_class_indices(labels_test)
    x_train, x_test = readers.upscale(x_train, image_size), readers.upscale(x_test, image_size)
    return Dataset("sign_mnist", x_train, train, x_test, test, SIGN_LETTERS)


def _load_letters(image_size: int, split: Literal["blocks", "groups"] = "blocks") -> Dataset:
    """The ASL photos plus every third Sign MNIST training image; the test split holds both test sets."""
    photos, sign = load_asl_photos(image_size, split), _load_sign_mnist(image_size)
    keep = slice(None, None, LETTERS_SIGN_MNIST_STRIDE)
    return Dataset(
        "letters" if split == "blocks" else f"letters_{split}",
        np.concatenate([photos.x_train, sign.x_train[keep]]),
        np.concatenate([photos.y_train, sign.y_train[keep]]),
        np.concatenate([photos.x_test, sign.x_test]),
        np.concatenate([photos.y_test, sign.y_test]),
        SIGN_LETTERS,
    )


def _load_pima(image_size: int) -> Dataset:
    """Load diabetes.csv with a deterministic stratified 80/20 split."""
    path = data_dir() / "diabetes.csv"
    if not path.exists():
        raise _missing("pima")
    x, y = pima_csv.read_pima_csv(path)
    is_test = readers.stratified_test_mask(y, PIMA_TEST_FRACTION, PIMA_SPLIT_SEED)
    return Dataset("pima", x[~is_test], y[~is_test], x[is_test], y[is_test], PIMA_CLASSES)


def load_asl_photos(image_size: int, split: Literal["blocks", "groups"] = "blocks") -> Dataset:
    """Load asl_photos/<LETTER>/<LETTER><k>.jpg through the Sign page's crop, cached per image size and split."""
    folder = data_dir() / "asl_photos"
    if not folder.is_dir():
        raise _missing("asl_photos")
    cache = cache_dir() / f"asl_photos_{image_size}{'' if split == 'blocks' else '_' + split}.npz"
    try:
        arrays = asl_photos.load_asl_arrays(folder, image_size, cache, split)
    except FileNotFoundError as error:
        raise _missing("asl_photos", str(error)) from error
    return Dataset("asl_photos", *arrays, SIGN_LETTERS)


def _load_my_samples(kind: str, labels: tuple[str, ...], side: int, how_to_save: str, image_size: int) -> Dataset:
    """Load the samples the user saved on the Draw or Sign page, resized from side×side to image_size."""
    count = len(samples.list_samples(kind))
    if count < MY_SAMPLES_MIN:
        raise DatasetMissing(
            f"{get_info(kind).title}: {count} saved so far, at least {MY_SAMPLES_MIN} are needed. {how_to_save} "
            f"(kept in {samples.samples_dir(kind)})."
        )
    return Dataset(kind, *samples.load_sample_arrays(kind, labels, side=side, image_size=image_size), labels)


def _letters_info(name: str, title: str, split: Literal["blocks", "groups"]) -> DatasetInfo:
    """A registry entry for the ASL photos + Sign MNIST mix, with the ASL photos split by `split`."""
    return DatasetInfo(
        name=name,
        title=title,
        kind="image",
        num_classes=24,
        needs="the asl_photos folder and Sign Language MNIST (sign_mnist.npz or the Kaggle CSVs)",
        sources=(),
        load=lambda size: _load_letters(size, split),
        resizable=True,
        present=lambda: available("asl_photos") and available("sign_mnist"),
    )


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="mnist",
            title="MNIST",
            kind="image",
            num_classes=10,
            needs="mnist.npz (arrays x_train, y_train, x_test, y_test)",
            sources=(("mnist.npz",),),
            load=lambda size: _load_keras_dataset("mnist", DIGITS),
            keras_files=("mnist.npz",),
        ),
        DatasetInfo(
            name="fashion_mnist",
            title="Fashion-MNIST",
            kind="image",
            num_classes=10,
            needs="fashion_mnist.npz (arrays x_train, y_train, x_test, y_test)",
            sources=(("fashion_mnist.npz",),),
            load=lambda size: _load_keras_dataset("fashion_mnist", FASHION_CLASSES),
            keras_files=tuple(
                f"fashion-mnist/{split}-{part}.gz"
                for split in ("train", "t10k")
                for part in ("labels-idx1-ubyte", "images-idx3-ubyte")
            ),
        ),
        DatasetInfo(
            name="sign_mnist",
            title="Sign Language MNIST",
            kind="image",
            num_classes=24,
            needs="sign_mnist_train.csv and sign_mnist_test.csv (from Kaggle datamunge/sign-language-mnist) "
            "or sign_mnist.npz",
            sources=(
                ("sign_mnist.npz",),
                ("sign_mnist_train.csv", "sign_mnist_test.csv"),
                ("sign_mnist_train.csv", "sign_mnist_valid.csv"),
            ),
            load=_load_sign_mnist,
            resizable=True,
        ),
        DatasetInfo(
            name="asl_photos",
            title="ASL letter photos",
            kind="image",
            num_classes=24,
            needs="a folder asl_photos with a subfolder per letter A–Y (no J) of photos named like A/A0.jpg",
            sources=(("asl_photos",),),
            load=load_asl_photos,
            resizable=True,
        ),
        _letters_info("letters", "ASL photos + Sign MNIST", "blocks"),
        _letters_info("letters_groups", "ASL photos + Sign MNIST, tested on unseen rooms and people", "groups"),
        DatasetInfo(
            name="pima",
            title="Pima Indians Diabetes",
            kind="tabular",
            num_classes=2,
            needs="diabetes.csv (from Kaggle uciml/pima-indians-diabetes-database)",
            sources=(("diabetes.csv",),),
            load=_load_pima,
        ),
        DatasetInfo(
            name="my_digits",
            title="My digits",
            kind="image",
            num_classes=10,
            needs=f"at least {MY_SAMPLES_MIN} digits saved from the Draw page (“That was wrong?”)",
            sources=(),
            load=lambda size: _load_my_samples(
                samples.MY_DIGITS,
                DIGITS,
                samples.SAMPLE_SIDE,
                "On the Draw page, use “That was wrong?” to save drawings with their correct digit",
                size,
            ),
            present=lambda: len(samples.list_samples(samples.MY_DIGITS)) >= MY_SAMPLES_MIN,
        ),
        DatasetInfo(
            name="my_signs",
            title="My signs",
            kind="image",
            num_classes=24,
            needs=f"at least {MY_SAMPLES_MIN} signs saved from the Sign page (“Save this as…”)",
            sources=(),
            load=lambda size: _load_my_samples(
                samples.MY_SIGNS,
                SIGN_LETTERS,
                samples.SIGN_SIDE,
                "On the Sign page, sign a letter and use “Save this as…” with the right letter",
                size,
            ),
            resizable=True,
            present=lambda: len(samples.list_samples(samples.MY_SIGNS)) >= MY_SAMPLES_MIN,
        ),
    )
}
