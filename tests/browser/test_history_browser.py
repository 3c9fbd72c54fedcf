"""The History page in a real Chromium: three runs, compare two, open one, see its confusion matrix and mistakes."""

from collections.abc import Callable
from pathlib import Path

from helpers.runs import finished_run
from playwright.sync_api import Page, expect

from core.learn.runs import RunStore

ROW_HEIGHT_PX = 35  # Streamlit's dataframe rows, and its header row, are this tall by default


def click_row(page: Page, row: int) -> None:
    """Click the checkbox at the left end of a row of the runs table (row 0 is the first under the header)."""
    table = page.get_by_test_id("stDataFrame").first
    box = table.bounding_box()
    assert box is not None
    y = box["y"] + ROW_HEIGHT_PX * (row + 1) + ROW_HEIGHT_PX / 2
    page.mouse.move(box["x"] + 18, y)  # the checkbox shows on hover
    page.mouse.click(box["x"] + 18, y)


def test_compare_two_runs_then_open_one(
    app_home: Path, page: Page, app_url: str, wait_for_app: Callable[..., None], screenshot
) -> None:
    store = RunStore(app_home / "runs.db")
    names = [f"history lr {rate}" for rate in (0.001, 0.01, 0.1)]
    ids = [finished_run(store, app_home, name, rate) for name, rate in zip(names, (0.001, 0.01, 0.1), strict=True)]
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="History").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Run history")).to_be_visible()
    # The newest finished run is open on the first visit; its row is the table's first.
    expect(page.get_by_role("heading", name=f"Run {ids[2]}: {names[2]}")).to_be_visible()
    expect(page.get_by_role("heading", name="Compare")).to_have_count(0)

    click_row(page, 1)  # newest first: row 1 is the second run
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Compare")).to_be_visible()
    expect(page.get_by_text("Settings that differ")).to_be_visible()
    screenshot(page, "history-compare-picked")
    click_row(page, 0)  # close the newest again: the second run alone, in detail
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Compare")).to_have_count(0)
    click_row(page, 2)  # and open the oldest with it
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Compare")).to_be_visible()
    page.get_by_text("Settings that differ").scroll_into_view_if_needed()
    expect(page.get_by_text(f"Run {ids[0]}: {names[0]}").last).to_be_visible()

    detail = page.get_by_role("heading", name=f"Run {ids[0]}: {names[0]}")
    detail.scroll_into_view_if_needed()
    expect(page.get_by_text("Confusion matrix (rows: true class)")).to_be_visible()
    expect(page.get_by_text("0 → 1 (80%)")).to_be_visible()  # the most confident mistake
    expect(page.get_by_role("button", name="Download model (.keras)")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "history-compare")
    page.get_by_text("0 → 1 (80%)").scroll_into_view_if_needed()
    screenshot(page, "history-run")
