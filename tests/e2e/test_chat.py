"""What the chat page shows when things are slow or break, in a real browser against a real
server: the first page loads without a failed request, the model wakes up as the chat opens
(and the page says so), and a message whose server died mid-reply is marked and resent."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import TINY, shot, sign_in, train_sam

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_the_first_page_logs_no_failed_request(page: Page, server):
    errors, icons = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: icons.append(r.status) if "favicon" in r.url else None)
    page.goto(server + "/")
    page.wait_for_load_state("networkidle")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert errors == []
    assert icons and all(status == 200 for status in icons)  # the browser asked for the icon


def test_the_model_wakes_up_as_a_share_visitor_opens_the_chat(page: Page, site, server):
    token = train_sam(site, TINY)
    page.goto(f"{server}/s/{token}/")
    waking = page.locator("#waking")
    expect(waking).to_be_visible()
    expect(waking).to_have_text("Waking up Sam (the first reply takes a few seconds)…")
    shot(page, "chat-waking")
    expect(waking).to_be_hidden(timeout=60_000)
    expect(page.locator("#chat-connection")).to_have_text("Online")
    page.fill("#chat-input", "hey, are you around later?")
    page.keyboard.press("Enter")
    reply = page.locator(".bubble.persona")
    expect(reply).to_have_attribute("data-message-id", re.compile(r"\d+"))
    expect(waking).to_be_hidden()  # the reply found the model loaded


def test_a_message_whose_server_died_is_marked_and_resent(page: Page, site, server):
    train_sam(site, TINY)
    sign_in(page, server)
    page.goto(server + "/p/sam/chat/")
    expect(page.locator("#chat-connection")).to_have_text("Online")
    expect(page.locator("#waking")).to_be_hidden(timeout=60_000)

    # The server stops reading, then dies, while the message waits for its reply.
    site.pause_web()
    page.fill("#chat-input", "did you book the tickets?")
    page.keyboard.press("Enter")
    expect(page.locator("#typing")).to_be_visible()
    site.kill_web()
    expect(page.locator("#chat-error")).to_contain_text("reconnecting")

    # Back up: the badge and the page agree, and the message says it was not answered.
    site.start_web()
    expect(page.locator("#chat-connection")).to_have_text("Online", timeout=60_000)
    expect(page.locator("#chat-error")).to_be_hidden()
    unanswered = page.locator(".bubble.user.unanswered")
    expect(unanswered).to_have_count(1)
    expect(unanswered).to_contain_text("did you book the tickets?")
    shot(page, "chat-unanswered")
    unanswered.get_by_role("button", name="Resend").click()
    expect(page.locator(".bubble.persona")).to_have_attribute(
        "data-message-id", re.compile(r"\d+"), timeout=60_000
    )
    expect(page.locator(".unanswered")).to_have_count(0)

    # Saved once: the reload shows one question and its answer, nothing marked.
    page.reload()
    expect(page.locator(".bubble.user")).to_have_count(1)
    expect(page.locator(".bubble.persona")).to_have_count(1)
    expect(page.locator(".unanswered")).to_have_count(0)
