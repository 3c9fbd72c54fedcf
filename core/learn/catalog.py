"""The model catalog: for each task, the shipped model and the finished runs, and which one the pages use."""

import json
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.data import datasets
from core.learn import run_files
from core.learn.runs import RunStore
from core.storage import write_text_atomically
from core.tasks import TASKS, get_task


@dataclass(frozen=True)
class ModelChoice:
    """A model a page can use."""

    label: str  # what the user sees, e.g. "Shipped model" or "Run 7: digits-cnn on mnist (99.4%)"
    path: Path
    run_id: int | None = None  # None for the shipped model


def shipped_model(task: str) -> Path:
    """The model that ships with Handlab for a task: models/<task>.keras."""
    return get_task(task).shipped_model


def model_choices(task: str, store: RunStore | None = None) -> list[ModelChoice]:
    """The shipped model (when present) and every finished run on a dataset of this task whose model file exists.

    A run trained on another machine has its model in the store: it is written to this machine's run folder.
    """
    task_datasets = datasets.datasets_for(task)
    choices = [ModelChoice("Shipped model", shipped_model(task))] if shipped_model(task).is_file() else []
    store = store or RunStore()
    for run in store.list_runs(["completed", "stopped"]):
        if run.spec.get("dataset") in task_datasets and (model := run_files.model_file(store, run)):
            accuracy = f" ({run.test_accuracy:.1%})" if run.test_accuracy is not None else ""
            choices.append(ModelChoice(f"Run {run.id}: {run.name}{accuracy}", model, run.id))
    return choices


def _active_file() -> Path:
    return paths.home_dir() / "active_models.json"


def active_model(task: str) -> Path:
    """The model the pages use for a task: the one the user activated if its file still exists, else the shipped one."""
    try:
        chosen = json.loads(_active_file().read_text(encoding="utf-8")).get(task)
    except (OSError, ValueError, AttributeError):
        chosen = None
    return Path(chosen) if chosen and Path(chosen).is_file() else shipped_model(task)


def set_active_model(task: str, model_path: Path | None) -> None:
    """Make a model the one the pages use for a task; None goes back to the shipped model."""
    get_task(task)  # an unknown task is refused before anything is written
    try:
        active = json.loads(_active_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        active = {}
    active = {k: v for k, v in active.items() if k in TASKS and k != task}
    if model_path is not None:
        active[task] = str(Path(model_path).resolve())
    write_text_atomically(_active_file(), json.dumps(active, indent=2) + "\n")
