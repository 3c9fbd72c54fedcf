"""The Train page in a real Chromium: start a run, queue a second, watch the first learn live, stop the second."""

import re
import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

# Starting a trainer imports TensorFlow in a new process: seconds when idle, far more on a busy machine.
TRAINER_TIMEOUT_MS = 180_000
UI_TIMEOUT_MS = 60_000  # The page's first run imports TensorFlow too.
BATCH_TEXT = re.compile(r"Epoch 1/(\d+) · batch (\d+)/3000")


def set_number(page: Page, label: str, value: int, wait_for_app: Callable[..., None]) -> None:
    """Type into a number field and commit it, then wait for the page to take it."""
    field = page.get_by_role("spinbutton", name=label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    expect(field).to_have_value(str(value), timeout=UI_TIMEOUT_MS)
    wait_for_app(page)


def open_form(page: Page) -> None:
    """Unfold "Start a new run" unless it is open (it opens by itself only on a first visit)."""
    details = page.get_by_test_id("stExpander").filter(has_text="Start a new run").locator("details").first
    # Folding is animated: wait for it to settle before reading whether the form is open.
    page.wait_for_timeout(1000)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    expect(details).to_have_attribute("open", "", timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)


def batch_done(page: Page) -> int:
    """The batch number the live progress bar shows for the run of 1 epoch."""
    text = page.get_by_text(BATCH_TEXT).first.inner_text()
    return int(BATCH_TEXT.search(text).group(2))


def test_run_trains_live_while_the_next_waits_and_stop_keeps_what_it_learned(
    page: Page, app_url: str, wait_for_app: Callable[..., None], screenshot
) -> None:
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Train").click()
    expect(page.get_by_role("heading", name="Train a model")).to_be_visible(timeout=UI_TIMEOUT_MS)
    wait_for_app(page)
    open_form(page)
    # The browser tests' MNIST is a small stand-in with 3000 images: one per batch makes a short epoch.
    set_number(page, "Epochs", 1, wait_for_app)
    set_number(page, "Batch size", 1, wait_for_app)
    screenshot(page, "train-form")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("Training now")).to_be_visible(timeout=UI_TIMEOUT_MS)

    # While the first run starts, queue a second, longer one.
    open_form(page)
    set_number(page, "Epochs", 20, wait_for_app)
    page.get_by_role("button", name="Add to the queue").click()
    # Said under the button, where the user looks; the queue itself is at the top of the page.
    expect(page.get_by_text(re.compile(r"Run \d+ is waiting to train, next in line"))).to_be_in_viewport(
        timeout=UI_TIMEOUT_MS
    )
    expect(page.get_by_text("Waiting to train (1)")).to_be_visible(timeout=UI_TIMEOUT_MS)
    screenshot(page, "train-queue")

    # The first run learns live: the progress bar moves on and the per-batch chart redraws.
    expect(page.get_by_text(re.compile(r"Epoch 1/1 · batch"))).to_be_visible(timeout=TRAINER_TIMEOUT_MS)
    chart = page.get_by_test_id("stVegaLiteChart").first
    first_batch, first_chart = batch_done(page), chart.screenshot()
    deadline = time.monotonic() + 30
    while batch_done(page) == first_batch or chart.screenshot() == first_chart:
        assert time.monotonic() < deadline, "the live progress and chart did not move in 30 s"
        time.sleep(0.5)
    assert page.get_by_test_id("stVegaLiteChart").count() == 4
    screenshot(page, "train-live")

    # It ends with its results; the queued run then starts on its own.
    expect(page.get_by_text(re.compile(r"Run \d+ completed 1 of 1 epoch\b"))).to_be_visible(timeout=TRAINER_TIMEOUT_MS)
    expect(page.get_by_text("Confusion matrix")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Use this model on the Draw page")).to_be_visible(timeout=UI_TIMEOUT_MS)
    screenshot(page, "train-finished", full_page=True)

    expect(page.get_by_text(re.compile(r"Epoch 1/20 · batch"))).to_be_visible(timeout=TRAINER_TIMEOUT_MS)
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_role("button", name="Stopping…")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"Run \d+ stopped \d+% into epoch 1 of 20, as you asked"))).to_be_visible(
        timeout=TRAINER_TIMEOUT_MS
    )
    expect(page.get_by_text("Training now")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    screenshot(page, "train-stopped")
