"""No errors in the browser on any page, in any mode: console errors, uncaught page errors, failed requests and HTTP
errors are collected while each page is visited and used a little, and any one fails the test with the list.

Allowed, because it is Streamlit's own: on a deep link (say /history) the frontend probes for a base path by asking
/history/_stcore/health and /history/_stcore/host-config, which answer 404, before it finds the app at the root.
Requests the browser cancels itself (net::ERR_ABORTED: the element that asked for them was removed, as the video's
frame is when the Sign page leaves Live before it loaded) are no failure either: they log nothing in the console.
"""

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.drawings import number_strokes
from helpers.hands import SKIN_TONES_BGR, cluttered_background, draw_hand
from helpers.runs import finished_run
from helpers.webcam import LIVE_TIMEOUT_MS, WEBRTC_IFRAME, wait_until_playing, wait_until_settled, write_y4m
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, expect

from core.learn.runs import RunStore

STREAMLIT_BASE_PATH_PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")
# Live video runs this long: the results redraw four times a second, and each redraw used to leave the browser
# asking for crops the server had already dropped.
LIVE_S = float(os.environ.get("HANDLAB_CONSOLE_LIVE_S", 30))


class BrowserProblems:
    """Collects what went wrong in a page: console errors, page errors, failed requests, HTTP errors."""

    def __init__(self, page: Page):
        self.found: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not STREAMLIT_BASE_PATH_PROBE.search(url):
            self.found.append(f"console error: {message.text} ({url})")

    def _request_failed(self, request: Request) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # the browser cancelled it: what asked for it went away (the video's frame after a mode switch)
        self.found.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not STREAMLIT_BASE_PATH_PROBE.search(response.url):
            self.found.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_none(self, where: str) -> None:
        """Fail with everything collected so far."""
        listed = "\n".join(self.found)
        assert not self.found, f"{len(self.found)} problems in the browser on {where}:\n{listed}"


def hand_frame() -> np.ndarray:
    """A 640×480 webcam frame: a room with a drawn hand in it."""
    frame = cluttered_background()
    draw_hand(frame, (320, 260), 1.0, SKIN_TONES_BGR["light"])
    return frame


@pytest.fixture(scope="module")
def webcam_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_y4m(hand_frame(), tmp_path_factory.mktemp("clip") / "room.y4m")


@pytest.fixture
def watched(
    launch_browser: Callable[..., Browser], webcam_clip: Path, app_url: str, wait_for_app, screenshot, request
) -> Iterator[tuple[Page, BrowserProblems]]:
    """The app's first page in a Chromium with the clip as its webcam, and what goes wrong in it from the start."""
    browser = launch_browser(fake_webcam=webcam_clip)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems = BrowserProblems(page)
    page.goto(app_url)
    wait_for_app(page)
    yield page, problems
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(page, f"failed-{request.node.name}")
    context.close()


def open_page(page: Page, label: str, wait_for_app) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text=label).click()
    wait_for_app(page)


def sign_mode(page: Page, mode: str, wait_for_app) -> None:
    open_page(page, "Sign", wait_for_app)
    expect(page.get_by_role("heading", name="Sign a letter", level=1)).to_be_visible()
    page.get_by_text(mode, exact=True).click()
    wait_for_app(page)


def letter_metric(page: Page):
    return page.get_by_test_id("stMetric").filter(has_text="Letter")


def test_draw_page(watched, wait_for_app) -> None:
    page, problems = watched
    canvas = page.locator("canvas.upper-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    for stroke in number_strokes("7"):
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=3)
        page.mouse.up()
    expect(page.get_by_text("What the model sees")).to_be_visible()
    wait_for_app(page)
    problems.assert_none("Draw")


def test_sign_live_started_and_stopped(watched, wait_for_app, screenshot) -> None:
    page, problems = watched
    sign_mode(page, "Live", wait_for_app)
    video = page.frame_locator(WEBRTC_IFRAME)
    wait_until_settled(page)  # START while the page still reruns can hang streamlit-webrtc's connection
    video.get_by_role("button", name="START").click()
    wait_until_playing(video)
    expect(letter_metric(page).get_by_test_id("stMetricDelta")).to_contain_text("fps", timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("stImage").filter(has_text="The crop")).to_be_visible()
    time.sleep(LIVE_S)  # the results redraw four times a second meanwhile
    screenshot(page, "console-sign-live")
    video.get_by_role("button", name="STOP").click()
    expect(video.get_by_role("button", name="START")).to_be_visible()
    expect(page.get_by_text("The video is stopped")).to_be_visible()
    wait_until_settled(page)
    problems.assert_none("Sign, live video started and stopped")


def test_sign_snapshot(watched, wait_for_app) -> None:
    page, problems = watched
    sign_mode(page, "Snapshot", wait_for_app)
    take_photo = page.get_by_role("button", name="Take Photo")
    expect(take_photo).to_be_enabled(timeout=30_000)
    time.sleep(1)  # let the fake camera deliver a few frames
    take_photo.click()
    expect(letter_metric(page)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stCameraInput").locator("img")).to_be_visible()  # the photo taken, shown once
    wait_for_app(page)
    problems.assert_none("Sign, snapshot")


def test_sign_upload(watched, wait_for_app, tmp_path: Path) -> None:
    page, problems = watched
    sign_mode(page, "Upload a photo", wait_for_app)
    photo = tmp_path / "hand.png"
    cv2.imwrite(str(photo), hand_frame())
    page.locator('input[type="file"]').set_input_files(photo)
    expect(page.get_by_test_id("stImage").filter(has_text="Your photo")).to_be_visible()
    wait_for_app(page)
    problems.assert_none("Sign, upload")


def test_train_page(watched, wait_for_app) -> None:
    page, problems = watched
    open_page(page, "Train", wait_for_app)
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible()
    form = page.get_by_test_id("stExpander").filter(has_text="Start a new run").locator("summary").first
    form.click()
    wait_for_app(page)
    problems.assert_none("Train")


def test_history_page_with_a_run_from_a_deep_link(watched, wait_for_app, app_home: Path, app_url: str) -> None:
    page, problems = watched
    run_id = finished_run(RunStore(app_home / "runs.db"), app_home, "console check", 0.01)
    page.goto(f"{app_url}/history")  # Streamlit probes /history/_stcore/… first: allowed, see the module docstring
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Run history")).to_be_visible()
    # The newest finished run is open on a first visit: its detail, confusion matrix included, is drawn.
    expect(page.get_by_role("heading", name=f"Run {run_id}: console check")).to_be_visible()
    expect(page.get_by_text("Confusion matrix (rows: true class)")).to_be_visible()
    problems.assert_none("History")
