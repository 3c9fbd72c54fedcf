"""Cold start of the Draw page: seconds from starting a fresh server to a usable canvas, and to the first reading.

    .venv/bin/python -m benchmarks.cold_start [--repeats 3] [--digit 7] [--shots folder]

Each repeat starts `streamlit run streamlit_app.py` on a free port with a fresh HANDLAB_HOME (so no cache of
an earlier run helps), opens the Draw page in headless Chromium (started before the server, so its own start
is not counted), and records, from the moment the server process starts:

    server up       its health endpoint answers
    title           the page's title is shown (Streamlit's frontend is loaded and the script has started)
    canvas          the drawing canvas is on the page and takes the pointer
    first reading   a digit drawn with the mouse as soon as the canvas is there has been read (the metric shows)

Needs Playwright (requirements-dev.txt) and a Chromium: `chromium` on PATH (Debian's package) or Playwright's own.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.helpers.app_server import (
    CANVAS,
    CHROMIUM_ARGS,
    PHASE_TIMEOUT_S,
    draw_strokes,
    find_chromium,
    free_port,
    start_server,
    stop_server,
    wait_for_health,
)
from tests.helpers.drawings import number_strokes


def one_cold_start(browser, digit: str, log_path: Path, shots: Path | None = None) -> dict[str, float | str]:
    """Start a fresh server, open the Draw page, draw at once; the seconds each step took from the start.

    With `shots`, a screenshot of the page as the canvas appears and as the first reading appears lands there.
    """
    with tempfile.TemporaryDirectory(prefix="handlab-cold-") as home:
        port = free_port()
        start = time.monotonic()
        server = start_server(port, Path(home), log_path)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_health(f"{url}/_stcore/health", server)
            figures: dict[str, float | str] = {"server up": time.monotonic() - start}
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(PHASE_TIMEOUT_S * 1000)
            page.goto(url)
            page.get_by_text("Draw a digit", exact=True).wait_for(state="visible")
            figures["title"] = time.monotonic() - start
            page.locator(CANVAS).wait_for(state="visible")
            figures["canvas"] = time.monotonic() - start
            draw_strokes(page, number_strokes(digit))
            if shots:
                page.screenshot(path=str(shots / "cold-start-canvas.png"))
            page.get_by_test_id("stMetricValue").wait_for(state="visible")
            figures["first reading"] = time.monotonic() - start
            if shots:
                page.screenshot(path=str(shots / "cold-start-reading.png"))
            figures["read"] = page.get_by_test_id("stMetricValue").inner_text()
            context.close()
            return figures
        finally:
            stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="fresh servers to start, one after another")
    parser.add_argument("--digit", default="7", help="the digit to draw")
    parser.add_argument("--shots", type=Path, help="save screenshots of the first repeat in this folder")
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("SKIPPED: this benchmark needs Playwright (pip install -r requirements-dev.txt). Nothing was measured.")
        return 0  # `make bench` runs with the runtime requirements only: say so, and let the other benchmarks run
    log_path = Path(tempfile.gettempdir()) / "handlab-cold-start.log"
    rows = []
    with sync_playwright() as playwright:
        chromium = find_chromium(playwright)
        if chromium is None:
            print(
                "SKIPPED: no Chromium found. Install Debian's `chromium` (apt-get install chromium) or run "
                "`playwright install chromium` (`make chromium` does either). Nothing was measured."
            )
            return 0
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        print(f"Draw page cold start, {args.repeats} fresh servers, {os.cpu_count()} CPUs; seconds since the start")
        print(f"{'repeat':>6} {'server up':>10} {'title':>6} {'canvas':>8} {'first reading':>14}  read")
        for repeat in range(1, args.repeats + 1):
            try:
                figures = one_cold_start(browser, args.digit, log_path, args.shots if repeat == 1 else None)
            except Exception as error:  # a failed start is a result too; the log says why
                print(f"{repeat:>6} failed: {str(error).splitlines()[0]} (server log: {log_path})")
                continue
            rows.append(figures)
            print(
                f"{repeat:>6} {figures['server up']:10.1f} {figures['title']:6.1f} {figures['canvas']:8.1f} "
                f"{figures['first reading']:14.1f}  {figures['read']}"
            )
        browser.close()
    if rows:
        medians = {name: float(np.median([row[name] for row in rows])) for name in ("canvas", "first reading")}
        print(f"median: canvas {medians['canvas']:.1f} s, first reading {medians['first reading']:.1f} s")
    return 0 if len(rows) == args.repeats else 1


if __name__ == "__main__":
    sys.exit(main())
