"""Draw a digit, or a whole number, and watch the model read it after every stroke; or upload a photo."""

import streamlit as st

from core.ui import common, routing
from core.ui import draw as draw_ui
from core.vision import reading

routing.ensure_router()

DRAW, UPLOAD = "✏️ Draw", "📷 Upload a photo"

st.title("Draw a digit")
st.caption("Draw a digit or a whole number, like 2026. The model reads it after every stroke.")

# The model loads in the background once the canvas is on the page; the results column waits for it.
model_path = common.chosen_model("digits", key="draw_model")
if model_path is None:
    st.stop()

source = st.segmented_control("Input", [DRAW, UPLOAD], default=DRAW, required=True, key="draw_source")
left, right = st.columns([4, 5], gap="large")

with left:
    if source == DRAW:
        st.caption("Draw with mouse or finger:")
        drawing = draw_ui.digit_canvas(key="draw_canvas")
        draw_ui.canvas_buttons(key="draw_canvas")  # after the canvas, so that they know about its latest stroke
    else:
        photo = common.uploaded_image(
            "draw_upload",
            "A photo or scan of a handwritten digit or number",
            hint="Dark ink on light paper works best; any size.",
        )
        photo_area = st.container()

with right:
    predictor = common.load_with_fallback("digits", model_path)  # "Loading the model…" while it loads
    if predictor is None:
        st.stop()
    if source == DRAW:
        result = None if drawing is None else reading.read_canvas(predictor, drawing)
    else:
        result = None if photo is None else reading.read_photo(predictor, photo)
        if photo is not None:
            shown = photo if result is None else reading.outline_digits(photo, result)
            photo_area.image(shown, channels="BGR", caption="Your photo")
    if source == DRAW and result is None:
        st.info("Draw a digit in the black square, as big as you like. Leave a gap between digits of a number.")
        st.stop()
    if source == UPLOAD and photo is None:
        st.info("Upload a photo or scan of a handwritten digit or number: dark ink on light paper, any size.")
        st.stop()
    if result is None:
        st.warning("No handwriting found in this photo. Try one with darker ink or more contrast.")
        st.stop()
    if result.problem:
        st.warning(result.problem, icon="🤔")
        st.stop()
    draw_ui.show_reading(result)
    if source == UPLOAD:
        draw_ui.show_pen_steps(result)

draw_ui.correction_form(result, key="draw_fix")
