"""The History page in a real Chromium: three runs, compare two, open one, see its confusion matrix and mistakes."""

from collections.abc import Callable
from pathlib import Path

from helpers.runs import finished_run
from playwright.sync_api import Page, expect

from core.learn.runs import RunStore


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

    picker = page.get_by_label("Open runs: pick two or more to compare them, one to see it in detail")
    for run_id, name in list(zip(ids, names, strict=True))[:2]:
        picker.click()
        page.get_by_role("option", name=f"Run {run_id}: {name}").click()
        page.keyboard.press("Escape")  # the list stays open for more picks
        wait_for_app(page)
    expect(page.get_by_role("heading", name="Compare")).to_be_visible()
    expect(page.get_by_text("Settings that differ")).to_be_visible()
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
