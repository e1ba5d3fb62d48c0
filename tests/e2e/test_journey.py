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
    running_states_seen = same_state_everywhere_while_running(page)
    assert running_states_seen >= 1
    # The panel reloads the page once the run ends: the history then shows the new model.
    page.wait_for_selector(".runs .run-succeeded, .runs .run-failed", timeout=240_000)
    assert page.locator(".runs .run-failed").count() == 0, page.locator(".run-error").inner_text()
    expect(page.locator("#live-run")).to_have_attribute("data-status", "succeeded")
    assert int(page.locator("canvas[data-role=loss-chart]").get_attribute("data-points")) >= 1
    shot(page, "07-training-done")
    perplexity_axis_is_log_with_real_labels(page)

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


# One snapshot of everything on the training page that names the run's state, taken in a
# single script run so no frame can land between its parts.
SNAPSHOT = """() => {
  const panel = document.getElementById("live-run");
  const row = document.querySelector("tr[data-run]");
  return {
    status: panel.dataset.status,
    percent: panel.querySelector("[data-role=bar]").dataset.percent,
    detail: panel.querySelector("[data-role=detail]").textContent,
    badge: document.getElementById("persona-state").textContent.trim(),
    row: row ? row.querySelector("[data-role=run-status]").textContent.trim() : null,
  };
}"""


def same_state_everywhere_while_running(page: Page) -> int:
    """The live panel, the header badge and the run's row agree on every snapshot while the
    run trains (they used to say 100%, "Training 0%" and "Queued" at once)."""
    seen = 0
    while True:
        state = page.evaluate(SNAPSHOT)
        if state["status"] != "running":
            return seen
        seen += 1
        assert state["badge"] == f"Training {round(float(state['percent']))}%", state
        assert state["row"] == "Training", state
        page.wait_for_timeout(150)


def perplexity_axis_is_log_with_real_labels(page: Page) -> None:
    """The validation-perplexity curve of the issue (9,045 falling to 370): a log axis whose
    labels are values on the curve or powers of ten between, never a padded or negative end."""
    assert page.locator("canvas[data-role=ppl-chart]").get_attribute("data-scale") == "log"
    labels = page.evaluate("""() => {
      const canvas = document.createElement("canvas");
      canvas.width = 460; canvas.height = 180;
      document.body.appendChild(canvas);
      const ys = [9045, 2100, 800, 512, 420, 370];
      window.DYChart.draw(canvas, ys.map((y, i) => ({x: (i + 1) * 10, y: y})), {log: true});
      const labels = JSON.parse(canvas.dataset.labels);
      canvas.remove();
      return labels;
    }""")
    assert labels == ["9045", "1000", "370.0"], labels
