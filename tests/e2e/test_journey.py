"""The whole journey in a real browser against a real server and worker:
sign up -> create persona -> upload the sample export -> pick identity -> train (tiny) ->
progress reaches done -> chat with streamed frames -> reload shows the conversation.

Runs Debian's chromium (/usr/bin/chromium; `.ci/run` installs it) headless through
Playwright, a Daphne server and a `db_worker` on a temporary database and media folder.
Screenshots of each page go to test-artifacts/e2e/."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "whatsapp-sample.txt"
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-42"
# The documented knob that shrinks every run started from the web (see settings.TRAIN_OVERRIDES).
TINY = {
    "epochs": 2, "vocab_size": 200, "embedding_dim": 16, "hidden_size": 32, "batch_size": 16,
    "max_source_len": 24, "max_target_len": 12, "sampled_softmax": 0, "jit_compile": False,
    "max_minutes": 2, "seed": 0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def server(tmp_path):
    """Base URL of a Daphne server with a task worker, on their own database and files."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT")
    }
    env.update(
        DIGITAL_YOU_VAR=str(tmp_path / "var"),
        DJANGO_DEBUG="0",
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
        ("worker", manage + ["db_worker", "--queue-name", "default"]),
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


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_journey(server):
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
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
            journey(page, server)
        finally:
            shot(page, "last-page")
            browser.close()
        assert problems == []


def journey(page: Page, base: str) -> None:
    # Sign up, land on the empty dashboard, create a persona.
    page.goto(base + "/accounts/signup/")
    shot(page, "01-signup")
    page.fill("#id_username", "sam")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_text("Create your digital self")).to_be_visible()
    shot(page, "02-dashboard-empty")
    page.fill("#id_name", "Sam")
    page.click(".create-card button[type=submit]")
    page.wait_for_url(re.compile(r"/p/sam/$"))
    expect(page.get_by_text("No files yet")).to_be_visible()
    shot(page, "03-persona-empty")

    # Upload the sample through the file picker; the worker reads it, the page updates.
    page.set_input_files("#upload-input", str(SAMPLE))
    expect(page.locator(".file-card[data-status=parsed]")).to_be_visible(timeout=60_000)
    expect(page.locator(".file-card")).to_contain_text("323")
    shot(page, "04-persona-file-read")

    # Pick the identity (Sam is suggested and pre-selected) and save.
    sam = page.locator("input[name=identities][value=Sam]")
    expect(sam).to_be_checked()
    expect(page.locator("input[name=identities][value=Alex]")).not_to_be_checked()
    page.click(".identity-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Saved")
    expect(page.locator(".pair").first).to_be_visible()
    shot(page, "05-identity-and-examples")

    # Train with the tiny configuration and follow the live progress until done.
    page.click("#train-button")
    live = page.locator("#live-run")
    expect(live).to_be_visible()
    page.wait_for_selector("#live-run:not([data-status=queued])", timeout=120_000)
    shot(page, "06-training-live")
    # The panel reloads the page once the run ends: the history then shows the new model.
    page.wait_for_selector(".runs .run-succeeded, .runs .run-failed", timeout=240_000)
    assert page.locator(".runs .run-failed").count() == 0, page.locator(".run-error").inner_text()
    expect(page.locator("#live-run")).to_have_attribute("data-status", "succeeded")
    assert int(page.locator("canvas[data-role=loss-chart]").get_attribute("data-points")) >= 1
    shot(page, "07-training-done")

    # Chat: the message shows at once, the reply streams in several frames.
    page.click("text=Chat with Sam")
    page.wait_for_url(re.compile(r"/p/sam/chat/$"))
    expect(page.locator("#chat-connection")).to_have_text("Online")
    shot(page, "08-chat-empty")
    page.locator(".chat-settings summary").click()
    page.select_option("#chat-strategy", "sample")
    page.fill("#chat-input", "are you coming to the climbing gym later?")
    page.keyboard.press("Enter")
    expect(page.locator(".bubble.user")).to_have_count(1)
    reply = page.locator(".bubble.persona").first
    expect(reply).to_have_attribute("data-message-id", re.compile(r"\d+"), timeout=120_000)
    frames = int(reply.get_attribute("data-frames") or 0)
    assert frames >= 2, f"the reply came in {frames} frame(s)"
    reply_text = reply.locator(".text").inner_text()
    assert reply_text.strip()
    assert re.search(r"\?c=\d+$", page.url)
    shot(page, "09-chat-reply")

    # Reload: the conversation is saved and listed.
    page.reload()
    expect(page.locator(".bubble.user")).to_contain_text("climbing gym")
    expect(page.locator(".bubble.persona .text")).to_have_text(reply_text)
    expect(page.locator(".conversation-list li.current")).to_have_count(1)
    shot(page, "10-chat-after-reload")

    page.goto(base + "/")
    expect(page.locator(".persona-card")).to_contain_text("Ready")
    shot(page, "11-dashboard-ready")
