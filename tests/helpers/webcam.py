"""A stand-in for streamlit-webrtc's streamer, which needs a real server: AppTest pages get an idle webcam."""

from types import SimpleNamespace


def idle_webcam(**kwargs) -> SimpleNamespace:
    """Stands in for streamlit_webrtc.webrtc_streamer: a stream the user has not started."""
    return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False))
