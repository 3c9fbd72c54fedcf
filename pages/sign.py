"""Hold up an ASL letter to the webcam and see it named, live; or take a snapshot, or upload a photo."""

import streamlit as st

from core import routing, signs, ui, ui_sign

routing.ensure_router()

LIVE, SNAPSHOT, UPLOAD = "🎥 Live", "📸 Snapshot", "📁 Upload a photo"

st.title("Sign a letter")
st.caption(
    "Hold up an American Sign Language letter: Handlab finds your hand, crops it and names the letter. "
    "Hold a letter steady to write it and spell words."
)

predictor = ui.chosen_predictor(
    "letters",
    key="sign_model",
    missing="No letters model yet: train one on the **Train** page (dataset *ASL photos + Sign MNIST*), or from the "
    "command line: `python -m core.train --dataset letters --recipe letters-cnn --save-to models/letters.keras`.",
)
if predictor is None:
    ui_sign.letter_guide()
    st.stop()

settings = ui_sign.spelling_settings(key="sign")
live = ui_sign.live_sign(predictor, settings, key="sign_session")
mode = st.segmented_control("Input", [LIVE, SNAPSHOT, UPLOAD], default=LIVE, required=True, key="sign_mode")
video, results = st.columns([3, 2], gap="large")

if mode == LIVE:
    with video:
        ctx = ui_sign.live_video(live, key="sign_live")
        st.caption(
            "Press START and allow the camera. No picture? Without HTTPS, or where video calls are blocked, "
            "use Snapshot or Upload a photo."
        )
    with results:
        ui_sign.live_results(live, ctx, key="sign_live")
    kept = ui_sign.kept_frame(key="sign_live")
else:
    with video:
        if mode == SNAPSHOT:
            frame = ui_sign.snapshot(key="sign_snapshot")
        else:
            frame = ui.uploaded_image(
                "sign_upload", "A photo of a hand signing a letter", hint="One hand, big in the picture, in good light."
            )
    if frame is None:
        with results:
            st.info("Take a photo of your hand signing a letter." if mode == SNAPSHOT else "Upload a photo of a hand.")
            ui_sign.spelled_text(live, key="sign_photo")
        kept = None
    else:
        reading = signs.read_sign(predictor, frame)
        with results:
            ui_sign.photo_results(frame, reading, settings.threshold, live, key="sign_photo")
        kept = frame, reading

if kept is not None:
    ui_sign.save_form(*kept, key="sign_save")
ui_sign.letter_guide()
