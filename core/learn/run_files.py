"""A run's files (model, card, test predictions) kept in the run store, for runs trained on other machines.

A local trainer leaves its files in HANDLAB_HOME/runs/ID and records the model's path. A trainer on a Ray node
writes to a scratch folder there, so it saves the files into the store (a blob table) before it marks the run
finished; an app server writes them into its own HANDLAB_HOME/runs/ID the first time a page needs them.
"""

from pathlib import Path

from core import paths
from core.learn.runs import Run, RunStore
from core.storage import write_atomically

MODEL_NAME = "model.keras"
RUN_FILES = (MODEL_NAME, "model.json", "test_predictions.npz")


def save_run_files(store: RunStore, run_id: int, folder: Path) -> None:
    """Copy a finished run's files from `folder` into the store."""
    for name in RUN_FILES:
        path = Path(folder) / name
        if path.is_file():
            store.save_file(run_id, name, path.read_bytes())


def model_file(store: RunStore, run: Run) -> Path | None:
    """The run's model as a file on this machine: where its trainer wrote it, else fetched from the store."""
    if run.model_path and Path(run.model_path).is_file():
        return Path(run.model_path)
    local = paths.run_dir(run.id) / MODEL_NAME
    if local.is_file():
        return local
    names = store.file_names(run.id)
    if MODEL_NAME not in names:
        return None
    # The card and the predictions first: whoever sees the model file finds them beside it.
    for name in sorted(names, key=lambda name: name == MODEL_NAME):
        data = store.load_file(run.id, name)
        write_atomically(local.with_name(name), lambda tmp, data=data: tmp.write_bytes(data))
    return local
