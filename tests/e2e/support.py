"""Helpers of the browser tests: a free port, waiting for a server, screenshots."""

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
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


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


