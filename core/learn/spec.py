"""What to train: TrainSpec, a frozen, validated description of one run, the optimizers it may name, and which
recipes fit a dataset."""

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from core.data import datasets
from core.data.asl_landmarks import FEATURES as LANDMARK_FEATURES
from core.learn import recipes

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
# Keras' own default learning rate of each optimizer, used when neither the spec nor the recipe sets one.
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3, "sgd": 1e-2}


@dataclass(frozen=True)
class TrainSpec:
    """What to train. Fields left as None take the recipe's default when resolved."""

    recipe: str = "digits-cnn"
    dataset: str | None = None  # a name from core.data.datasets.DATASETS; None: the recipe's first dataset
    epochs: int | None = None  # 1–1000
    batch_size: int | None = None  # 1–4096
    optimizer: str | None = None  # one of OPTIMIZERS
    learning_rate: float | None = None  # > 0 and ≤ 1; None with an unresolved recipe rate: Keras' default
    validation_split: float | None = None  # 0 (validate on the test set) up to 0.5
    augment: bool | None = None  # random rotation, zoom, shift (and flip where the recipe allows)
    patience: int | None = None  # early stopping on val_loss after this many epochs without gain; 0: off
    seed: int = 0  # makes weights, shuffling and augmentation repeatable
    limit: int | None = None  # train on this many samples only (quick trials)
    image_size: int | None = None  # letters from photos: the side of the square the model sees
    init_model: str | None = None  # fine-tune: start from this .keras model (loaded in safe mode), not fresh weights
    gpu: bool | None = None  # on a Ray cluster: wait for a node with a GPU; a local run uses any GPU TensorFlow sees

    def resolved(self) -> "TrainSpec":
        """This spec with every default filled in from its recipe, validated (ValueError says what to fix)."""
        recipe = recipes.get_recipe(self.recipe)
        defaults = {
            "dataset": recipe.datasets[0],
            "epochs": recipe.epochs,
            "batch_size": recipe.batch_size,
            "optimizer": recipe.optimizer,
            "learning_rate": recipe.learning_rate,
            "validation_split": recipe.validation_split,
            "augment": recipe.augment,
            "patience": recipe.patience,
            "image_size": recipe.image_size if recipe.kind == "image" else None,  # landmarks have no size
        }
        filled = {key: value for key, value in defaults.items() if getattr(self, key) is None}
        spec = dataclasses.replace(self, **filled)
        spec.validate()
        return spec

    def validate(self) -> None:
        """Raise ValueError naming the first field that is out of range."""
        recipe = recipes.get_recipe(self.recipe)
        if self.dataset is not None and (problem := input_problem(recipe, self.dataset, self.image_size)):
            raise ValueError(problem)
        _check_range("epochs", self.epochs, 1, 1000)
        _check_range("batch size", self.batch_size, 1, 4096)
        _check_range("validation split", self.validation_split, 0.0, 0.5)
        _check_range("early-stopping patience", self.patience, 0, 1000)
        if self.patience and not self.validation_split:
            raise ValueError(
                "Early stopping needs a validation split to watch: set the validation split above 0, or the "
                "patience to 0. (The test set is never used to choose when to stop.)"
            )
        _check_range("sample limit", self.limit, 10, 10_000_000)
        _check_range("image size", self.image_size, 16, 128)
        if self.learning_rate is not None and not 0 < self.learning_rate <= 1:
            raise ValueError(f"Learning rate must be above 0 and at most 1, not {self.learning_rate}.")
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}. Choose one of: {', '.join(OPTIMIZERS)}.")
        if self.init_model is not None:
            _check_init_model(self)

    def to_dict(self) -> dict:
        """The spec as plain JSON-ready values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainSpec":
        """A spec from `to_dict` output; unknown keys are refused."""
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"Unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**data)

    def command(self) -> str:
        """The `python -m core.train` command that reproduces this spec."""
        parts = ["python -m core.train", f"--recipe {self.recipe}"]
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "recipe" or value is None:
                continue
            flag = "--" + field.name.replace("_", "-")
            if isinstance(value, bool):
                parts.append(flag if value else f"--no-{flag[2:]}")
            else:
                parts.append(f"{flag} {value}")
        return " ".join(parts)


def input_problem(recipe: recipes.Recipe, dataset: str, image_size: int | None = None) -> str | None:
    """Why `recipe` cannot read `dataset` (at `image_size`, else the recipe's), in words; None when it can.

    The recipe declares what it reads (its kind of data and image size), the dataset what it holds (its kind, and
    whether its images can be resized: only photos can).
    """
    info = datasets.get_info(dataset)
    if info.kind != recipe.kind:
        return f"Recipe {recipe.name} is for {recipe.kind} data, but {dataset} is {info.kind} data."
    side = image_size or recipe.image_size
    if info.kind == "image" and side != 28 and not info.resizable:
        return (
            f"{info.title} holds 28×28 images only, and recipe {recipe.name} is set to read {side}×{side}: set the "
            "image size to 28, or pick a dataset of photos."
        )
    return None


def recipes_for_dataset(dataset: str) -> list[recipes.Recipe]:
    """The recipes the Train page offers for a dataset: written for its task (or for it) and able to read its input;
    those written for the dataset itself come first.

    A recipe carries its task's assumptions beyond the input's shape: the letters recipes mirror images (right for
    hands, wrong for digits), the fashion ones learn clothes. The command line still runs any recipe that can read
    the data.
    """
    info = datasets.get_info(dataset)
    fitting = [
        recipe
        for recipe in recipes.RECIPES.values()
        if (info.task or dataset) in {datasets.task_of(name) or name for name in recipe.datasets}
        and input_problem(recipe, dataset) is None
    ]
    return sorted(fitting, key=lambda recipe: dataset not in recipe.datasets)


def _check_init_model(spec: TrainSpec) -> None:
    """Refuse a start model that is missing or was made for other classes or another input size."""
    path = Path(spec.init_model)
    if not path.is_file():
        raise ValueError(f"There is no model file at {path} to start from.")
    try:
        card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ValueError(f"The model {path.name} has no readable card ({path.stem}.json) beside it.") from None
    if spec.dataset is None:
        return
    info = datasets.get_info(spec.dataset)
    labels = card.get("labels", [])
    if len(labels) != info.num_classes:
        raise ValueError(
            f"The model {path.name} knows {len(labels)} classes, but {info.title} has {info.num_classes}: "
            "start from a model trained on the same kind of data."
        )
    if info.kind == "landmarks" and card.get("input_shape") != [LANDMARK_FEATURES]:
        raise ValueError(
            f"The model {path.name} reads images, not hand landmarks: start from a model trained on landmarks."
        )
    side = spec.image_size or 28
    if info.kind == "image" and card.get("input_shape", [side, side, 1]) != [side, side, 1]:
        raise ValueError(
            f"The model {path.name} reads {card['input_shape'][0]}-pixel images, not {side}: set the image size "
            "to match it."
        )


def _check_range(label: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not low <= value <= high:
        raise ValueError(f"The {label} must be between {low} and {high}, not {value}.")
