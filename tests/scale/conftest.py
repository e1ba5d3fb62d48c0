"""Fixtures for the multi-process tests: a persona with data, and real Daphne / worker
processes that share this test's PostgreSQL database, Redis and media folder."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from personas.models import DataFile, Persona
from personas.services import chat
from personas.services.uploads import parse_data_file, store_upload
from tests.scale.servers import database_url_of_test_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "whatsapp-sample.txt"
# A model small enough to train in seconds on two shared cores.
TINY = {
    "epochs": 2, "vocab_size": 200, "embedding_dim": 16, "hidden_size": 32,
    "sampled_softmax": 0, "batch_size": 16, "max_source_len": 24, "max_target_len": 12,
    "jit_compile": False,  # XLA compilation alone takes minutes on a small CPU
}


@pytest.fixture
def scale_media(settings, tmp_path):
    """Media, model cache and (absent) base model shared with the subprocesses."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MODEL_CACHE_DIR = tmp_path / "cache"
    settings.BASE_MODEL_DIR = tmp_path / "no-base-model"
    chat.forget(chat.cached_version_ids())
    yield tmp_path
    chat.forget(chat.cached_version_ids())


@pytest.fixture
def process_env(settings, scale_media):
    """The environment of every subprocess: the same database, Redis, files and secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITAL_YOU_")}
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        REDIS_URL=settings.REDIS_URL,
        MEDIA_ROOT=settings.MEDIA_ROOT,
        DIGITAL_YOU_MODEL_CACHE_DIR=str(settings.MODEL_CACHE_DIR),
        DIGITAL_YOU_BASE_MODEL=str(settings.BASE_MODEL_DIR),
        DIGITAL_YOU_TRAINING_STALE_AFTER=str(settings.TRAINING_STALE_AFTER_S),
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_SETTINGS_MODULE="avatar_site.settings",
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    return env


@pytest.fixture
def persona(transactional_db, scale_media) -> Persona:
    owner = User.objects.create_user("ana", password="correct-horse-battery-42")
    persona = Persona.objects.create(owner=owner, slug="me", name="Ana's self")
    upload = SimpleUploadedFile(SAMPLE.name, SAMPLE.read_bytes())
    data_file = parse_data_file(store_upload(persona, upload))
    assert data_file.status == DataFile.Status.PARSED, data_file.error
    persona.identities = [data_file.summary.get("suggested_identity") or "Sam"]
    persona.save(update_fields=["identities"])
    return persona


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def descendants(pid: int) -> set[int]:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    found = {int(child) for child in children}
    for child in list(found):
        found |= descendants(child)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Subprocesses in their own process groups (RQ forks work horses), logs kept for errors."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = log.name
        self.running.append(process)
        return process

    def daphne(self, env: dict) -> int:
        port = free_port()
        self.start(
            f"daphne-{port}",
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "avatar_site.asgi:application"],
            env,
        )
        return port

    def worker(self, env: dict, *extra: str) -> subprocess.Popen:
        return self.start(
            f"worker-{len(self.running)}",
            [sys.executable, "manage.py", "rqworker", *settings.TASK_QUEUES, *extra], env,
        )

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL to the process and all its descendants, as when its host dies. (An RQ work
        horse runs in a process group of its own, so killing the group is not enough.)"""
        for pid in [process.pid, *descendants(process.pid)]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.log_path}\n{Path(p.log_path).read_text()[-3000:]}" for p in self.running
        )

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(process)



@pytest.fixture
def processes(transactional_db, tmp_path):
    """Stopped before the test database is flushed (this fixture depends on it)."""
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return json.loads(response.read())
    except OSError:
        return None


def wait_for(check, timeout: float, what: str, procs: Processes | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n{procs.logs() if procs else ''}")
