"""Private parts of Streamlit and streamlit-webrtc that Handlab relies on: fail loudly when an upgrade changes them.

core/ui/routing.py switches off Streamlit's legacy pages/ directory mode (PagesManager.uses_pages_directory);
core/ui/sign_live.py turns off streamlit-webrtc 0.79's check for components "not rendered" in a run, which compares
lagging run counters (WebRtcStreamerContext._last_rendered_run_count), and does that job itself with
_reset_context and generate_frontend_component_key. An assignment to a renamed attribute silently does nothing.
"""

import inspect
import re
from pathlib import Path

import pytest
from streamlit.commands import navigation
from streamlit.runtime.pages_manager import PagesManager
from streamlit_webrtc import WebRtcStreamerContext, component
from streamlit_webrtc.component import WebRtcStreamerState

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def pinned(package: str) -> str:
    """The version requirements.txt pins for a package, for the failure messages."""
    match = re.search(rf"^{re.escape(package)}(\[[^\]]*\])?==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE)
    assert match, f"requirements.txt pins no version of {package}"
    return match.group(2)


def upstream_changed(package: str, what: str) -> str:
    return f"{package} changed {what} (Handlab was written for {package}=={pinned(package)} in requirements.txt)"


@pytest.fixture
def pages_flag():
    """Restore PagesManager.uses_pages_directory (a class attribute: process-wide) after the test."""
    saved = PagesManager.uses_pages_directory
    yield
    PagesManager.uses_pages_directory = saved


def test_pages_manager_has_the_legacy_pages_directory_flag(tmp_path, pages_flag):
    assert hasattr(PagesManager, "uses_pages_directory"), upstream_changed(
        "streamlit", "PagesManager: it has no uses_pages_directory (core/ui/routing.py sets it)"
    )
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    PagesManager.uses_pages_directory = None
    PagesManager(str(tmp_path / "app.py"))
    flag = PagesManager.uses_pages_directory
    assert isinstance(flag, bool), upstream_changed(
        "streamlit", f"PagesManager.uses_pages_directory: a bool no more, but {type(flag).__name__}"
    )
    assert flag, upstream_changed("streamlit", "PagesManager.uses_pages_directory: a pages/ folder does not set it")


def test_navigation_clears_the_legacy_pages_directory_flag():
    source = inspect.getsource(navigation)
    assert "PagesManager.uses_pages_directory = False" in source, upstream_changed(
        "streamlit", "st.navigation: it no longer clears PagesManager.uses_pages_directory (core/ui/routing.py does)"
    )


def fresh_context() -> WebRtcStreamerContext:
    return WebRtcStreamerContext(worker=None, state=WebRtcStreamerState(playing=False, signalling=False))


def test_webrtc_context_keeps_the_run_count_it_was_last_drawn_in():
    context = fresh_context()
    assert "_last_rendered_run_count" in vars(context), upstream_changed(
        "streamlit-webrtc",
        "WebRtcStreamerContext: it no longer sets _last_rendered_run_count (core/ui/sign_live.py clears it)",
    )
    assert context._last_rendered_run_count is None, upstream_changed(
        "streamlit-webrtc", "WebRtcStreamerContext._last_rendered_run_count: it does not start as None"
    )
    check = inspect.getsource(component._get_or_create_context)
    assert "context._last_rendered_run_count is not None" in check, upstream_changed(
        "streamlit-webrtc", "_get_or_create_context: its 'not rendered' check no longer skips a cleared run count"
    )


def test_webrtc_reset_context_forgets_the_stream():
    assert callable(getattr(component, "_reset_context", None)), upstream_changed(
        "streamlit-webrtc", "streamlit_webrtc.component._reset_context: it is gone or not a function"
    )
    context = fresh_context()
    context._set_state(WebRtcStreamerState(playing=True, signalling=True))
    context._sdp_answer_json = "{}"
    component._reset_context(context)
    assert not context.state.playing, upstream_changed("streamlit-webrtc", "_reset_context: the state keeps playing")
    assert context._sdp_answer_json is None, upstream_changed("streamlit-webrtc", "_reset_context: the answer stays")


def test_webrtc_frontend_component_key_is_derived_from_the_key():
    assert callable(getattr(component, "generate_frontend_component_key", None)), upstream_changed(
        "streamlit-webrtc", "streamlit_webrtc.component.generate_frontend_component_key: it is gone"
    )
    frontend_key = component.generate_frontend_component_key("sign_live")
    assert isinstance(frontend_key, str), upstream_changed("streamlit-webrtc", "the frontend key: not a str")
    assert frontend_key != "sign_live", upstream_changed("streamlit-webrtc", "the frontend key: same as the key")
    assert frontend_key == component.generate_frontend_component_key("sign_live"), upstream_changed(
        "streamlit-webrtc", "the frontend key: not the same for the same key"
    )
    streamer = inspect.getsource(component.webrtc_streamer)
    assert "generate_frontend_component_key(key)" in streamer, upstream_changed(
        "streamlit-webrtc", "webrtc_streamer: its component's session-state key is made another way"
    )
