"""Shared fixtures: every test gets its own HANDLAB_HOME; tiny datasets are generated, never copied."""

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

# Before anything loads TensorFlow: aiortc's SRTP binding segfaults when loaded after it (see core/ui/__init__.py).
with contextlib.suppress(ImportError):
    import pylibsrtp  # noqa: F401

import numpy as np  # noqa: E402
import pytest  # noqa: E402

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

    from core.predictor import Predictor

PROJECT_DIR = Path(__file__).resolve().parent.parent
# An app run may import TensorFlow and load a model: far more than AppTest's default 3 s.
RUN_TIMEOUT_S = 120


@pytest.fixture(autouse=True)
def handlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HANDLAB_HOME per test, so no test reads or writes a developer's runs."""
    home = tmp_path / "handlab-home"
    monkeypatch.setenv("HANDLAB_HOME", str(home))
    return home


@pytest.fixture
def app_test(monkeypatch: pytest.MonkeyPatch) -> Callable[[], "AppTest"]:
    """Factory for a fresh, not yet run AppTest of streamlit_app.py, run from the project folder.

    From the project folder, as `streamlit run` is: the app finds pages/ and .streamlit/config.toml there.
    """
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(PROJECT_DIR)
    return lambda: AppTest.from_file(str(PROJECT_DIR / "streamlit_app.py"), default_timeout=RUN_TIMEOUT_S)


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


@pytest.fixture
def models_dir(digits_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models/ folder whose shipped digits model is the session's digits model."""
    from core import paths

    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".keras", ".json"):
        (folder / f"digits{suffix}").symlink_to(digits_model.with_suffix(suffix))
    monkeypatch.setattr(paths, "MODELS_DIR", folder)
    return folder


@pytest.fixture(scope="session")
def shipped_digits_predictor() -> "Predictor":
    """The shipped digits model, for tests whose figures are that model's; skips without models/digits.keras."""
    from core.learn import catalog
    from core.predictor import Predictor

    model = catalog.shipped_model("digits")
    if not model.is_file():
        pytest.skip("needs the shipped digits model models/digits.keras (the figures are for that model)")
    return Predictor(model)


@pytest.fixture(scope="session")
def digits_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A digits model that reads clear drawings: the shipped one, else a dense net trained briefly on real MNIST.

    Skips when there is neither models/digits.keras nor mnist.npz in HANDLAB_DATA_DIR to train one on.
    """
    from core import paths
    from core.learn import catalog

    shipped = catalog.shipped_model("digits")
    if shipped.is_file():
        return shipped
    mnist = paths.data_dir() / "mnist.npz"
    if not mnist.is_file():
        pytest.skip("needs models/digits.keras, or mnist.npz in HANDLAB_DATA_DIR to train a stand-in model")
    return train_stand_in_digits_model(mnist, tmp_path_factory.mktemp("digits-model") / "digits.keras")


def train_stand_in_digits_model(mnist_npz: Path, model_path: Path) -> Path:
    """Train Chollet's first MNIST network (dense 512) for two epochs (~98% on MNIST) and save it with a card."""
    import keras

    from core.learn.fit import save_model

    with np.load(mnist_npz) as data:
        x, y = data["x_train"].astype(np.float32)[..., None] / 255.0, data["y_train"]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=128, verbose=0)
    card = {"labels": list("0123456789"), "dataset": "mnist", "recipe": "mnist-dense-512 (test stand-in)"}
    return save_model(model, card, model_path)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole session (started in a temp folder, stopped and removed after)."""
    from helpers.scale import INSTALL_SCALE_PACKAGES, missing, postgres_cluster

    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg", INSTALL_SCALE_PACKAGES)
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> str:
    """The URL of a new, empty database on the session's PostgreSQL cluster."""
    from helpers.scale import fresh_database

    return fresh_database(postgres_admin_url, f"handlab_test_{next(_DATABASE_NUMBERS)}")


_DATABASE_NUMBERS = itertools.count(1)
