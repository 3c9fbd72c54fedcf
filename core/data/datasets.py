"""The datasets Handlab trains on: a registry of what each is and needs, cheap presence checks, and loading."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.data import loaders, mnist_other, pen_digits, samples
from core.data.asl_landmarks import INPUT_CONTRACT
from core.data.loaders import MY_SAMPLES_MIN, Dataset
from core.data.loaders import DatasetMissing as DatasetMissing  # re-exported: load_dataset raises it
from core.labels import DIGITS, FASHION_CLASSES, SIGN_LETTERS
from core.paths import data_dir


@dataclass(frozen=True)
class DatasetInfo:
    """What the Train page shows about a dataset, and how to find and load it."""

    name: str
    title: str
    kind: Literal["image", "tabular", "landmarks"]  # which recipes fit it
    num_classes: int
    # Which task's model a run on it makes (a name in core.tasks.TASKS: the page that reads such a model); None for
    # a dataset no page reads, like Pima's tabular rows.
    task: str | None
    needs: str  # which files to put in the data folder, as a phrase for messages
    # Alternative sets of files (or folders) in the data folder; any one complete set will do.
    sources: tuple[tuple[str, ...], ...]
    load: Callable[[int], Dataset] = field(repr=False)  # called with the image size
    resizable: bool = False  # whether the loader honours an image size other than 28
    keras_files: tuple[str, ...] = ()  # files of Keras' download cache that make the dataset usable offline
    present: Callable[[], bool] | None = field(default=None, repr=False)  # own check, for data kept elsewhere
    short_needs: str = ""  # `needs` in a few words, for a list of datasets; empty: `needs` is short enough
    # For data the user makes in the app (samples saved on a page), not files put in the data folder: how many
    # samples there are so far. Such a dataset is there once MY_SAMPLES_MIN are saved (and its sources, if any).
    saved: Callable[[], int] | None = field(default=None, repr=False)


def get_info(name: str) -> DatasetInfo:
    """Look up a registry entry; unknown names list the valid ones."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def task_of(name: str) -> str | None:
    """The task whose model a run on dataset `name` makes; None for a dataset no page reads, or one gone."""
    return DATASETS[name].task if name in DATASETS else None


def datasets_for(task: str) -> list[str]:
    """The datasets whose runs make a model for `task`."""
    return [name for name, info in DATASETS.items() if info.task == task]


def available(name: str) -> bool:
    """Say cheaply whether the files of dataset `name` are present (no loading, no download)."""
    info = get_info(name)
    if info.saved is not None and info.saved() < MY_SAMPLES_MIN:
        return False
    if info.saved is not None and not info.sources:
        return True
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


def input_note(name: str, image_size: int) -> str | None:
    """What a model trained on dataset `name` reads, for model cards: landmarks, or how 28×28 maps to `image_size`."""
    if get_info(name).kind == "landmarks":
        return INPUT_CONTRACT
    if image_size == 28 or get_info(name).task != "letters":  # only letters are resized
        return None
    return (
        f"A hand crop from core.vision.hands.letter_from_frame(frame, size={image_size}); a 28×28 Sign MNIST "
        f"image is upscaled to {image_size}×{image_size} with cv2.INTER_LINEAR."
    )


def load_asl_photos(image_size: int, split: Literal["blocks", "groups"] = "blocks") -> Dataset:
    """Load asl_photos/<LETTER>/<LETTER><k>.jpg through the Sign page's crop, cached per image size and split."""
    return loaders.load_asl_photos(get_info("asl_photos"), image_size, split)


def _letters_info(name: str, title: str, split: Literal["blocks", "groups"]) -> DatasetInfo:
    """A registry entry for the ASL photos + Sign MNIST mix, with the ASL photos split by `split`."""
    return DatasetInfo(
        name=name,
        title=title,
        kind="image",
        num_classes=24,
        task="letters",
        needs="the asl_photos folder and Sign Language MNIST (sign_mnist.npz or the Kaggle CSVs)",
        short_needs="asl_photos/ and the Sign MNIST files",
        sources=(),
        load=lambda size: loaders.load_letters(get_info("asl_photos"), get_info("sign_mnist"), size, split),
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
            task="digits",
            needs="mnist.npz (arrays x_train, y_train, x_test, y_test)",
            sources=(("mnist.npz",),),
            load=lambda size: loaders.load_keras_dataset(get_info("mnist"), "mnist", DIGITS),
            keras_files=("mnist.npz",),
        ),
        DatasetInfo(
            name="fashion_mnist",
            title="Fashion-MNIST",
            kind="image",
            num_classes=10,
            task="fashion",
            needs="fashion_mnist.npz (arrays x_train, y_train, x_test, y_test)",
            sources=(("fashion_mnist.npz",),),
            load=lambda size: loaders.load_keras_dataset(get_info("fashion_mnist"), "fashion_mnist", FASHION_CLASSES),
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
            task="letters",
            needs="sign_mnist_train.csv and sign_mnist_test.csv (from Kaggle datamunge/sign-language-mnist) "
            "or sign_mnist.npz",
            short_needs="the Sign MNIST files",
            sources=(
                ("sign_mnist.npz",),
                ("sign_mnist_train.csv", "sign_mnist_test.csv"),
                ("sign_mnist_train.csv", "sign_mnist_valid.csv"),
            ),
            load=lambda size: loaders.load_sign_mnist(get_info("sign_mnist"), size),
            resizable=True,
        ),
        DatasetInfo(
            name="asl_photos",
            title="ASL letter photos",
            kind="image",
            num_classes=24,
            task="letters",
            needs="a folder asl_photos with a subfolder per letter A–Y (no J) of photos named like A/A0.jpg",
            short_needs="asl_photos/",
            sources=(("asl_photos",),),
            load=load_asl_photos,
            resizable=True,
        ),
        _letters_info("letters", "ASL photos + Sign MNIST", "blocks"),
        _letters_info("letters_groups", "ASL photos + Sign MNIST, tested on unseen rooms and people", "groups"),
        DatasetInfo(
            name="asl_landmarks",
            title="ASL hand landmarks",
            kind="landmarks",
            num_classes=24,
            task="letters",
            needs="the asl_photos folder (<LETTER>/<LETTER><k>.jpg) and the asl_webcam folder "
            "(<SOURCE>/<LETTER>/*.jpg)",
            short_needs="asl_photos/ and asl_webcam/",
            sources=(("asl_photos", "asl_webcam"),),
            load=lambda size: loaders.load_asl_landmarks(get_info("asl_landmarks")),
        ),
        DatasetInfo(
            name="pima",
            title="Pima Indians Diabetes",
            kind="tabular",
            num_classes=2,
            task=None,
            needs="diabetes.csv (from Kaggle uciml/pima-indians-diabetes-database)",
            short_needs="diabetes.csv",
            sources=(("diabetes.csv",),),
            load=lambda size: loaders.load_pima(get_info("pima")),
        ),
        DatasetInfo(
            name="mnist_pen",
            title="MNIST + redrawn with any pen",
            kind="image",
            num_classes=10,
            task="digits",
            needs="mnist.npz (arrays x_train, y_train, x_test, y_test); 20,000 training digits are redrawn "
            "with pens of 0.8–18% of their height and read back as uploads (a few minutes, once, then cached)",
            short_needs="mnist.npz",
            sources=(("mnist.npz",),),
            load=lambda size: pen_digits.load_mnist_pen(load_dataset("mnist")),
            keras_files=("mnist.npz",),
        ),
        DatasetInfo(
            name="mnist_other",
            title="MNIST + redrawn + not digits",
            kind="image",
            num_classes=10,
            task="digits",
            needs="mnist.npz (arrays x_train, y_train, x_test, y_test); besides the redrawn digits of mnist_pen, "
            "letters, shapes and scribbles drawn as the canvas draws them, and what you saved on the Draw page as "
            "not a digit, teach the model what is not a digit (a few minutes, once, then cached)",
            short_needs="mnist.npz",
            sources=(("mnist.npz",),),
            load=lambda size: mnist_other.load_mnist_other(load_dataset("mnist_pen")),
            keras_files=("mnist.npz",),
        ),
        DatasetInfo(
            name="my_digits",
            title="My digits",
            kind="image",
            num_classes=10,
            task="digits",
            needs=f"at least {MY_SAMPLES_MIN} digits saved from the Draw page (“That was wrong?”)",
            sources=(),
            load=lambda size: loaders.load_my_samples(
                get_info("my_digits"),
                samples.MY_DIGITS,
                DIGITS,
                samples.SAMPLE_SIDE,
                "On the Draw page, use “That was wrong?” to save drawings with their correct digit",
                size,
            ),
            saved=lambda: samples.count_labelled(samples.MY_DIGITS, DIGITS),
        ),
        DatasetInfo(
            name="my_signs",
            title="My signs",
            kind="image",
            num_classes=24,
            task="letters",
            needs=f"at least {MY_SAMPLES_MIN} signs saved from the Sign page (“Save this as…”)",
            sources=(),
            load=lambda size: loaders.load_my_samples(
                get_info("my_signs"),
                samples.MY_SIGNS,
                SIGN_LETTERS,
                samples.SIGN_SIDE,
                "On the Sign page, sign a letter and use “Save this as…” with the right letter",
                size,
            ),
            resizable=True,
            saved=lambda: samples.count_labelled(samples.MY_SIGNS, SIGN_LETTERS),
        ),
        DatasetInfo(
            name="my_sign_landmarks",
            title="My signs (hand landmarks)",
            kind="landmarks",
            num_classes=24,
            task="letters",
            needs=f"at least {MY_SAMPLES_MIN} signs saved from the Sign page (“Save this as…”) with the hand found "
            "by the hand models",
            sources=(),
            load=lambda size: loaders.load_my_sign_landmarks(get_info("my_sign_landmarks")),
            saved=lambda: samples.count_sign_landmarks(),
        ),
        DatasetInfo(
            name="my_signs_with_asl",
            title="My signs + ASL hand landmarks",
            kind="landmarks",
            num_classes=24,
            task="letters",
            needs=f"at least {MY_SAMPLES_MIN} signs saved from the Sign page (“Save this as…”) with the hand found "
            "by the hand models, and the asl_photos and asl_webcam folders",
            short_needs="asl_photos/ and asl_webcam/",
            sources=(("asl_photos", "asl_webcam"),),
            load=lambda size: loaders.load_my_signs_with_asl(get_info("my_sign_landmarks"), get_info("asl_landmarks")),
            saved=lambda: samples.count_sign_landmarks(),
        ),
    )
}
