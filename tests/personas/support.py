"""Helpers shared by the backend tests (paths to data, uploads)."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

REPO = Path(__file__).resolve().parents[2]
WHATSAPP_SAMPLE = REPO / "samples" / "whatsapp-sample.txt"


# What a browser sends with a handshake from a page of the site itself.
ORIGIN = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


async def session_headers(client, user) -> list[tuple[bytes, bytes]]:
    """Websocket headers of `user` logged in through the test client."""
    await database_sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return ORIGIN + [(b"cookie", cookie)]


async def open_socket(path: str, headers):
    """Connect; a refused socket is disconnected at once, as a browser's would be, so that
    its consumer ends instead of waiting on the channel layer until the test loop closes."""
    from avatar_site.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    if not connected:
        await communicator.disconnect()
    return communicator, connected, code


async def next_frame(communicator, timeout: float = 5) -> dict:
    """The next frame that is not about the model loading: a chat socket of a persona whose
    model this process has not loaded yet says so first (status frames)."""
    while (frame := await communicator.receive_json_from(timeout=timeout))["type"] == "status":
        pass
    return frame


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


TINY_PAIRS = REPO / "tests" / "fixtures" / "personas" / "tiny-pairs.yml"
# Sam's WhatsApp chat with Mom on 2019-04-16; Sam's replies hold a phone number, an email
# address and a link, which cleaning masks.
CHAT_WITH_MOM = REPO / "tests" / "fixtures" / "personas" / "chat-with-mom.txt"

# Shapes small enough that a training run takes seconds on two CPU cores.
TINY_OVERRIDES = {
    "epochs": 4,
    "batch_size": 8,
    "vocab_size": 300,
    "embedding_dim": 16,
    "hidden_size": 32,
    "num_layers": 1,
    "sampled_softmax": 0,
    "max_source_len": 32,
    "max_target_len": 16,
    "learning_rate": 0.01,
    "warmup_steps": 1,
    "val_fraction": 0.2,
    "early_stopping_patience": 50,
    "jit_compile": False,  # XLA compilation costs more than it saves at this size
    "seed": 0,
}


def worker_env(media_root: Path, tmp_path: Path) -> dict:
    """Environment for a worker subprocess that uses this test's database and media folder."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        auth = f"{db['USER']}{password}@" if db["USER"] else ""
        url = f"postgres://{auth}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media_root),
        "DIGITAL_YOU_BASE_MODEL": str(settings.BASE_MODEL_DIR),
        "DIGITAL_YOU_EVALUATION_MAX_PAIRS": "8",
        "PYTHONUNBUFFERED": "1",
    }


def run_worker_until_idle(env: dict, timeout: float = 240):
    """Run a real task worker process until the queue is empty."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend"):
        args = ["db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0",
                "--queue-name", ",".join(settings.TASK_QUEUES)]
    else:
        args = ["rqworker", *settings.TASK_QUEUES, "--burst",
                "--job-class", "django_tasks_rq.backend.Job"]
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def empty_task_queue() -> None:
    """Drop jobs that other tests left in a shared Redis queue (they are not ours to run)."""
    from django.conf import settings

    if not settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend"):
        import django_rq

        for queue in settings.TASK_QUEUES:
            django_rq.get_queue(queue).empty()


@contextmanager
def enqueued_tasks():
    """Collect the tasks enqueued inside the block, whichever task backend is configured."""
    from django_tasks.signals import task_enqueued

    results = []

    def collect(sender, task_result, **kwargs):
        results.append(task_result)

    task_enqueued.connect(collect)
    try:
        yield results
    finally:
        task_enqueued.disconnect(collect)
