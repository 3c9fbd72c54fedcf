"""Page smoke tests with AppTest: the router and every page in pages/ run without an exception."""

import gc
from collections.abc import Callable
from pathlib import Path

import pytest
import tensorflow as tf
from helpers.webcam import idle_webcam
from streamlit.testing.v1 import AppTest

from core.ui import common

PROJECT_DIR = Path(__file__).resolve().parent.parent
PAGES = sorted(path.relative_to(PROJECT_DIR).as_posix() for path in (PROJECT_DIR / "pages").glob("*.py"))


@pytest.fixture
def app(app_test: Callable[[], AppTest], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app after its first run (the default page), writing to a fresh HANDLAB_HOME."""
    monkeypatch.setenv("HANDLAB_HOME", str(tmp_path / "home"))
    return app_test().run()


def test_app_starts_on_a_page_without_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert app.title, "the default page shows no st.title"


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(app: AppTest, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # streamlit-webrtc needs a real server's session manager; the browser tests drive the real one.
    monkeypatch.setattr("streamlit_webrtc.webrtc_streamer", idle_webcam)
    app.switch_page(page).run()

    assert not app.exception, [e.value for e in app.exception]
    assert app.title, f"{page} shows no st.title"


def test_the_app_serves_models_without_graph_optimisation_and_out_of_garbage_collection() -> None:
    """Streamlit clears Keras' session after every script run: a garbage collection and TensorFlow's kernel cache.

    A full collection through TensorFlow's objects held the interpreter lock for 200–350 ms, several times a
    second on the live Sign page (benchmarks/live_fps.py): the collector skips frozen objects. Instantiating a
    model's function again after the cache was cleared cost 3× more with TensorFlow's graph optimiser on.
    """
    common.loading_predictor.clear()
    predictor = common.predictor_for(PROJECT_DIR / "models" / "digits.keras")

    tracked = {id(o) for o in gc.get_objects()}
    assert id(predictor) not in tracked
    assert id(predictor.model) not in tracked
    assert gc.get_freeze_count() > 0
    assert tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer") is True
