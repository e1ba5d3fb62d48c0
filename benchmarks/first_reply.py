"""First-reply benchmark: how long the first message on a chat page waits for its first token,
on a web process that has not loaded the model yet, with the page open for --open-s seconds
before the message is sent (issue 14: 7-16 s when the model loaded on the first message).

Self-contained and bounded: it builds a throwaway site in a temporary folder, trains a small
model on samples/whatsapp-sample.txt, starts Daphne as `make run` does and drives Chromium
through Playwright (as tests/e2e does; Debian's chromium, or DIGITAL_YOU_CHROMIUM). Each run
starts a fresh web process, opens the chat page, waits, sends a message and times it in the
page: from the submit to the first reply text on screen. Prints JSON:

    .venv/bin/python benchmarks/first_reply.py --runs 3

first_token_ms: per run, and the median and max; waking_s: seconds from the page's load until
its "Waking up" notice went away (null: never shown, the model was loaded already).
"""

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests import needs  # noqa: E402
from tests.e2e.support import TINY, Site, sign_in, train_sam  # noqa: E402

TARGET_MS = 1500
MESSAGE = "hey, are you around later?"
# The "quick" preset's shapes, two epochs: what a first demo on the sample chat trains.
QUICK_MODEL = {"epochs": 2, "max_minutes": 3, "jit_compile": False, "seed": 0}

# Sends MESSAGE through the page's own form and resolves with the milliseconds until the
# reply's first text is in the page.
TIME_FIRST_TOKEN = """(text) => new Promise((resolve, reject) => {
  window.setTimeout(() => reject(new Error("no reply within 120 s")), 120000);
  const log = document.getElementById("chat-log");
  let sent = 0;
  const observer = new MutationObserver(() => {
    const reply = log.querySelector(".bubble.persona .text");
    if (reply && reply.textContent) {
      observer.disconnect();
      resolve(performance.now() - sent);
    }
  });
  observer.observe(log, {childList: true, subtree: true, characterData: true});
  document.getElementById("chat-input").value = text;
  sent = performance.now();
  document.getElementById("chat-form").requestSubmit();
})"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh web processes, one each")
    parser.add_argument("--open-s", type=float, default=5.0, help="page open before sending")
    parser.add_argument("--tiny", action="store_true", help="the browser tests' tiny model")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="hard limit, all in")
    args = parser.parse_args()
    if not 1 <= args.runs <= 20 or not 0 <= args.open_s <= 60:
        parser.error("--runs must be 1..20 and --open-s 0..60")
    return args


def log(message: str) -> None:
    print(f"[first_reply] {message}", file=sys.stderr, flush=True)


def open_and_send(page: Page, base: str, open_s: float) -> dict:
    """One run on a page of a web process that has not loaded the model."""
    page.goto(base + "/p/sam/chat/")
    opened = time.monotonic()
    waking = page.locator("#waking")
    shown = hidden_after = None
    while (elapsed := time.monotonic() - opened) < open_s:
        if waking.is_visible():
            shown, hidden_after = True, None
        elif shown and hidden_after is None:
            hidden_after = elapsed
        time.sleep(0.05)
    # A person cannot send before the socket is open either (with --open-s 0).
    expect(page.locator("#chat-connection")).to_have_text("Online")
    first_token_ms = page.evaluate(TIME_FIRST_TOKEN, MESSAGE)
    return {
        "first_token_ms": round(first_token_ms, 1),
        "waking_s": round(hidden_after, 2) if hidden_after is not None else None,
        "still_waking_when_sent": bool(shown and hidden_after is None),
    }


def measure(site: Site, chromium: str, args) -> list[dict]:
    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page()
        page.set_default_timeout(60_000)
        sign_in(page, site.base)
        for number in range(args.runs):
            if number:
                site.kill_web()
                site.start_web()
            runs.append(open_and_send(page, site.base, args.open_s))
            log(f"run {number + 1}: {runs[-1]}")
        browser.close()
    return runs


def main() -> None:
    args = parse_args()
    chromium = needs.chromium()
    started = time.monotonic()
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("benchmark exceeded --max-seconds"))
    signal.alarm(int(args.max_seconds))
    with tempfile.TemporaryDirectory(prefix="first-reply-") as tmp:
        site = Site(Path(tmp) / "var", Path(tmp) / "logs")
        try:
            site.start(worker=False)
            log("training the chat model")
            train_sam(site, TINY if args.tiny else QUICK_MODEL)
            # The web process started before the model existed, so it has not loaded it.
            runs = measure(site, chromium, args)
        finally:
            site.stop()
            signal.alarm(0)
    first = [run["first_token_ms"] for run in runs]
    print(json.dumps({
        "model": "tiny" if args.tiny else "quick preset shapes, 2 epochs",
        "open_s": args.open_s,
        "runs": runs,
        "first_token_ms": {"median": statistics.median(first), "max": max(first)},
        "target": {"first_token_ms": TARGET_MS, "met": max(first) <= TARGET_MS},
        "total_s": round(time.monotonic() - started, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
