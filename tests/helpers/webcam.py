"""Webcams for tests: stand-ins for streamlit-webrtc's streamer in AppTest (it needs a real server), a Y4M clip
Chromium plays as its webcam, and waits for streamlit-webrtc's live video in a real browser."""

import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

CLIP_FRAMES = 15
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
LIVE_TIMEOUT_MS = 30_000  # START to the first letter: connection setup takes 2–4 s, the first frames a few more.


def idle_webcam(**kwargs) -> SimpleNamespace:
    """Stands in for streamlit_webrtc.webrtc_streamer: a stream the user has not started."""
    return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False), _last_rendered_run_count=None)


def playing_webcam(**kwargs) -> SimpleNamespace:
    """Stands in for streamlit_webrtc.webrtc_streamer: a stream that plays (the test feeds frames to the LiveSign)."""
    return SimpleNamespace(state=SimpleNamespace(playing=True, signalling=False), _last_rendered_run_count=None)


def write_y4m(frame_bgr: np.ndarray, path: Path, frames: int = CLIP_FRAMES, fps: int = 15) -> Path:
    """A Y4M clip (C420) Chromium can play (and loop) as a webcam: the frame with a little sensor noise."""
    return write_y4m_frames([frame_bgr] * frames, path, fps)


def write_y4m_frames(frames: list[np.ndarray], path: Path, fps: int = 15) -> Path:
    """A Y4M clip (C420) of these frames, each with a little sensor noise."""
    rng = np.random.default_rng(0)
    height, width = frames[0].shape[:2]
    with path.open("wb") as clip:
        clip.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for frame in frames:
            noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
            clip.write(b"FRAME\n" + cv2.cvtColor(noisy, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


# No script run for this long means the app has settled: while the video plays the results redraw every 0.25 s.
SETTLED_MS = 2_000
# Notes when the app last ran a script (a full run or a fragment), and answers whether it has been idle since.
SETTLED_JS = """settledMs => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    const idle = app.dataset.testConnectionState === "CONNECTED" && app.dataset.testScriptState === "notRunning";
    if (window.handlabObserved !== app) {
        window.handlabObserved = app;
        window.handlabLastRunAt = performance.now();
        const watched = ["data-test-script-state", "data-test-connection-state"];
        new MutationObserver(() => { window.handlabLastRunAt = performance.now(); })
            .observe(app, {attributes: true, attributeFilter: watched});
    }
    if (!idle) window.handlabLastRunAt = performance.now();
    return idle && performance.now() - window.handlabLastRunAt >= settledMs;
}"""


def wait_until_playing(video, timeout_s: float = LIVE_TIMEOUT_MS / 1000) -> float:
    """Wait until the player shows video coming back from the server; the seconds it took."""
    start = time.monotonic()
    player = video.locator("video")
    while time.monotonic() - start < timeout_s:
        if player.count() and player.evaluate("v => v.currentTime") > 0.5:
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"no video came back within {timeout_s:.0f} s of START")


def wait_until_settled(page) -> float:
    """Wait until no script has run for SETTLED_MS (the reruns after STOP are over); the seconds it took.

    streamlit-webrtc 0.79 can hang in "Connection is taking longer than expected" when START comes while the
    page still reruns. Waiting for one finished run is not enough: right after a click the rerun it causes may
    not have started yet, and after STOP the component reruns the page once more.
    """
    start = time.monotonic()
    page.wait_for_function(SETTLED_JS, arg=SETTLED_MS, polling=100)
    return time.monotonic() - start
