"""How fast the Sign page's live video runs: a real server and Chromium whose webcam plays a 640×480 clip.

    .venv/bin/python -m benchmarks.live_fps [--seconds 20] [--fps 30] [--profile [RAW.txt]]

Starts `streamlit run` on a free port (a fresh HANDLAB_HOME), opens the Sign page in headless Chromium with a
Y4M clip as its webcam, presses START and, once video comes back, counts for --seconds: the frames the page's
video element shows per second (requestVideoFrameCallback), the frames the server read per second (the fps in
the Letter metric) and how often the live results were redrawn per second. The clip is an asl_webcam frame with
the face in view when HANDLAB_DATA_DIR has one (else a drawn hand), played at --fps. With --profile, py-spy (if
on PATH) samples the server for the whole window and the figures per part of the frame's path are printed.
Targets (issue 17): ≥ 15 frames per second back in the page, results redrawn ≥ 4 times a second.
"""

import argparse
import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from benchmarks import stand_ins
from core import paths
from tests.helpers.app_server import CHROMIUM_ARGS, free_port, start_server, wait_for_health
from tests.helpers.webcam import write_y4m

FRAME_WH = (640, 480)
TARGET_FPS, TARGET_UPDATES_PER_S = 15.0, 4.0
FAKE_WEBCAM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
WEBRTC_IFRAME = 'iframe[title="streamlit_webrtc.component.webrtc_streamer"]'
# Counts the script runs (the live panel is a fragment that reruns on a timer; each run redraws the results).
COUNT_JS = """() => {
    window.handlabUpdates = 0;
    const app = document.querySelector('[data-testid="stApp"]');
    new MutationObserver(() => {
        if (app.dataset.testScriptState === "running") window.handlabUpdates += 1;
    }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
VIDEO_COUNT_JS = """v => {
    window.handlabFrames = 0;
    const tick = () => { window.handlabFrames += 1; v.requestVideoFrameCallback(tick); };
    v.requestVideoFrameCallback(tick);
}"""
# Where the server's time goes: a sample counts for the first part whose key is in its stack (the order matters).
PARTS = {
    "video decode (aiortc)": ("Decoder.decode",),
    "video encode (aiortc)": ("Encoder.encode",),
    "hand tracker (LiteRT)": ("hand_tracker.py", "palms.py", "hand_rois.py"),
    "letter model (TensorFlow)": ("predictor.py",),
    "overlay": ("signs.py:annotate", "annotate (core/vision/signs.py"),
    "frame to/from NumPy": ("to_ndarray", "from_ndarray", "read_frame"),
    "Keras session clearing (Streamlit)": ("clear_session",),
    "live panel redraws (Streamlit)": ("ScriptRunner",),
    "network (SRTP, sockets)": ("pylibsrtp", "selector_events", "rtcdtlstransport", "rtcicetransport"),
}
# Innermost frames of a thread that waits: not counted as work.
IDLE_FRAMES = (
    "Condition.wait",
    "Event.wait",
    "time.sleep",
    "select (",
    "_worker (concurrent",
    "task (streamlit/watcher",
)
PROFILE_RATE_HZ = 100


def clip_frame() -> tuple[np.ndarray, str]:
    """A 640×480 BGR frame to play as the webcam, and what it is."""
    folder = paths.data_dir() / "asl_webcam"
    photos = sorted(folder.glob("*/L/*.jpg")) if folder.is_dir() else []
    if photos:
        photo = cv2.imread(str(photos[0]))
        return cv2.resize(photo, FRAME_WH, interpolation=cv2.INTER_AREA), f"asl_webcam {photos[0].parent.parent.name}"
    return stand_ins.hand_frame(0, FRAME_WH[1], FRAME_WH[0]), "a drawn hand (no asl_webcam data)"


@contextlib.contextmanager
def server(home: Path, log_path: Path):
    """A fresh `streamlit run` on a free port; yields its URL and process id."""
    port = free_port()
    process = start_server(port, home, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{url}/_stcore/health", process)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


def start_video(page, url: str) -> None:
    """Open the Sign page, press START and wait until video comes back."""
    page.goto(url)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Sign").click()
    page.get_by_role("heading", name="Sign a letter", level=1).wait_for()
    page.wait_for_timeout(3000)  # let the page's first runs finish: START during a rerun can hang the connection
    video = page.frame_locator(WEBRTC_IFRAME)
    video.get_by_role("button", name="START").click()
    player = video.locator("video")
    for _ in range(120):
        if player.count() and player.evaluate("v => v.currentTime") > 1.0:
            return
        time.sleep(0.25)
    raise RuntimeError("no video came back within 30 s of START")


def server_fps(page) -> float:
    """The frame rate the Letter metric shows now (the server's, measured over its last seconds)."""
    words = page.get_by_test_id("stMetric").filter(has_text="Letter").inner_text().split()
    return next((float(w) for w, after in itertools.pairwise(words) if after == "fps"), float("nan"))


def measure(page, seconds: float) -> dict[str, float]:
    """Frames shown, server fps (the mean of one reading a second) and redraws per second over `seconds`."""
    player = page.frame_locator(WEBRTC_IFRAME).locator("video")
    page.evaluate(COUNT_JS)
    player.evaluate(VIDEO_COUNT_JS)
    start, readings = time.monotonic(), []
    while time.monotonic() - start < seconds:
        time.sleep(1.0)
        readings.append(server_fps(page))
    elapsed = time.monotonic() - start
    shown = player.evaluate("() => window.handlabFrames")
    updates = page.evaluate("() => window.handlabUpdates")
    return {"shown_fps": shown / elapsed, "server_fps": float(np.nanmean(readings)), "updates_per_s": updates / elapsed}


def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen | None:
    """Start py-spy sampling the server's threads for `seconds`; None (and a message) without py-spy."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print("py-spy is not on PATH: no breakdown (pip install py-spy)")
        return None
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(round(seconds)), "--rate", str(PROFILE_RATE_HZ)]
    command += ["--format", "raw", "--output", str(out), "--nonblocking", "--threads", "--idle"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_parts(raw_profile: Path, seconds: float) -> Counter:
    """Busy time per part of the frame's path, in cores (1.0: one core all the time), from py-spy's raw samples."""
    parts: Counter = Counter()
    for line in raw_profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if any(idle in stack.rsplit(";", 1)[-1] for idle in IDLE_FRAMES):
            continue
        part = next((name for name, keys in PARTS.items() if any(key in stack for key in keys)), "other")
        parts[part] += int(count) / (PROFILE_RATE_HZ * seconds)
    return parts


def print_figures(figures: dict[str, float], parts: Counter | None) -> None:
    """The measured rates against the targets, and the breakdown."""
    print(f"frames shown in the page: {figures['shown_fps']:.1f} per s (target >= {TARGET_FPS:.0f})")
    print(f"frames read by the server: {figures['server_fps']:.1f} per s")
    print(f"live results redrawn: {figures['updates_per_s']:.1f} per s (target >= {TARGET_UPDATES_PER_S:.0f})")
    if parts:
        total = sum(parts.values())
        print(f"server busy time per part, in cores (all threads: {total:.2f}; a thread waiting for the lock counts):")
        for name, cores in parts.most_common():
            print(f"  {name:36s} {cores:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=int, default=30, help="the fake webcam's frame rate")
    parser.add_argument(
        "--profile", nargs="?", const="", metavar="RAW_TXT", help="sample the server with py-spy (and keep its output)"
    )
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("needs Debian's chromium on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    frame, what = clip_frame()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        clip = write_y4m(frame, Path(tmp) / "clip.y4m", frames=30, fps=args.fps)
        print(f"clip: {what}, 640×480 at {args.fps} fps; load average {os.getloadavg()[0]:.1f}")
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[*CHROMIUM_ARGS, *FAKE_WEBCAM_ARGS, f"--use-file-for-fake-video-capture={clip}"],
        )
        with server(Path(tmp) / "home", Path(tmp) / "server.log") as (url, pid):
            page = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["camera"]).new_page()
            page.set_default_timeout(60_000)
            start_video(page, url)
            time.sleep(3)  # past the first frames' warm-up
            raw_profile = Path(args.profile or Path(tmp) / "profile.txt")
            profiler = start_profile(pid, args.seconds, raw_profile) if args.profile is not None else None
            figures = measure(page, args.seconds)
            parts = profile_parts(raw_profile, args.seconds) if profiler and profiler.wait() == 0 else None
        browser.close()
    print_figures(figures, parts)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
