"""Smoke test in a real browser: every page opens from the sidebar, shows its title and raises nothing."""

import ast
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Sidebar label and page script, in the order the router lists them.
NAV_PAGES = [
    ("Draw", "pages/draw.py"),
    ("Sign", "pages/sign.py"),
    ("Train", "pages/train.py"),
    ("History", "pages/history.py"),
]


def title_in_source(page_path: Path) -> str:
    """The text of the page's `st.title("...")`, read from its source so the test follows renames."""
    for node in ast.walk(ast.parse(page_path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "title"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return node.args[0].value
    raise AssertionError(f'{page_path} has no st.title("...") with a plain string')


def test_sidebar_lists_every_page(app_page: Page) -> None:
    nav_links = app_page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    expect(nav_links).to_contain_text([label for label, _ in NAV_PAGES])


@pytest.mark.parametrize(("label", "script"), NAV_PAGES, ids=[label.lower() for label, _ in NAV_PAGES])
def test_page_opens_from_sidebar_without_error(
    app_page: Page, wait_for_app, screenshot, label: str, script: str
) -> None:
    title = title_in_source(PROJECT_DIR / script)

    app_page.get_by_test_id("stSidebarNavLink").filter(has_text=label).click()

    expect(app_page.get_by_role("heading", name=title, level=1)).to_be_visible()
    wait_for_app(app_page)
    screenshot(app_page, f"page-{label.lower()}")
    # The script run has finished, so every exception it raised is on the page now.
    assert app_page.get_by_test_id("stException").all_inner_texts() == []


def test_deep_link_on_a_fresh_server_runs_through_the_router(
    page: Page, tmp_path: Path, app_data_dir: Path, fresh_server, wait_for_app, screenshot
) -> None:
    """The first visitor of a new server opens /history directly and still gets the app's navigation."""
    with fresh_server(tmp_path / "home", app_data_dir, "streamlit-server-deep-link.log") as base_url:
        page.goto(f"{base_url}/history")
        wait_for_app(page, timeout_ms=90_000)  # a first run on a new server imports TensorFlow
        expect(
            page.get_by_role("heading", name=title_in_source(PROJECT_DIR / "pages/history.py"), level=1)
        ).to_be_visible()
        screenshot(page, "deep-link-history")
        nav_links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
        expect(nav_links).to_have_count(len(NAV_PAGES))  # the legacy layout adds "streamlit app"
        expect(nav_links).to_contain_text([label for label, _ in NAV_PAGES])
        assert page.get_by_test_id("stException").all_inner_texts() == []
