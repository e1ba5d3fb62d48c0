"""The background tasks, run by a real worker process on the test database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from personas.models import DataFile, TrainingRun
from personas.services import storage
from personas.services.training import create_run, mark_stale_runs, run_training, start_training
from personas.services.uploads import parse_data_file, store_upload
from personas.tasks import parse_data_file_task
from tests.personas.support import (
    TINY_OVERRIDES,
    TINY_PAIRS,
    empty_task_queue,
    run_worker_until_idle,
    upload,
    worker_env,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_worker_parses_then_trains_and_activates(make_persona, media_root, tmp_path):
    empty_task_queue()
    persona = make_persona()
    data_file = store_upload(persona, upload(TINY_PAIRS))
    parse_data_file_task.enqueue(data_file.pk)
    env = worker_env(media_root, tmp_path)
    worker = run_worker_until_idle(env)
    assert worker.returncode == 0, worker.stderr[-3000:]
    data_file.refresh_from_db()
    assert data_file.status == DataFile.Status.PARSED, data_file.error

    run = start_training(persona, "quick", TINY_OVERRIDES)
    worker = run_worker_until_idle(env)
    assert worker.returncode == 0, worker.stderr[-3000:]
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error + worker.stderr[-3000:]
    assert run.attempts == 1 and run.step == run.total_steps > 0
    assert run.history and run.history[-1]["step"] == run.step
    persona.refresh_from_db()
    model = persona.active_model
    assert model.version == 1 and model.run == run
    assert model.artifact_path.startswith(run.work_dir_name())
    assert storage.exists_dir(model.artifact_path)
    assert not storage.exists_dir(f"{run.work_dir_name()}/checkpoints")
    assert "perplexity" in model.metrics and "baseline_trigram_perplexity" in model.metrics


def test_interrupted_run_resumes_from_its_checkpoint(
    make_persona, media_root, settings, monkeypatch
):
    """The worker's side of a rescue: a run left behind mid-way continues at its last step."""
    settings.TRAINING_STALE_AFTER_S = 30
    # Report and check for cancellation at every step, so the stop lands at a known step.
    monkeypatch.setattr("modeling.train.PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr("personas.services.training.CANCEL_CHECK_INTERVAL_S", 0.0)
    persona = make_persona()
    parse_data_file(store_upload(persona, upload(TINY_PAIRS)))
    run = create_run(persona, "quick", {**TINY_OVERRIDES, "epochs": 8, "val_fraction": 0.0})

    def stop_early(progress):
        if progress.step >= 4:
            TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)

    run = run_training(run.pk, on_progress=stop_early)
    assert run.status == TrainingRun.Status.CANCELLED
    step_at_stop = run.step
    assert 4 <= step_at_stop <= 5 < run.total_steps
    # As if its worker had died: still "running", and silent for too long.
    TrainingRun.objects.filter(pk=run.pk).update(
        status=TrainingRun.Status.RUNNING, cancel_requested=False, finished_at=None,
        heartbeat_at=timezone.now() - timedelta(seconds=31),
    )
    assert mark_stale_runs() == [run.pk]
    steps_seen = []
    run = run_training(run.pk, resume=True, on_progress=lambda p: steps_seen.append(p.step))
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert run.attempts == 2 and run.step == run.total_steps
    assert min(steps_seen) > step_at_stop  # continued, not restarted from step 1
    assert persona.versions.get().run == run
