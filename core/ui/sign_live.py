"""Streamlit glue for live video on the Sign page: the webcam with its overlay, and the results redrawn as it plays.

Live video comes from streamlit-webrtc: its frame callback runs in a worker thread and writes into a `LiveSign`
(core.ui.sign_session); a fragment polls that object four times a second to redraw the results.
"""

import time

import av
import streamlit as st
import streamlit_webrtc
from streamlit_webrtc import WebRtcMode, WebRtcStreamerContext

# Private parts of streamlit-webrtc 0.79 that _forget_orphaned_stream uses in place of the library's own check for
# components "not rendered" in a run (see live_video); tests/test_internals.py fails when they change.
from streamlit_webrtc.component import _reset_context, generate_frontend_component_key

from core.predictor import Prediction, Predictor
from core.ui.common import percent
from core.ui.sign import crops, spelled_text, two_hands_note
from core.ui.sign_session import KEEP_WITHIN_S, KeptFrame, LiveSign, LiveView, SpelledText
from core.vision import signs
from core.vision.motion_letters import MotionSettings
from core.vision.signs import MOVING, NO_HAND, LiveLetter, live_letter
from core.vision.spelling import SpellingSettings

LIVE_REFRESH_S = 0.25  # How often the page redraws the live results.
NOTE_S = 4.0  # A note answering a button stays this long, over the redraws.
NO_VIDEO_AFTER_S = 12.0  # Playing this long without a single frame means the connection is blocked.
VIDEO_STOPPED_AFTER_S = 5.0  # No new frame for this long after frames came means the video stopped.
# Public STUN lets browsers behind a home router reach the server; on localhost no ICE server is needed.
RTC_CONFIGURATION = {"iceServers": [{"urls": ["stun:stun.l.google.com:19302"]}]}
# VGA at up to 20 fps: the server decodes, reads and encodes again every frame the camera sends, and a 720p or
# 30 fps camera would cost 1.5–3× the CPU for no better reading (benchmarks/live_fps.py).
VIDEO_CONSTRAINTS = {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 20, "max": 20}}
LAST_READING = "Last reading (stopped)"  # the letter metric's note once the video stopped
NO_HAND_HINT = "no hand in view: hold one hand up to the camera"  # its note while no hand is in view
USE_SNAPSHOT = "Use **📸 Snapshot** or **📁 Upload a photo** above instead."
CAMERA_MESSAGES = {
    "media_api_not_available": "This page cannot use the camera: browsers allow it only over HTTPS or on "
    "localhost. Use Upload a photo above (on a phone it can take a picture).",
    "device_not_available": "No camera found. Connect one and reload, or use Upload a photo above.",
    "device_access_denied": "Camera permission denied. Allow the camera in the browser's address bar and "
    "reload, or use Upload a photo above.",
}


def live_sign(
    predictor: Predictor, settings: SpellingSettings, motion: MotionSettings, text: SpelledText, key: str
) -> LiveSign:
    """The session's LiveSign (live results, writing held letters into `text`), with the current model and settings.

    Made on the first visit to Live (it opens its own hand models), then kept for the session.
    """
    if key not in st.session_state:
        st.session_state[key] = LiveSign(predictor, text, settings, motion=motion)
    live = st.session_state[key]
    live.set_predictor(predictor)
    live.set_settings(settings, motion)
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
        media_stream_constraints={"video": VIDEO_CONSTRAINTS, "audio": False},
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
            "was written for the version pinned in requirements.txt); update the workaround in core/ui/sign_live.py."
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


def live_results(live: LiveSign, text: SpelledText, ctx: WebRtcStreamerContext, key: str) -> None:
    """The live results, redrawn four times a second while the video runs."""
    running = ctx.state.playing or ctx.state.signalling
    if running and f"{key}_since" not in st.session_state:
        st.session_state[f"{key}_since"] = time.monotonic()
        live.forget_frames()  # a new stream: show nothing from the last one
    elif not running:  # the stream ended: the next START is a new stream; the last reading stays on show
        st.session_state.pop(f"{key}_since", None)
    st.fragment(_live_panel, run_every=LIVE_REFRESH_S if running else None)(live, text, running, key)


def _live_panel(live: LiveSign, text: SpelledText, running: bool, key: str) -> None:
    view = live.view()
    if view.error:
        st.error(f"Reading the video failed: {view.error}")
    if running:
        _connection_warning(view, time.monotonic() - st.session_state.get(f"{key}_since", time.monotonic()))
    if view.reading is None:
        st.metric("Letter", "–", help="Press START and allow the camera.")
        st.info("Press **START** and hold a letter up to the camera, inside the box.")
        spelled_text(text, key)
        return
    # One reading everywhere: the metric, its caption and the bars show the same frame's letter as its overlay.
    letter = live_letter(view.reading, view.state)
    if running:
        _live_letter(view, letter)
    else:  # the stream ended: the last reading stays on show (it can be kept and saved), marked as such
        _last_letter(letter)
    two_hands_note(view.reading)
    # Inline, not under /media: every redraw makes Streamlit drop the last redraw's files, often before the browser
    # has fetched them, and it logged an "Image source error" for each (404) and showed a broken image.
    crops(view.frame_bgr, view.reading, inline=True)
    if view.state is not None and view.state.hand:
        probabilities = view.state.probabilities
        top_letters(Prediction(view.letters[: len(probabilities)], probabilities))
    spelled_text(text, key)
    if st.button("Keep this frame to save it", key=f"{key}_keep", icon=":material/photo_camera:"):
        kept = live.keep()
        if kept is not None:
            st.session_state[kept_key(key)] = kept
            st.rerun(scope="app")
        st.session_state[f"{key}_none_kept_at"] = time.monotonic()
    if time.monotonic() - st.session_state.get(f"{key}_none_kept_at", -NOTE_S) < NOTE_S:  # past a few redraws
        st.warning(
            f"No hand in view in the last {KEEP_WITHIN_S:.0f} seconds to keep: hold the letter up to the camera, then "
            "press again."
        )


def top_letters(prediction: Prediction, k: int = 3) -> None:
    """The k most likely letters as progress bars: redrawn four times a second, a Vega chart cost the browser and
    the server so much that the video fell from 17 to 14 frames a second (benchmarks/live_fps.py)."""
    for label, probability in prediction.top(k):
        st.progress(float(probability), text=f"{label} · {percent(probability)}")


def _live_letter(view: LiveView, letter: LiveLetter) -> None:
    """The letter metric while the video plays (the letter held, how sure, the frame rate) and the word so far."""
    if letter.text == NO_HAND:
        note = NO_HAND_HINT
    elif letter.text == MOVING:
        note = "between letters"
    else:
        note = f"{percent(letter.confidence)} confident"
    fps = f" · {signs.fps_text(view.fps)}" if view.fps else ""
    st.metric("Letter", letter.text, note + fps, delta_color="green" if letter.is_letter else "off", delta_arrow="off")
    state = view.state
    if state is not None:
        if not letter.is_letter:
            hold = "hold a letter still to write it"
        elif state.held >= 1:
            hold = f"{letter.text} counts: move on to the next letter"
        else:
            hold = f"holding {letter.text}…"
        st.caption(f"Word so far: **{state.word or '–'}** · {hold}")


def _last_letter(letter: LiveLetter) -> None:
    """The letter metric after STOP: the last reading, marked as stopped, with no frame rate."""
    st.metric("Letter", letter.text, LAST_READING, delta_color="off", delta_arrow="off")
    st.caption("⏹ The video is stopped: this is the last frame it read. Press **START** to read again.")


def _connection_warning(view: LiveView, running_s: float) -> None:
    """Say so when the video never arrives or stops arriving."""
    if view.seen_at_s is None and running_s > NO_VIDEO_AFTER_S:
        st.warning(
            "The camera is on but no video reaches Handlab: the connection may be blocked (a firewall, VPN or "
            f"proxy). {USE_SNAPSHOT}",
            icon="📡",
        )
    elif view.seen_at_s is not None and time.monotonic() - view.seen_at_s > VIDEO_STOPPED_AFTER_S:
        st.warning(f"The video stopped. Press STOP, then START again. {USE_SNAPSHOT}", icon="📡")


def kept_frame(key: str) -> KeptFrame | None:
    """The live frame the user kept to save, if any."""
    return st.session_state.get(kept_key(key))


def kept_key(key: str) -> str:
    """The session-state key of the frame live video `key` kept (the kept frame's preview lets it go there)."""
    return f"{key}_kept"
