"""Where Handlab reads datasets, ships models and writes its own files."""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_DIR / "models"


def data_dir() -> Path:
    """The dataset folder: $HANDLAB_DATA_DIR, or data/ in the project."""
    return Path(os.environ.get("HANDLAB_DATA_DIR") or PROJECT_DIR / "data")


def home_dir() -> Path:
    """The folder Handlab writes to (run store, run models, samples, caches): $HANDLAB_HOME or .handlab/."""
    path = Path(os.environ.get("HANDLAB_HOME") or PROJECT_DIR / ".handlab")
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(run_id: int) -> Path:
    """Where a run's model, card, test predictions and log live."""
    return home_dir() / "runs" / str(run_id)


def cache_dir() -> Path:
    """A folder for derived data that can be rebuilt at any time (converted datasets)."""
    path = home_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
