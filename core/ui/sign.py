"""Streamlit glue for the Sign page: live video, snapshot and upload inputs, the results, saving signs, the guide.

The work happens in core.signs (reading a frame, the overlay, live results behind a lock) and core.spelling;
this module only lays them out. Live video comes from streamlit-webrtc: its frame callback runs in a worker
thread and writes into a `LiveSign`; a fragment polls that object twice a second to redraw the results.
"""

import time

import av
import numpy as np
import streamlit as st
import streamlit_webrtc
from streamlit_webrtc import WebRtcMode, WebRtcStreamerContext

# Private parts of streamlit-webrtc 0.79 that _forget_orphaned_stream uses in place of the library's own check for
# components "not rendered" in a run (see live_video); tests/test_internals.py fails when they change.
from streamlit_webrtc.component import _reset_context, generate_frontend_component_key

from core import images
from core.data import samples
from core.labels import SIGN_LETTERS
from core.predictor import Predictor
from core.ui import charts
from core.ui.common import decoded_image, enlarged, percent
from core.vision import hand_model_files, signs
from core.vision.letter_guide import LETTER_GUIDE
from core.vision.signs import LiveSign, SignReading
from core.vision.spelling import SpellingSettings

LIVE_REFRESH_S = 0.5  # How often the page redraws the live results.
NO_VIDEO_AFTER_S = 12.0  # Playing this long without a single frame means the connection is blocked.
VIDEO_STOPPED_AFTER_S = 5.0  # No new frame for this long after frames came means the video stopped.
PREVIEW_PX = 160  # Side the model-input previews are drawn at (shown as wide as their column).
# Public STUN lets browsers behind a home router reach the server; on localhost no ICE server is needed.
RTC_CONFIGURATION = {"iceServers": [{"urls": ["stun:stun.l.google.com:19302"]}]}
LAST_READING = "Last reading (stopped)"  # the letter metric's note once the video stopped
USE_SNAPSHOT = "Use **📸 Snapshot** or **📁 Upload a photo** above instead."
CAMERA_MESSAGES = {
    "media_api_not_available": "This page cannot use the camera: browsers allow it only over HTTPS or on "
    "localhost. Use Upload a photo above (on a phone it can take a picture).",
    "device_not_available": "No camera found. Connect one and reload, or use Upload a photo above.",
    "device_access_denied": "Camera permission denied. Allow the camera in the browser's address bar and "
    "reload, or use Upload a photo above.",
}


def spelling_settings(key: str) -> SpellingSettings:
    """Sidebar sliders for how steady a letter must be."""
    sidebar = st.sidebar
    sidebar.subheader("Steadiness")
    threshold = sidebar.slider(
        "Confidence needed", 0.3, 0.95, 0.6, 0.05, key=f"{key}_threshold", help="Below it the answer is “not sure”."
    )
    hold_s = sidebar.slider(
        "Hold time (s)", 0.3, 3.0, 1.0, 0.1, key=f"{key}_hold", help="How long a letter must stay to be written."
    )
    window_s = sidebar.slider(
        "Smoothing (s)", 0.1, 2.0, 0.5, 0.1, key=f"{key}_window", help="Predictions are averaged over this time."
    )
    return SpellingSettings(window_s=window_s, hold_s=hold_s, threshold=threshold)


def live_sign(predictor: Predictor, settings: SpellingSettings, key: str) -> LiveSign:
    """The session's LiveSign (live results and the spelled text), updated to the current model and settings."""
    if key not in st.session_state:
        st.session_state[key] = LiveSign(predictor, settings)
    live = st.session_state[key]
    live.set_predictor(predictor)
    live.set_settings(settings)
    return live


def live_video(live: LiveSign, key: str) -> WebRtcStreamerContext:
    """The webcam with the overlay (streamlit-webrtc); frames are read in its worker thread into `live`."""

    def read_frame(frame: av.VideoFrame) -> av.VideoFrame:
        image_bgr = frame.to_ndarray(format="bgr24")
        try:
            image_bgr = live.process(image_bgr)
        except Exception as error:  # No one can catch it in the video thread: show it on the page instead.
            live.report_error(f"{type(error).__name__}: {error}")
        return av.VideoFrame.from_ndarray(image_bgr, format="bgr24")

    _forget_orphaned_stream(key)
    ctx = streamlit_webrtc.webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration=RTC_CONFIGURATION,
        media_stream_constraints={"video": True, "audio": False},
        video_frame_callback=read_frame,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}},
        translations=CAMERA_MESSAGES,
    )
    # streamlit-webrtc 0.79 stops a stream whose component "was not rendered" for a script run: it compares
    # Streamlit's run counter with the one the context saved when it was last drawn, and that counter lags
    # during the quick reruns of connection setup, so 15–40% of starts were stopped right after connecting.
    # Clearing the saved counter turns that check off; _forget_orphaned_stream does its job reliably instead.
    # An assignment to a renamed attribute would silently do nothing, hence the check.
    _require_attribute(ctx, "_last_rendered_run_count")
    ctx._last_rendered_run_count = None
    return ctx


def _require_attribute(ctx: WebRtcStreamerContext, name: str) -> None:
    """Fail loudly when streamlit-webrtc's context lacks an internal attribute the Sign page sets."""
    if not hasattr(ctx, name):
        raise RuntimeError(
            f"streamlit-webrtc {streamlit_webrtc.__version__}: WebRtcStreamerContext has no {name} (the Sign page "
            "was written for the version pinned in requirements.txt); update the workaround in core/ui/sign.py."
        )


def _forget_orphaned_stream(key: str) -> None:
    """Reset the stream when its component was not on the page in the last finished run (another page, or mode).

    Streamlit drops a widget's state at the end of every finished run that did not draw it, so a missing
    component value with a context still present means the browser's video element was removed. This replaces
    streamlit-webrtc 0.79's own check, which compares lagging run counters (see live_video).
    """
    ctx = st.session_state.get(key)
    if ctx is not None and generate_frontend_component_key(key) not in st.session_state:
        _reset_context(ctx)


def live_results(live: LiveSign, ctx: WebRtcStreamerContext, key: str) -> None:
    """The live results, redrawn twice a second while the video runs."""
    running = ctx.state.playing or ctx.state.signalling
    if running and f"{key}_since" not in st.session_state:
        st.session_state[f"{key}_since"] = time.monotonic()
        live.forget_frames()  # a new stream: show nothing from the last one
    elif not running:  # the stream ended: the next START is a new stream; the last reading stays on show
        st.session_state.pop(f"{key}_since", None)
    st.fragment(_live_panel, run_every=LIVE_REFRESH_S if running else None)(live, running, key)


def _live_panel(live: LiveSign, running: bool, key: str) -> None:
    view = live.view()
    if view.error:
        st.error(f"Reading the video failed: {view.error}")
    if running:
        _connection_warning(view, time.monotonic() - st.session_state.get(f"{key}_since", time.monotonic()))
    if view.reading is None:
        st.metric("Letter", "–", help="Press START and allow the camera.")
        st.info("Press **START** and hold a letter up to the camera, inside the box.")
        spelled_text(live, key)
        return
    reading = view.reading
    if running:
        _live_letter(view)
    else:  # the stream ended: the last reading stays on show (it can be kept and saved), marked as such
        _last_letter(view)
    _two_hands_note(reading)
    # Inline, not under /media: every redraw makes Streamlit drop the last redraw's files, often before the browser
    # has fetched them, and it logged an "Image source error" for each (404) and showed a broken image.
    crops(view.frame_bgr, reading, inline=True)
    if reading.hand:
        st.altair_chart(charts.top_bars(reading.prediction), width="stretch")
    spelled_text(live, key)
    if st.button("Keep this frame to save it", key=f"{key}_keep", icon=":material/photo_camera:"):
        st.session_state[f"{key}_kept"] = (view.frame_bgr, view.reading)
        st.rerun(scope="app")


def _letter_value(view: signs.LiveView) -> str:
    """The steady letter, or why there is none."""
    state = view.state
    return state.letter if state and state.letter else ("not sure" if view.reading.hand else "no hand")


def _live_letter(view: signs.LiveView) -> None:
    """The letter metric while the video plays: the steady letter, how sure, and the frame rate on the video."""
    value, state = _letter_value(view), view.state
    caption = f"{percent(state.confidence)} confident" if state and state.hand else _no_hand_hint(view.reading)
    fps = f" · {signs.fps_text(view.fps)}" if view.fps else ""
    st.metric("Letter", value, caption + fps, delta_color="green" if value.isalpha() and len(value) == 1 else "off")


def _last_letter(view: signs.LiveView) -> None:
    """The letter metric after STOP: the last reading, marked as stopped, with no frame rate."""
    st.metric("Letter", _letter_value(view), LAST_READING, delta_color="off", delta_arrow="off")
    st.caption("⏹ The video is stopped: this is the last frame it read. Press **START** to read again.")


def _no_hand_hint(reading: SignReading) -> str:
    """What to do when no hand was found."""
    if reading.finder == signs.HAND_MODELS:
        return "no hand in view: hold one hand up to the camera"
    return "hold your hand in the box"


def _two_hands_note(reading: SignReading) -> None:
    """Say which hand is read when two are in view."""
    if reading.two_hands:
        side = reading.landmarks.handedness  # as seen in the unmirrored frame: the signer's own side
        st.caption(f"✋✋ Two hands in view: reading the larger one, your {side} hand. Lower the other to be sure.")


def hand_models_notice(reads_landmarks: bool) -> bool:
    """Say so when the hand models are missing (skin colour stands in, or nothing can); False when nothing can."""
    problems = hand_model_files.problems()
    if not problems:
        return True
    problem = str(hand_model_files.HandModelsMissing("; ".join(problems)))
    if reads_landmarks:
        st.error(f"This letters model reads hand landmarks, and {problem[0].lower()}{problem[1:]}", icon="✋")
        return False
    st.warning(
        f"{problem} Until then Handlab finds the hand by its skin colour, which a face or a wooden desk in view "
        "can fool.",
        icon="✋",
    )
    return True


def _connection_warning(view: signs.LiveView, running_s: float) -> None:
    """Say so when the video never arrives or stops arriving."""
    if view.seen_at_s is None and running_s > NO_VIDEO_AFTER_S:
        st.warning(
            "The camera is on but no video reaches Handlab: the connection may be blocked (a firewall, VPN or "
            f"proxy). {USE_SNAPSHOT}",
            icon="📡",
        )
    elif view.seen_at_s is not None and time.monotonic() - view.seen_at_s > VIDEO_STOPPED_AFTER_S:
        st.warning(f"The video stopped. Press STOP, then START again. {USE_SNAPSHOT}", icon="📡")


def kept_frame(key: str) -> tuple[np.ndarray, SignReading] | None:
    """The live frame the user kept to save, if any."""
    return st.session_state.get(f"{key}_kept")


def snapshot(key: str) -> np.ndarray | None:
    """A photo from st.camera_input, decoded to BGR; None before the first photo."""
    photo = st.camera_input("Hold up a letter and take a photo", key=key)
    return None if photo is None else decoded_image(photo)


def photo_with_box(frame_bgr: np.ndarray, reading: SignReading) -> None:
    """The photo as read: the hand's box, its skeleton and the letter drawn on it (under the input, on the left)."""
    picture_bgr = signs.annotate(frame_bgr, reading, None, None, mirror=False)
    st.image(picture_bgr, channels="BGR", caption="Your photo", width="stretch")  # small photos fill the column too


def photo_results(frame_bgr: np.ndarray, reading: SignReading, threshold: float, live: LiveSign, key: str) -> None:
    """The letter read from one photo: metric, crops, top-3 chart, "add to text" and the spelled text."""
    prediction = reading.prediction
    if prediction is None:
        st.metric("Letter", "no hand", "no hand in view", delta_color="off", delta_arrow="off")
        st.warning(
            "No hand in view: Handlab's hand detector found no hand in this picture. Hold one hand up, palm to the "
            "camera, close enough to fill about a quarter of the picture, in good light.",
            icon="✋",
        )
    else:
        sure = prediction.confidence >= threshold
        st.metric(
            "Letter",
            prediction.label if sure else "not sure",
            f"{percent(prediction.confidence)} confident",
            delta_color="green" if sure else "orange",
            delta_arrow="off",
            help=f"Below {threshold:.0%} confidence Handlab says it is not sure.",
        )
        if not sure:
            st.warning(
                f"Not sure: the best guess is {prediction.label}. Try a closer photo in better light.", icon="🤔"
            )
        if not reading.hand:
            st.info("No hand found by its skin colour: Handlab read the middle of the picture.")
        _two_hands_note(reading)
    crops(frame_bgr, reading)
    if prediction is not None:
        st.altair_chart(charts.top_bars(prediction), width="stretch")
        if prediction.confidence >= threshold and st.button(f"Add {prediction.label} to the text", key=f"{key}_add"):
            live.edit("add", prediction.label)
    spelled_text(live, key)


def crops(frame_bgr: np.ndarray, reading: SignReading, inline: bool = False) -> None:
    """The hand crop in colour beside what the model reads: its normalised landmarks, or the crop at its input size.

    `inline` sends the pictures inside the page as `data:` URLs rather than as files under /media (live video, see
    _live_panel).
    """
    left, right = st.columns(2)
    crop = signs.crop_bgr(frame_bgr, reading.crop_xywh)
    left.image(_picture(crop, inline), channels="BGR", caption="The crop", width="stretch")
    if reading.model_reads_landmarks:
        if reading.features is not None:
            picture = _picture(signs.landmarks_picture(reading.features, PREVIEW_PX), inline, ".png")
            right.image(picture, channels="BGR", caption="What the model sees (21 landmarks)", width="stretch")
        return
    side = reading.image.shape[0]
    picture = _picture(enlarged(reading.image, max(1, PREVIEW_PX // side)), inline, ".png")
    right.image(picture, caption=f"What the model sees ({side}×{side})", width="stretch")


def _picture(image: np.ndarray, inline: bool, extension: str = ".jpg") -> np.ndarray | str:
    """The image for st.image: as it is (Streamlit serves it under /media), or inline as a data: URL."""
    return images.data_url(image, extension) if inline else image


def spelled_text(live: LiveSign, key: str) -> None:
    """The text spelled so far, with space, backspace and clear."""
    text = live.view().text
    st.markdown("**Spelled text**")
    st.code(text or " ", language=None)  # a code block shows the user's text as text, spaces included
    cells = st.columns(3)
    cells[0].button("Space", key=f"{key}_space", on_click=live.edit, args=("add", " "), width="stretch")
    cells[1].button("⌫", key=f"{key}_backspace", on_click=live.edit, args=("backspace",), width="stretch")
    cells[2].button("Clear", key=f"{key}_clear", on_click=live.edit, args=("clear",), width="stretch")


def save_form(frame_bgr: np.ndarray, reading: SignReading, key: str) -> None:
    """“Save this as…”: label the crop with the right letter and keep it in My signs, for the Train page."""
    with st.expander("Save this as…"), st.form(key, clear_on_submit=False, border=False):
        st.caption(
            "Save this hand to *My signs*: the Train page can fine-tune the letters model on your own signs, "
            "your hand and your room."
        )
        guess = reading.prediction.label
        index = SIGN_LETTERS.index(guess) if guess in SIGN_LETTERS else 0
        letter = st.selectbox("The letter you signed", SIGN_LETTERS, index=index, key=f"{key}_letter", width=240)
        if not st.form_submit_button("Save to my signs", key=f"{key}_save"):
            return
        hand = reading.landmarks
        try:
            if hand is None:
                samples.save_sign(frame_bgr, reading.box_xywh, letter)
            else:
                samples.save_sign(frame_bgr, reading.box_xywh, letter, hand.landmarks_px, hand.handedness)
        except ValueError as error:
            st.error(str(error))
            return
        total = len(samples.list_samples(samples.MY_SIGNS))
        st.success(f"Saved as {letter}. My signs now has {total}.")


def letter_guide() -> None:
    """The 24 static letters with a short description of each handshape."""
    with st.expander("Letter guide: the 24 letters Handlab reads"):
        st.caption("J and Z are left out: they are drawn in the air, and one frame cannot show motion.")
        columns = st.columns(2)
        half = (len(LETTER_GUIDE) + 1) // 2
        for index, (letter, description) in enumerate(LETTER_GUIDE.items()):
            columns[index // half].markdown(f"**{letter}**: {description}")
