"""Workers rescue dead runs and reads themselves: at start and on a timer, with no page or
socket open anywhere."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from personas.models import DataFile, TrainingRun
from personas.services.training import MAX_ATTEMPTS
from tests.personas.support import REPO, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


def dead_run(persona, **fields) -> TrainingRun:
    """A run whose worker died ten minutes ago."""
    beat = timezone.now() - timedelta(minutes=10)
    return TrainingRun.objects.create(
        persona=persona, status=TrainingRun.Status.RUNNING, heartbeat_at=beat, started_at=beat,
        **fields,
    )


def wait_for(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_worker_rescues_dead_work_at_start_and_on_its_timer(make_persona, media_root, tmp_path):
    persona = make_persona()
    given_up = dead_run(persona, attempts=MAX_ATTEMPTS)  # failed rather than trained again
    reading = DataFile.objects.create(
        persona=persona, original_name="a.txt", size=1, sha256="0" * 64,
        status=DataFile.Status.PARSING, heartbeat_at=timezone.now() - timedelta(minutes=10),
    )
    env = {**worker_env(media_root, tmp_path), "DIGITAL_YOU_TRAINING_STALE_AFTER": "2"}
    worker = subprocess.Popen([sys.executable, "manage.py", "worker"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: DataFile.objects.get(pk=reading.pk).status == DataFile.Status.FAILED)
        given_up.refresh_from_db()
        assert given_up.status == TrainingRun.Status.FAILED
        assert "stopped responding" in given_up.error

        # A run that dies while the worker is idle is rescued by its timer.
        cancelled = dead_run(persona, cancel_requested=True)
        wait_for(lambda: TrainingRun.objects.get(pk=cancelled.pk).status == "cancelled")
    finally:
        worker.terminate()
        worker.wait(30)
