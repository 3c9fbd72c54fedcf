"""Streamlit glue of the Draw page: the drawing canvas, the reading of a number and the correction form."""

import functools
from pathlib import Path

import numpy as np
import streamlit as st
import streamlit_drawable_canvas
from streamlit_drawable_canvas import CanvasResult

from core.data import samples
from core.labels import DIGITS
from core.ui.canvas_history import CanvasHistory
from core.ui.common import enlarged, percent
from core.vision.digits import STROKE_RATIO
from core.vision.reading import NOT_A_DIGIT, SURE_FROM, NumberReading

CANVAS_SIDE = 320  # px; square, and roomy enough for a four-digit number.
NOT_SURE_BELOW = SURE_FROM  # The "not sure" threshold on the top probability (see core.vision.reading).
# Pen widths in canvas pixels, as buttons inside the canvas's component: a click reaches the brush in the browser
# at once, and never in the middle of a stroke (pen_canvas.js says why that matters).
PEN_WIDTHS_PX = (6, 10, 14, 18, 24, 32, 40)
DEFAULT_PEN_PX = 18
PEN_STEPS_SHOWN = 4  # digits whose pen steps an upload shows, left to right
# streamlit-drawable-canvas's component, whose JS module the pen canvas loads (its name and files, pinned 0.13).
DRAWABLE_CANVAS = "streamlit-drawable-canvas.streamlit_drawable_canvas"
DRAWABLE_CANVAS_BUILD = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
PEN_ROW_CSS = """
.pen-label { font-size: 0.875rem; margin: 0.75rem 0 0.25rem; color: var(--st-text-color); }
.pen-row { display: flex; width: fit-content; }
.pen { font: inherit; font-size: 0.875rem; min-width: 2.6rem; padding: 0.3rem 0.6rem; cursor: pointer;
  color: var(--st-text-color); background: var(--st-background-color);
  border: 1px solid var(--st-border-color); margin-left: -1px; }
.pen:first-child { border-radius: var(--st-button-radius) 0 0 var(--st-button-radius); margin-left: 0; }
.pen:last-child { border-radius: 0 var(--st-button-radius) var(--st-button-radius) 0; }
.pen:hover { color: var(--st-primary-color); border-color: var(--st-primary-color); position: relative; }
/* The canvas's own hover toolbar repeats Undo, Redo and Clear under odd titles: the page has its own buttons. */
.dc-toolbar { display: none !important; }
.pen[aria-pressed="true"] { color: var(--st-primary-color); border-color: var(--st-primary-color); position: relative;
  background: color-mix(in srgb, var(--st-primary-color) 10%, var(--st-background-color)); }
"""


@functools.cache
def _pen_canvas_component():
    """The pen canvas component (pen_canvas.js beside this file), registered once per server, and the path the
    browser loads the drawable canvas's own module from (read once: the page reruns after every stroke)."""
    canvas_css = next(DRAWABLE_CANVAS_BUILD.glob("index-*.css")).read_text()
    component = st.components.v2.component(
        "handlab.pen_canvas",
        html='<div class="canvas-root"></div><div class="pen-label">Pen width (px)</div><div class="pen-row"></div>',
        css=canvas_css + PEN_ROW_CSS,
        js=(Path(__file__).parent / "pen_canvas.js").read_text(),
    )
    base = st.get_option("server.baseUrlPath").strip("/")
    module = next(DRAWABLE_CANVAS_BUILD.glob("index-*.js")).name
    return component, f"{'/' + base if base else ''}/_stcore/bidi-components/{DRAWABLE_CANVAS}/{module}"


def pen_canvas(key: str, initial_drawing: dict, pen_width: int) -> tuple[CanvasResult, int]:
    """The drawing canvas (white ink on black) with the pen widths under it: what the canvas holds, and the pen."""
    component, canvas_module = _pen_canvas_component()
    drawing = {**initial_drawing, "background": "#000000"}
    canvas = {  # the data st_canvas(drawing_mode="freedraw", return_image_data=True, ...) gives its component
        "fillColor": "#eee", "strokeWidth": pen_width, "strokeColor": "#ffffff", "backgroundColor": "#000000",
        "backgroundImageURL": None, "realtimeUpdateStreamlit": True, "canvasWidth": CANVAS_SIDE,
        "canvasHeight": CANVAS_SIDE, "drawingMode": "freedraw", "initialDrawing": drawing, "displayRadius": 3,
        "returnImageData": True, "disabled": False, "backgroundImageFit": "stretch", "maxDisplayHeight": None,
        "fontSize": 20, "label": "",
    }  # fmt: skip
    result = component(
        data={
            "canvas": canvas,
            "canvasModule": canvas_module,
            "pens": PEN_WIDTHS_PX,
            "pen": pen_width,
        },
        key=key,
        default={"drawing": {"raw": drawing, "data": None}, "pen": pen_width},
        on_drawing_change=lambda: None,
        on_pen_change=lambda: None,
        on_backgroundFit_change=lambda: None,
        width="content",
        height="content",
    )
    sent = result.get("drawing") or {"raw": drawing, "data": None}
    return CanvasResult(sent.get("raw"), sent.get("data"), return_image_data=True), result.get("pen") or pen_width


def canvas_history(key: str) -> CanvasHistory:
    """The session's undo history of the canvas with this key."""
    return st.session_state.setdefault(f"{key}_history", CanvasHistory())


def digit_canvas(key: str) -> np.ndarray | None:
    """The square drawing canvas with its pen widths; the RGBA pixels of its drawing, or None when blank.

    The pixels follow the Undo, Redo and Clear buttons (`canvas_buttons`) at once: they come from the page's
    own history of drawings, not from the canvas, which reloads the drawing and sends it again a moment later.
    The chosen pen is kept in the session, so it stays chosen when the user comes back to the page.
    """
    history = canvas_history(key)
    pen_key = f"{key}_pen"
    result, st.session_state[pen_key] = pen_canvas(
        key, history.initial_drawing(), st.session_state.get(pen_key, DEFAULT_PEN_PX)
    )
    if history.receive(result.json_data, result.image_data):
        st.rerun()  # the canvas was mounted afresh and shows another drawing than the page reads: send it
    return history.current.image_rgba


def canvas_buttons(key: str) -> None:
    """Undo, Redo and Clear buttons for the canvas with this key, each disabled when it has nothing to do."""
    history = canvas_history(key)
    buttons = [
        ("Undo", ":material/undo:", history.undo, history.can_undo),
        ("Redo", ":material/redo:", history.redo, history.can_redo),
        ("Clear", ":material/delete:", history.clear, history.can_clear),
    ]
    with st.container(horizontal=True, gap="small"):
        for label, icon, action, possible in buttons:
            st.button(label, icon=icon, key=f"{key}_{label.lower()}", on_click=action, disabled=not possible)


def show_reading(reading: NumberReading) -> None:
    """The prediction metric, the verdict, the probability chart and what the model saw."""
    single = len(reading.digits) == 1
    summary, preview = st.columns([3, 2]) if single else (st.container(), None)
    with summary:
        show_metric(reading)
        if single and reading.digits[0].no_digit:
            st.warning(f"{NOT_A_DIGIT}.", icon="🤔")
            st.caption(reading.digits[0].closest())
        elif not reading.sure:
            st.warning(reading.verdict(), icon="🤔")
    # Altair and pandas take a second or more to import on a fresh server: not before the canvas is up, and not
    # before the first reading is on the page (it is sent as soon as it is drawn).
    from core.ui import charts

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
    if len(reading.digits) == 1 and reading.digits[0].no_digit:
        value, confidence = "Not a digit", f"closest digit {reading.digits[0].prediction.label}, {least}"
    st.metric(
        "Prediction",
        value,
        confidence,
        delta_color="green" if reading.sure else "orange",
        delta_arrow="off",
        help=f"Below {NOT_SURE_BELOW:.0%} confidence on a digit, or when the ink does not look like a digit, "
        "Handlab says it is not sure. A letter, a shape or a scribble it reads as no digit at all.",
    )


def show_digit_crops(reading: NumberReading) -> None:
    """Each digit's 28×28 input with its reading and confidence, left to right."""
    columns = st.columns(max(len(reading.digits), 5))
    for column, digit in zip(columns, reading.digits, strict=False):
        caption = f"{digit.prediction.label} · {percent(digit.prediction.confidence)}" + ("" if digit.sure else " 🤔")
        if digit.no_digit:
            caption = f"not a digit (closest {digit.prediction.label}) 🤔"
        column.image(enlarged(digit.crop.image, 3), caption=caption)


def show_pen_steps(reading: NumberReading) -> None:
    """For a photo: each digit's ink as found, with its pen evened to MNIST's stroke, and the 28×28 it becomes."""
    st.markdown("**How the pen was evened**")
    st.caption(
        f"Any pen, from a hairline to a marker, is thickened or thinned to MNIST's stroke (about "
        f"{STROKE_RATIO:.0%} of the digit's height) before the digit is shrunk to the 28×28 the model reads."
    )
    for number, digit in enumerate(reading.digits[:PEN_STEPS_SHOWN], 1):
        pen = digit.crop.pen
        if pen is None:
            continue
        found, evened, seen = st.columns(3)
        which = f"Digit {number}: " if len(reading.digits) > 1 else ""
        found_caption = f"{which}found, pen {pen.found_ratio:.1%} of its size"
        found.image(enlarged(_square(pen.found), 2), caption=found_caption)
        evened.image(enlarged(_square(pen.evened), 2), caption=f"Evened to {pen.evened_ratio:.0%}")
        seen.image(enlarged(digit.crop.image, 5), caption=f"What the model sees: {digit.guess}")
    if (others := len(reading.digits) - PEN_STEPS_SHOWN) > 0:
        rest = f"The other {others} digits are" if others > 1 else "The last digit is"  # never "other 1 digits"
        st.caption(f"{rest} evened the same way.")


def _square(image01: np.ndarray, margin: int = 4) -> np.ndarray:
    """The image centred on a black square a margin wider than its longer side, so the steps line up."""
    side = max(image01.shape) + 2 * margin
    square = np.zeros((side, side), image01.dtype)
    top, left = (side - image01.shape[0]) // 2, (side - image01.shape[1]) // 2
    square[top : top + image01.shape[0], left : left + image01.shape[1]] = image01
    return square


def correction_form(reading: NumberReading, key: str) -> None:
    """“That was wrong?”: type the right digits and save the drawing to the user's own samples, or save it as no
    digit at all, for the dataset that teaches the model what is not a digit."""
    from core.data import datasets  # pandas with it: ~0.25 s, after the reading is on the page

    count = len(reading.digits)
    with st.expander("That was wrong?"), st.form(key, clear_on_submit=True, border=False):
        what = "digit" if count == 1 else f"{count} digits"
        st.caption(
            f"Type the right {what} to save this drawing to *My digits*, a dataset the Train page can use. "
            "Drew something that is no digit? Save it as *not a digit*: training on "
            f"*{datasets.get_info('mnist_other').title}* teaches the model from it."
        )
        meant = "the digit you meant" if count == 1 else "the number you meant"
        text = st.text_input("Right answer", max_chars=count, key=f"{key}_answer", placeholder=meant, width=240)
        buttons = st.container(horizontal=True)
        with buttons:
            as_digits = st.form_submit_button("Save to my digits", key=f"{key}_save")
            as_no_digit = st.form_submit_button("It's not a digit", key=f"{key}_not_a_digit")
        if not (as_digits or as_no_digit):
            return
        crops = [digit.crop for digit in reading.digits]
        try:
            if as_no_digit:
                saved = samples.save_not_a_digit(crops, reading.original_bgr)
            else:
                saved = samples.save_number(crops, text or "", reading.original_bgr)
        except ValueError as error:
            st.error(str(error))
            return
        if as_no_digit:
            total = samples.count_labelled(samples.MY_DIGITS, (samples.NOT_A_DIGIT,))
            st.success(
                f"Saved {len(saved)} piece{'s' * (len(saved) != 1)} as not a digit ({total} so far). To teach the "
                f"model, train on *{datasets.get_info('mnist_other').title}* on the Train page, starting from the "
                "shipped model."
            )
        else:
            total = samples.count_labelled(samples.MY_DIGITS, DIGITS)
            st.success(f"Saved {len(saved)} digit{'s' * (len(saved) != 1)}; My digits now has {total}.")
