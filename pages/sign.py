"""Hold up an ASL letter to the webcam and see it named, live; or take a snapshot, or upload a photo."""

import streamlit as st

from core.ui import common, routing, sign_live
from core.ui import sign as sign_ui
from core.ui.sign_session import KeptFrame
from core.vision import signs

routing.ensure_router()

LIVE, SNAPSHOT, UPLOAD = "🎥 Live", "📸 Snapshot", "📁 Upload a photo"

st.title("Sign a letter")
st.caption(
    "Hold up an American Sign Language letter: Handlab finds your hand, crops it and names the letter. "
    "To spell a word, hold each letter still for a moment and move on to the next (bounce for a double letter); "
    "lower your hand to end the word."
)

predictor = common.chosen_predictor("letters", key="sign_model")
if predictor is None or sign_ui.hand_models_missing():
    sign_ui.letter_guide(None if predictor is None else predictor.card)
    st.stop()

text = sign_ui.spelled_text_state(key="sign_text")
mode = st.segmented_control("Input", [LIVE, SNAPSHOT, UPLOAD], default=LIVE, required=True, key="sign_mode")
video, results = st.columns([3, 2], gap="large")

if mode == LIVE:  # only live video spells: its settings are in the sidebar
    settings, motion = sign_ui.spelling_settings(key="sign"), sign_ui.motion_settings()
    live = sign_live.live_sign(predictor, settings, motion, text, key="sign_session")
    with video:
        ctx = sign_live.live_video(live, key="sign_live")
        st.caption(
            "Press START and allow the camera. No picture? Without HTTPS, or where video calls are blocked, "
            "use Snapshot or Upload a photo."
        )
    with results:
        sign_live.live_results(live, text, ctx, key="sign_live")
    kept = sign_live.kept_frame(key="sign_live")
else:
    with video:  # the input and the photo as read on the left, what was read from it on the right
        if mode == SNAPSHOT:
            frame = sign_ui.snapshot(key="sign_snapshot")
        else:
            frame = common.uploaded_image(
                "sign_upload", "A photo of a hand signing a letter", hint="One hand, big in the picture, in good light."
            )
        reading = None if frame is None else signs.read_sign(predictor, frame)
        if reading is not None and mode == UPLOAD:  # a snapshot's photo is on show in the camera input already
            sign_ui.photo_with_box(frame, reading)
    with results:
        if reading is None:
            st.info("Take a photo of your hand signing a letter." if mode == SNAPSHOT else "Upload a photo of a hand.")
            sign_ui.spelled_text(text, key="sign_photo")
        else:
            sign_ui.photo_results(frame, reading, text, key="sign_photo")
    kept = None if reading is None else KeptFrame.photo(frame, reading)

if kept is not None and kept.reading.prediction is not None:
    if mode == LIVE:
        with video:
            sign_ui.kept_frame(kept, key=sign_live.kept_key("sign_live"), mirror=True)
    sign_ui.save_form(kept, key="sign_save", expanded=mode == LIVE)  # a frame kept on purpose opens its form
sign_ui.letter_guide(predictor.card)
