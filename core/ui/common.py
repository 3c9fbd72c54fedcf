"""Streamlit glue every page shares: cached predictors, the model picker, uploads and small image displays.

Streamlit is imported in core only under core/ui. Everything there is thin: the work happens in plain core
modules (vision, data, learn), so it can be tested without a browser. The Draw page's own displays are in
core.ui.draw.
"""

import gc
import math
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from core import images, tasks
from core.learn import catalog
from core.predictor import Predictor, serve_one_at_a_time

PREVIEW_SCALE = 6  # The 28×28 model input is shown 6× enlarged, with crisp pixels.
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp"]
UPLOAD_MAX_MB = 20


# Loading a model imports TensorFlow first: seconds on a fresh server. It happens in these threads, so a page can
# show itself (the Draw page its canvas) while its model loads.
_LOADERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="handlab-model")


# Sessions share these; a classroom may use several run models at once, and an evicted one reloads per rerun.
@st.cache_resource(max_entries=8, show_spinner=False)
def loading_predictor(model_path: str, mtime_ns: int) -> Future:
    """A Predictor being loaded in the background (a Future), shared by all sessions, keyed like the file."""
    return _LOADERS.submit(_load_frozen, Path(model_path))


def _load_frozen(model_path: Path) -> Predictor:
    """A Predictor, set up for serving, whose objects the garbage collector no longer scans."""
    serve_one_at_a_time()
    predictor = Predictor(model_path)
    # Streamlit clears Keras' session after every script run, and that runs a full garbage collection: with
    # TensorFlow's objects tracked it held the interpreter lock for 200–350 ms, several times a second on the
    # live Sign page, and the video thread stalled. The collector skips frozen objects (models stay loaded).
    gc.freeze()
    return predictor


def start_loading(model_path: Path) -> Future:
    """Start loading a model file's Predictor, unless it is loaded or loading; ValueError when there is no file."""
    path = Path(model_path).resolve()
    if not path.is_file():
        raise ValueError(f"There is no model file at {path}.")
    return loading_predictor(str(path), path.stat().st_mtime_ns)


def predictor_for(model_path: Path) -> Predictor:
    """The cached Predictor of a model file, waiting for it to load; ValueError when it is missing or unloadable."""
    loading = start_loading(model_path)
    try:
        if not loading.done():
            with st.spinner("Loading the model…"):
                return loading.result()
        return loading.result()
    except Exception:
        # A model that failed to load is not kept: the next run tries again, as before loading moved to threads.
        path = Path(model_path).resolve()
        loading_predictor.clear(str(path), path.stat().st_mtime_ns)
        raise


def pick_model(task: str, key: str) -> Path | None:
    """A sidebar selectbox over the task's models, the active one first by default; None when there is none."""
    choices = catalog.model_choices(task)
    if not choices:
        return None
    active = catalog.active_model(task).resolve()
    default = next((i for i, choice in enumerate(choices) if choice.path.resolve() == active), 0)
    labels = [choice.label for choice in choices]
    label = st.sidebar.selectbox("Model", labels, index=default, key=key, help="Trained runs appear here too.")
    return choices[labels.index(label)].path


def task_predictor(task: str, model_path: Path) -> Predictor:
    """The cached Predictor of a model that fits the task's pages; ValueError says why a model does not."""
    predictor = predictor_for(model_path)
    predictor.check_task(task)
    return predictor


def load_with_fallback(task: str, model_path: Path) -> Predictor | None:
    """The chosen model's Predictor; on failure an error, then the shipped model, or None if that fails too.

    A damaged model, one with code in it (refused by safe loading) or one of the wrong shape for the task
    never reaches the page: the shipped model reads instead, so the page keeps working.
    """
    try:
        return task_predictor(task, model_path)
    except ValueError as error:
        shipped = catalog.shipped_model(task)
        fallback = " Using the shipped model instead." if shipped.resolve() != Path(model_path).resolve() else ""
        st.error(f"{error}{fallback}")
        if not fallback:
            return None
    try:
        return task_predictor(task, shipped)
    except ValueError as error:
        st.error(str(error))
        return None


def chosen_predictor(task: str, key: str) -> Predictor | None:
    """The Predictor of the model picked in the sidebar; None, after a warning or an error, when there is none."""
    model_path = chosen_model(task, key)
    return None if model_path is None else load_with_fallback(task, model_path)


def chosen_model(task: str, key: str) -> Path | None:
    """The model picked in the sidebar, not loaded yet; None, after a warning that says how to train one.

    `load_with_fallback` loads it in the background and waits for it, and shows why a model cannot be used.
    """
    model_path = pick_model(task, key)
    if model_path is None:
        st.warning(tasks.get_task(task).missing_text())
    return model_path


def uploaded_image(key: str, label: str, hint: str) -> np.ndarray | None:
    """A file uploader for a photo or scan; the decoded BGR image, or None. Bad files stop the page with an error."""
    upload = st.file_uploader(label, type=UPLOAD_TYPES, key=key, max_upload_size=UPLOAD_MAX_MB, help=hint)
    return None if upload is None else decoded_image(upload)


def decoded_image(upload) -> np.ndarray:
    """Decode an uploaded or camera image to BGR; a bad file stops the page with the reason."""
    try:
        return images.decode_image(upload.getvalue())
    except ValueError as error:
        st.error(f"{upload.name}: {error}")
        st.stop()


def percent(probability: float) -> str:
    """A probability as a whole percentage rounded down, so that nothing short of certain reads "100%"."""
    return f"{math.floor(probability * 100)}%"


def enlarged(image01: np.ndarray, scale: int = PREVIEW_SCALE) -> np.ndarray:
    """A small [0, 1] image enlarged with square pixels, as uint8 for st.image."""
    big = cv2.resize(image01, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    return images.to_uint8(big)
