"""Streamlit glue the pages share: cached predictors, the drawing canvas, uploads and the Draw page's displays.

Streamlit is imported in core only in the `ui*` modules (this one, `ui_train`, `ui_history`, `ui_sign`) and
`routing`. Everything there is thin: the work happens in plain core modules (preprocess, reading, charts,
samples, jobs), so it can be tested without a browser.
"""

import math
from pathlib import Path

import cv2
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core import images
from core.data import samples
from core.learn import catalog
from core.predictor import Predictor
from core.ui import charts
from core.vision.reading import SURE_FROM, NumberReading

CANVAS_SIDE = 320  # px; square, and roomy enough for a four-digit number.
PREVIEW_SCALE = 6  # The 28×28 model input is shown 6× enlarged, with crisp pixels.
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp"]
UPLOAD_MAX_MB = 20
NOT_SURE_BELOW = SURE_FROM  # The "not sure" threshold on the top probability (see core.reading).


# Sessions share these; a classroom may use several run models at once, and an evicted one reloads per rerun.
@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def load_predictor(model_path: str, mtime_ns: int) -> Predictor:
    """A Predictor shared by all sessions, keyed by the model's path and modification time."""
    return Predictor(Path(model_path))


def predictor_for(model_path: Path) -> Predictor:
    """The cached Predictor of a model file; ValueError when it is missing or cannot be loaded."""
    path = Path(model_path).resolve()
    if not path.is_file():
        raise ValueError(f"There is no model file at {path}.")
    return load_predictor(str(path), path.stat().st_mtime_ns)


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


def chosen_predictor(task: str, key: str, missing: str) -> Predictor | None:
    """The Predictor of the model picked in the sidebar; None, after a warning or an error, when there is none."""
    model_path = pick_model(task, key)
    if model_path is None:
        st.warning(missing)
        return None
    return load_with_fallback(task, model_path)


def digit_canvas(key: str, pen_width: int) -> np.ndarray | None:
    """The square drawing canvas (white ink on black); its RGBA pixels, or None before the first stroke."""
    result = st_canvas(
        stroke_width=pen_width,
        stroke_color="#ffffff",
        background_color="#000000",
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    return result.image_data


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


def show_reading(reading: NumberReading) -> None:
    """The prediction metric, the verdict, the probability chart and what the model saw."""
    single = len(reading.digits) == 1
    summary, preview = st.columns([3, 2]) if single else (st.container(), None)
    with summary:
        show_metric(reading)
        if not reading.sure:
            st.warning(reading.verdict(), icon="🤔")
    if single:
        preview.image(enlarged(reading.digits[0].crop.image), caption="What the model sees")
        st.altair_chart(charts.probability_bars(reading.digits[0].prediction), width="stretch")
    else:
        show_digit_crops(reading)
        st.altair_chart(charts.probability_grid([digit.prediction for digit in reading.digits]), width="stretch")


def show_metric(reading: NumberReading) -> None:
    """The "Prediction" metric: the number (or "4 or 9?" when not sure) and how confident the model is."""
    value = reading.text if reading.sure else "".join(digit.guess for digit in reading.digits)
    if len(reading.digits) == 1 and not reading.sure:
        value = f"{reading.digits[0].maybe()}?"
    least = percent(min(digit.prediction.confidence for digit in reading.digits))
    confidence = f"{least} confident" if len(reading.digits) == 1 else f"{least} on the least sure digit"
    st.metric(
        "Prediction",
        value,
        confidence,
        delta_color="green" if reading.sure else "orange",
        delta_arrow="off",
        help=f"Below {NOT_SURE_BELOW:.0%} confidence on a digit, or when the ink does not look like a digit, "
        "Handlab says it is not sure.",
    )


def show_digit_crops(reading: NumberReading) -> None:
    """Each digit's 28×28 input with its reading and confidence, left to right."""
    columns = st.columns(max(len(reading.digits), 5))
    for column, digit in zip(columns, reading.digits, strict=False):
        caption = f"{digit.prediction.label} · {percent(digit.prediction.confidence)}" + ("" if digit.sure else " 🤔")
        column.image(enlarged(digit.crop.image, 3), caption=caption)


def percent(probability: float) -> str:
    """A probability as a whole percentage rounded down, so that nothing short of certain reads "100%"."""
    return f"{math.floor(probability * 100)}%"


def enlarged(image01: np.ndarray, scale: int = PREVIEW_SCALE) -> np.ndarray:
    """A small [0, 1] image enlarged with square pixels, as uint8 for st.image."""
    big = cv2.resize(image01, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    return images.to_uint8(big)


def correction_form(reading: NumberReading, key: str) -> None:
    """“That was wrong?”: type the right digits and save the drawing to the user's own samples."""
    count = len(reading.digits)
    with st.expander("That was wrong?"), st.form(key, clear_on_submit=True, border=False):
        what = "digit" if count == 1 else f"{count} digits"
        st.caption(f"Type the right {what} to save this drawing to *My digits*, a dataset the Train page can use.")
        meant = "the digit you meant" if count == 1 else "the number you meant"
        text = st.text_input("Right answer", max_chars=count, key=f"{key}_answer", placeholder=meant, width=240)
        if not st.form_submit_button("Save to my digits", key=f"{key}_save"):
            return
        try:
            saved = samples.save_number([digit.crop for digit in reading.digits], text or "", reading.original_bgr)
        except ValueError as error:
            st.error(str(error))
            return
        total = sum(samples.count_samples().values())
        st.success(f"Saved {len(saved)} digit{'s' * (len(saved) != 1)}; My digits now has {total}.")
