"""A file over the upload limit (server.maxUploadSize, 20 MB) gets Streamlit's own message, and the page goes on."""

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect


def test_file_over_the_upload_limit_is_refused_by_streamlit(
    page: Page, app_url: str, app_home: Path, wait_for_app: Callable[..., None], screenshot, tmp_path: Path
) -> None:
    big = tmp_path / "scan.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(21 * 1024 * 1024))  # 21 MB
    saved_before = sorted((app_home / "samples").rglob("*"))  # other tests share the app (the Sign page saves)
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_text("Upload a photo").click()
    wait_for_app(page)
    page.get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(big)

    expect(page.get_by_text("File must be 20.0MB or smaller.")).to_be_visible()
    wait_for_app(page)
    screenshot(page, "upload-too-large")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Upload a photo or scan of a handwritten digit")).to_be_visible()  # the page's hint
    assert sorted((app_home / "samples").rglob("*")) == saved_before  # nothing saved
