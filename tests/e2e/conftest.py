"""A real server and worker on their own database and files, and a headless Chromium page
(Debian's chromium through Playwright; `.ci/run` installs it, a user's run skips without it)."""

import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import sync_playwright

from tests import needs
from tests.e2e.support import ARTIFACTS, REPO, TINY, free_port, shot, wait_until_up


@pytest.fixture
def chromium() -> str:
    """Requested before `server`, so a machine without a browser skips before starting one."""
    return needs.chromium()


@pytest.fixture
def server(tmp_path):
    """Base URL of a Daphne server with a task worker, on their own database and files."""
    # As `make run` starts it: no DJANGO_DEBUG, plain HTTP.
    unset = ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "DJANGO_DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        DIGITAL_YOU_VAR=str(tmp_path / "var"),
        DJANGO_SECURE_COOKIES="0",
        DJANGO_SETTINGS_MODULE="avatar_site.settings",
        DIGITAL_YOU_TRAIN_OVERRIDES=json.dumps(TINY),
        PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    manage = [sys.executable, str(REPO / "manage.py")]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(manage + command + ["-v0"], env=env, cwd=REPO, check=True, timeout=120)
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = []
    for name, args in (
        ("worker", manage + ["worker"]),
        ("web", [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                 "avatar_site.asgi:application"]),
    ):
        out = (logs / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen(args, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/accounts/login/", processes)
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for log in logs.iterdir():
            (ARTIFACTS / log.name).write_text(log.read_text(errors="replace"))


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
