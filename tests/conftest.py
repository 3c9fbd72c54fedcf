"""Shared fixtures: every test gets its own HANDLAB_HOME; tiny datasets are generated, never copied."""

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def handlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HANDLAB_HOME per test, so no test reads or writes a developer's runs."""
    home = tmp_path / "handlab-home"
    monkeypatch.setenv("HANDLAB_HOME", str(home))
    return home


@pytest.fixture
def tiny_mnist_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HANDLAB_DATA_DIR holding a 64-train / 32-test random mnist.npz in Keras' format."""
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    np.savez_compressed(
        data / "mnist.npz",
        x_train=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 64, dtype=np.uint8),
        x_test=rng.integers(0, 256, (32, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 32, dtype=np.uint8),
    )
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(data))
    return data
