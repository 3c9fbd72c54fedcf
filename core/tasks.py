"""The tasks the pages read with a model (digits, letters, fashion): each one's facts, defined once.

Which datasets make a task's model is not listed here: each dataset in core.data.datasets names its task.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core import paths
from core.labels import DIGITS, FASHION_CLASSES, SIGN_LETTERS

NO_MODEL_YET = "There is no {name} model yet. Train one on the **Train** page, or from the command line: `{command}`."


@dataclass(frozen=True)
class Task:
    """What a task's pages give a model and expect back, where its model ships, and what the app says about it."""

    name: str
    labels: tuple[str, ...]  # the classes of the task's datasets
    # Which class names a model may give: exactly `labels`, as many names as `labels`, or any letters (letter
    # models may differ in their classes).
    accepts: Literal["labels", "count", "letters"]
    classes: str  # what a model must name, for messages: "not the digits 0–9"
    train_args: str  # the `python -m core.train` arguments that make its model
    use_label: str  # the button that makes a run's model the one the task's page reads
    input_shape: tuple[int, ...] | None = (28, 28, 1)  # what the pages feed a model; None: any square greyscale image
    landmarks: bool = False  # whether its models may read a hand's normalised landmarks instead of an image
    # How a photo is read (`python -m core.predict`): a handwritten number, as the Draw page reads an upload; a hand,
    # found by the hand models as the Sign page finds it; or one item filling the picture (Fashion-MNIST's form).
    reads: Literal["number", "hand", "item"] = "item"
    # What a page says when there is no model; {name} is the task, {command} the training command.
    missing: str = NO_MODEL_YET

    @property
    def shipped_model(self) -> Path:
        """The model that ships with Handlab for this task: models/<task>.keras."""
        return paths.MODELS_DIR / f"{self.name}.keras"

    def train_command(self, save_to: Path | str) -> str:
        """The command line that trains this task's model and saves it at `save_to`."""
        return f"python -m core.train {self.train_args} --save-to {save_to}"

    def missing_text(self) -> str:
        """What a page says when the task has no model: where and how to train one."""
        return self.missing.format(name=self.name, command=self.train_command(f"models/{self.name}.keras"))

    def fits_labels(self, names: tuple[str, ...]) -> bool:
        """Whether a model naming these classes can serve this task's pages."""
        if self.accepts == "labels":
            return tuple(names) == self.labels
        if self.accepts == "count":
            return len(names) == len(self.labels)
        return all(name.isalpha() for name in names)


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="digits",
            labels=DIGITS,
            accepts="labels",
            classes="the digits 0–9",
            train_args="--recipe digits-cnn",
            use_label="Use this model on the Draw page",
            reads="number",
        ),
        Task(
            name="letters",
            labels=SIGN_LETTERS,
            accepts="letters",
            classes="letters",
            train_args="--dataset asl_landmarks --recipe letters-landmarks",
            use_label="Use this model on the Sign page",
            input_shape=None,
            landmarks=True,
            reads="hand",
            missing="No letters model yet: train one on the **Train** page (dataset *ASL hand landmarks*), or from the "
            "command line: `{command}`.",
        ),
        Task(
            name="fashion",
            labels=FASHION_CLASSES,
            accepts="count",
            classes="the 10 fashion classes",
            train_args="--recipe fashion-cnn",
            use_label="Make this the fashion model",  # no page reads fashion yet
        ),
    )
}


def get_task(name: str) -> Task:
    """Look up a task; an unknown name lists the known ones."""
    if name not in TASKS:
        raise ValueError(f"Unknown task {name!r}. Choose one of: {', '.join(TASKS)}.")
    return TASKS[name]
