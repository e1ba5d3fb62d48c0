"""The whole journey in a real browser against a real server and worker:
sign up -> create persona -> upload the sample export -> pick identity -> train (tiny) ->
progress reaches done -> chat with streamed frames -> reload shows the conversation.

The browser, server and worker come from conftest.py; screenshots of each page go to
test-artifacts/e2e/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import shot

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "whatsapp-sample.txt"
PASSWORD = "correct-horse-battery-42"


def test_journey(page, server):
    journey(page, server)


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
