"""Helpers of the browser tests (and benchmarks/first_reply.py): a server as `make run` starts
it on its own database and files, a trained persona in it, screenshots."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
SAMPLE = REPO / "samples" / "whatsapp-sample.txt"
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


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)




class Site:
    """A web process (Daphne) and optionally a task worker on the database and files of
    var_dir, as `make run` starts them: no DJANGO_DEBUG, plain HTTP. The web process can be
    paused, killed and started again on the same port, as a crashing server would be."""

    def __init__(self, var_dir: Path, logs: Path):
        # The embedded configuration, whatever the caller's shell says.
        unset = ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "DJANGO_DEBUG")
        self.env = {k: v for k, v in os.environ.items() if k not in unset}
        self.env.update(
            DIGITAL_YOU_VAR=str(var_dir),
            DJANGO_SECURE_COOKIES="0",
            DJANGO_SETTINGS_MODULE="avatar_site.settings",
            DIGITAL_YOU_TRAIN_OVERRIDES=json.dumps(TINY),
            PYTHONUNBUFFERED="1",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.base = f"http://127.0.0.1:{free_port()}"
        self.processes: dict[str, subprocess.Popen] = {}

    def manage(self, *args: str) -> str:
        """Runs a management command on this site's database; returns its output."""
        done = subprocess.run(
            [sys.executable, str(REPO / "manage.py"), *args], env=self.env, cwd=REPO,
            check=True, timeout=300, capture_output=True, text=True,
        )
        return done.stdout

    def start(self, worker: bool = True) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        if worker:
            self._spawn("worker", [str(REPO / "manage.py"), "worker"])
        self.start_web()

    def start_web(self) -> None:
        port = self.base.rsplit(":", 1)[1]
        self._spawn("web", ["-m", "daphne", "-b", "127.0.0.1", "-p", port,
                            "avatar_site.asgi:application"])
        wait_until_up(self.base + "/accounts/login/", list(self.processes.values()))

    def _spawn(self, name: str, args: list[str]) -> None:
        # Appended to: a restarted web process keeps the earlier one's log.
        with (self.logs / f"{name}.log").open("a") as out:
            self.processes[name] = subprocess.Popen(
                [sys.executable, *args], env=self.env, cwd=REPO, stdout=out,
                stderr=subprocess.STDOUT,
            )

    def pause_web(self) -> None:
        """The web process stops reading its sockets (what a hung or dying server does)."""
        self.processes["web"].send_signal(signal.SIGSTOP)

    def kill_web(self) -> None:
        web = self.processes.pop("web")
        web.kill()
        web.wait(timeout=15)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGCONT)  # a paused process cannot act on SIGTERM
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


def train_sam(site: Site, overrides: dict) -> str:
    """User sam (password PASSWORD) whose persona Sam has a model trained on the sample chat
    with `overrides`; returns the token of a share link to it."""
    token = site.manage("shell", "-c", (
        "from django.contrib.auth.models import User; from personas.models import Persona; "
        f"user = User.objects.create_user('sam', password='{PASSWORD}'); "
        "persona = Persona.objects.create(owner=user, slug='sam', name='Sam'); "
        "print(persona.share_links.create().token)"
    )).strip().splitlines()[-1]
    site.manage("import_chats", "sam/sam", str(SAMPLE), "--me", "Sam")
    settings = [f"--set={key}={json.dumps(value)}" for key, value in overrides.items()]
    site.manage("train_persona", "sam/sam", "--preset", "quick", *settings)
    return token


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
