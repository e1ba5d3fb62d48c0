"""A real server and worker on their own database and files, and a headless Chromium page
(Debian's chromium through Playwright; `.ci/run` installs it, a user's run skips without it)."""

import pytest
from playwright.sync_api import sync_playwright

from tests import needs
from tests.e2e.support import ARTIFACTS, Site, shot


@pytest.fixture
def chromium() -> str:
    """Requested before `server`, so a machine without a browser skips before starting one."""
    return needs.chromium()


@pytest.fixture
def site(tmp_path):
    """A Site not started yet (a test may prepare its database first); stopped at the end,
    its logs saved with the screenshots."""
    site = Site(tmp_path / "var", tmp_path / "logs")
    try:
        yield site
    finally:
        site.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for log in site.logs.iterdir():
            (ARTIFACTS / log.name).write_text(log.read_text(errors="replace"))


@pytest.fixture
def server(site):
    """Base URL of a Daphne server with a task worker, on their own database and files."""
    site.start()
    return site.base


@pytest.fixture
def page(chromium, server):
    """A page of a fresh headless browser; a page error or a CSP violation fails the test."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda m: problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None,
        )
        try:
            yield page
        finally:
            shot(page, "last-page")
            browser.close()
        assert problems == []
