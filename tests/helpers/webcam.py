"""Stand-ins for streamlit-webrtc's streamer (it needs a real server): an idle or a playing webcam for AppTest."""

from types import SimpleNamespace


def idle_webcam(**kwargs) -> SimpleNamespace:
    """Stands in for streamlit_webrtc.webrtc_streamer: a stream the user has not started."""
    return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False), _last_rendered_run_count=None)


def playing_webcam(**kwargs) -> SimpleNamespace:
    """Stands in for streamlit_webrtc.webrtc_streamer: a stream that plays (the test feeds frames to the LiveSign)."""
    return SimpleNamespace(state=SimpleNamespace(playing=True, signalling=False), _last_rendered_run_count=None)
