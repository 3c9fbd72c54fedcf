"""What the browser tests and benchmarks share: Chromium's flags and finding it, a fresh `streamlit run`, and the pen.

Plain Python (no pytest), so that benchmarks/ can use it as well as tests/browser/conftest.py.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Flags for a quiet headless Chromium that never talks to the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CANVAS = "canvas.upper-canvas"  # the Draw page's canvas that takes the pointer
PHASE_TIMEOUT_S = 120  # for each step; a cold start on a busy machine took 17 s


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_chromium(playwright) -> str | None:
    """A Chromium executable: `chromium` on PATH (Debian's package), else Playwright's own build, else None."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    # `playwright install chromium` (what `make test` runs when it cannot apt-get) puts it here.
    bundled = Path(playwright.chromium.executable_path)
    return str(bundled) if bundled.is_file() else None


def start_server(port: int, home: Path, log_path: Path, data_dir: Path | None = None) -> subprocess.Popen:
    """`streamlit run streamlit_app.py` on this port, serving as `make run` does, with its own HANDLAB_HOME.

    `data_dir`, when given, becomes the server's HANDLAB_DATA_DIR; the server's output goes to `log_path`.
    """
    command = [
        sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = {**os.environ, "HANDLAB_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    if data_dir:
        env["HANDLAB_DATA_DIR"] = str(data_dir)
    with log_path.open("w") as log:
        return subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )


def wait_for_health(url: str, server: subprocess.Popen, timeout_s: float = PHASE_TIMEOUT_S) -> None:
    """Poll Streamlit's health endpoint until it answers; RuntimeError if the server dies or never answers."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"streamlit did not answer {url} within {timeout_s} s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop a server started by start_server: politely, then for good after 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def draw_strokes(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Draw strokes (points in the unit square) on the Draw page's canvas with real mouse strokes."""
    # Fabric.js takes the pointer on an upper canvas above the drawing.
    box = page.locator(CANVAS).bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=3)
        page.mouse.up()
    page.mouse.move(box["x"] + box["width"] + 200, box["y"])  # out of the way, so the toolbar hides
