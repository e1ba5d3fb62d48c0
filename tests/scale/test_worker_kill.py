"""A worker killed mid-training (kill -9 of its whole process group, as when a host dies):
the run is detected as stale, re-queued, and another worker resumes it from its checkpoint."""

import time
from itertools import pairwise
from pathlib import Path

import django_rq
import pytest

from personas.models import TrainingRun
from personas.services.training import mark_stale_runs, start_training
from tests.scale.conftest import TINY, wait_for
from tests.scale.servers import needs_suite_on_servers

pytestmark = [needs_suite_on_servers, pytest.mark.timeout(600)]

STALE_AFTER_S = 4
# Long enough to be killed in the middle; a checkpoint every few steps.
LONG_TINY = TINY | {
    "epochs": 60, "checkpoint_every": 5, "early_stopping_patience": 1000, "max_minutes": 10,
}


def checkpoint_files(media: Path, run: TrainingRun) -> list[Path]:
    folder = media / run.work_dir_name() / "checkpoints"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_killed_worker_run_resumes_from_its_checkpoint(
    persona, processes, process_env, settings
):
    settings.TRAINING_STALE_AFTER_S = STALE_AFTER_S
    process_env["DIGITAL_YOU_TRAINING_STALE_AFTER"] = str(STALE_AFTER_S)
    media = Path(settings.MEDIA_ROOT)
    for queue in settings.TASK_QUEUES:  # jobs other tests left behind are not ours
        django_rq.get_queue(queue).empty()

    first_worker = processes.worker(process_env)
    run = start_training(persona, "quick", LONG_TINY)  # enqueued at once (autocommit)

    every = LONG_TINY["checkpoint_every"]

    def checkpointed():
        run.refresh_from_db()
        # A few checkpoints in, so a restart from zero would stand out from a resume.
        return run.status == "running" and run.step >= 3 * every and checkpoint_files(media, run)

    wait_for(checkpointed, 240, "a checkpoint of the running run", processes)
    processes.kill(first_worker)  # SIGKILL to the worker and its work horse
    run.refresh_from_db()
    step_at_kill = run.step
    assert run.status == TrainingRun.Status.RUNNING and run.attempts == 1
    assert 0 < step_at_kill < run.total_steps, "the run finished before it could be killed"

    # Nobody beats for the dead worker: after STALE_AFTER_S the run is taken back.
    started = time.monotonic()
    assert wait_for(mark_stale_runs, 30, "stale detection") == [run.pk]
    assert time.monotonic() - started < STALE_AFTER_S + 10
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.QUEUED

    second_worker = processes.worker(process_env, "--burst")  # exits when the queue is empty

    def finished():
        run.refresh_from_db()
        return run.status not in TrainingRun.ACTIVE

    wait_for(finished, 300, "the resumed run to finish", processes)
    assert run.status == TrainingRun.Status.SUCCEEDED, (run.error, processes.logs())
    assert run.attempts == 2
    assert run.step == run.total_steps
    # Resumed, not restarted: the progress curve never drops by more than the steps since the
    # last checkpoint (a restart would fall back to step 1), and it goes on past the kill.
    steps = [point["step"] for point in run.history]
    assert all(later >= earlier - every for earlier, later in pairwise(steps)), steps
    assert min(steps) < step_at_kill < max(steps)
    assert persona.versions.get().run_id == run.pk
    assert checkpoint_files(media, run) == []  # only needed to resume; removed after success
    second_worker.wait(timeout=60)
