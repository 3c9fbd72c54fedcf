"""Browser-test fixtures: a real `streamlit run` on a free port, and Chromium driven by Playwright.

Every test under tests/browser/ is marked `browser`. Without a Chromium the tests skip on a developer's
machine and fail in CI (CI=true), so a broken CI image cannot pass by skipping them.

Fixtures, from high level to low:
    app_page        a Playwright page on the running app, after its first script run
    page            a fresh page (own context, 1280×800) in the shared browser; screenshot on failure
    app_url         base URL of `streamlit run streamlit_app.py` (one server per session)
    app_home        the server's HANDLAB_HOME (a tmp dir): tests may put runs or samples there
    app_data_dir    the server's HANDLAB_DATA_DIR: a small learnable mnist.npz beside the real datasets
    fresh_server    with fresh_server(home, data_dir, log_name) as url: a new server, for first-visit tests
    browser         the shared headless Chromium
    launch_browser  factory for a Chromium with more flags, or with a Y4M clip as its webcam:
                    launch_browser(fake_webcam=clip_y4m) then browser.new_context(permissions=["camera"])
    screenshot      save_screenshot(page, name) -> test-artifacts/<name>.png
    wait_for_app    wait_for_app(page): block until the current script run has finished
"""

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from core.learn import catalog
from core.learn.runs import RunStore
from tests.helpers import app_server
from tests.helpers.app_server import CHROMIUM_ARGS, find_chromium, free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
BROWSER_TESTS_DIR = Path(__file__).resolve().parent
ARTIFACTS_DIR = PROJECT_DIR / "test-artifacts"

# With "--use-file-for-fake-video-capture=<clip.y4m>" Chromium plays (and loops) a video file as the webcam.
FAKE_WEBCAM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT_S = 60
# The first run of a page imports TensorFlow and loads models: allow it far more than Playwright's 5 s.
APP_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in tests/browser/ as `browser` (this hook sees the whole session's items)."""
    for item in items:
        if BROWSER_TESTS_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item, so the `page` fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def in_ci() -> bool:
    """True when running under CI (the CI variable set to anything but empty/0/false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def wait_for_health(url: str, server: subprocess.Popen, log_path: Path, timeout_s: float) -> None:
    """Poll Streamlit's health endpoint until it answers "ok"; fail with the server log otherwise."""
    try:
        app_server.wait_for_health(url, server, timeout_s)
    except RuntimeError as error:
        pytest.fail(f"{error}:\n{log_tail(log_path)}")


def log_tail(log_path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for failure messages."""
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_for_script_run(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script run has finished."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]',
        state="attached",
        timeout=timeout_ms,
    )


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API, started once per session."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium_executable(playwright: Playwright) -> str:
    """Path of the Chromium to drive: skip without one locally, fail without one in CI."""
    found = find_chromium(playwright)
    if found:
        return found
    hint = "Install one: `make test` does (apt-get as root, else `playwright install chromium`)."
    if in_ci():
        pytest.fail(f"No Chromium found, and CI must run the browser tests. {hint}")
    pytest.skip(f"No Chromium found (`chromium` is not on PATH). {hint}")


def _launch(playwright: Playwright, executable: str, extra_args: list[str] | None) -> Browser:
    return playwright.chromium.launch(
        executable_path=executable,
        headless=True,
        args=CHROMIUM_ARGS + list(extra_args or []),
    )


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_executable: str) -> Iterator[Browser]:
    """One headless Chromium with the default flags, shared by the session."""
    browser = _launch(playwright, chromium_executable, None)
    yield browser
    browser.close()


@pytest.fixture
def launch_browser(playwright: Playwright, chromium_executable: str) -> Iterator[Callable[..., Browser]]:
    """Factory for a Chromium with more flags, closed after the test.

    launch_browser(extra_args=[...]) adds Chromium flags; launch_browser(fake_webcam=path) makes the Y4M
    clip at `path` the webcam (give the context `permissions=["camera"]` too).
    """
    launched: list[Browser] = []

    def launch(extra_args: list[str] | None = None, *, fake_webcam: Path | None = None) -> Browser:
        args = list(extra_args or [])
        if fake_webcam is not None:
            args += [*FAKE_WEBCAM_ARGS, f"--use-file-for-fake-video-capture={Path(fake_webcam).resolve()}"]
        launched.append(_launch(playwright, chromium_executable, args))
        return launched[-1]

    yield launch
    for browser in launched:
        browser.close()


@pytest.fixture(scope="session")
def app_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HANDLAB_HOME of the app under test: a fresh tmp dir for the session."""
    return tmp_path_factory.mktemp("handlab-home")


@pytest.fixture(scope="session")
def offer_model(app_home: Path) -> Callable[[str, Path, dict, float], Path]:
    """Make the app offer a model for a task: the shipped one as is, any other as a finished run in the store."""

    def offer(task: str, model_path: Path, spec: dict, accuracy: float) -> Path:
        if model_path != catalog.shipped_model(task):
            store = RunStore(app_home / "runs.db")
            run_id = store.create_run(spec, f"test {task} model", status="completed")
            store.update_run(run_id, model_path=str(model_path), test_accuracy=accuracy)
        return model_path

    return offer


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a small, learnable mnist.npz and links to the other datasets of HANDLAB_DATA_DIR."""
    # Small, so that training from the Train page takes seconds, and works offline.
    import numpy as np

    from core import paths

    folder = tmp_path_factory.mktemp("handlab-data")
    real = paths.data_dir()
    for entry in real.iterdir() if real.is_dir() else []:
        if entry.name != "mnist.npz":
            (folder / entry.name).symlink_to(entry)
    rng = np.random.default_rng(0)
    splits = {}
    for split, count in (("train", 3000), ("test", 300)):
        labels = rng.integers(0, 10, count)
        images = rng.integers(0, 60, (count, 28, 28), dtype=np.uint8)
        for row in range(3):  # Digit k is a bright bar across rows 2k+4 to 2k+6: easy to learn, not instant.
            images[np.arange(count), 2 * labels + 4 + row] = 200
        splits |= {f"x_{split}": images, f"y_{split}": labels.astype(np.uint8)}
    np.savez_compressed(folder / "mnist.npz", **splits)
    return folder


@pytest.fixture(scope="session")
def app_url(app_home: Path, app_data_dir: Path, chromium_executable: str) -> Iterator[str]:
    """Base URL of the app served by `streamlit run` on a free port, with HANDLAB_HOME in a tmp dir.

    Depends on `chromium_executable` so that no server starts when the browser tests are skipped.
    """
    with serve_app(app_home, app_data_dir, "streamlit-server.log") as base_url:
        yield base_url


@pytest.fixture
def fresh_server(chromium_executable: str) -> Callable[..., contextlib.AbstractContextManager[str]]:
    """fresh_server(home, data_dir, log_name): a context manager serving a new app server of the test's own."""
    return serve_app


@contextlib.contextmanager
def serve_app(home: Path, data_dir: Path, log_name: str) -> Iterator[str]:
    """Run `streamlit run streamlit_app.py` on a free port until the block ends; yields its base URL."""
    port = free_port()
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    log_path = ARTIFACTS_DIR / log_name
    server = app_server.start_server(port, home, log_path, data_dir)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_health(f"{base_url}/_stcore/health", server, log_path, SERVER_START_TIMEOUT_S)
        yield base_url
    finally:
        app_server.stop_server(server)


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """save_screenshot(page, name): a PNG of the viewport in test-artifacts/<name>.png (git-ignored)."""

    def save(page: Page, name: str, *, full_page: bool = False) -> Path:
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        path = ARTIFACTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, screenshot) -> Iterator[Page]:
    """A fresh 1280×800 page in its own browser context; a failing test leaves a screenshot behind."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(APP_TIMEOUT_MS)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
        screenshot(page, f"failed-{safe_name}")
    context.close()


@pytest.fixture
def app_page(page: Page, app_url: str) -> Page:
    """The app's default page (Draw), opened and finished with its first script run."""
    page.goto(app_url)
    wait_for_script_run(page)
    return page


@pytest.fixture
def wait_for_app() -> Callable[..., None]:
    """wait_for_app(page, timeout_ms=...): wait until the app is connected and its script run finished."""
    return wait_for_script_run
