"""Training runs without training: queueing, refusals, cancellation and stale-run rescue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from personas.models import DataFile, TrainingRun
from personas.services.training import (
    MAX_ATTEMPTS,
    NoUsableData,
    TrainingAlreadyActive,
    cancel_training,
    mark_stale_runs,
    run_training,
    start_training,
)
from personas.tasks import train_persona_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def persona(make_persona, media_root):
    persona = make_persona()
    DataFile.objects.create(
        persona=persona, original_name="chat.txt", file="uploads/x.txt",
        status=DataFile.Status.PARSED,
    )
    return persona


def queued_task(run: TrainingRun):
    run.refresh_from_db()
    assert run.task_id, "no task was enqueued"
    return train_persona_task.get_result(run.task_id)


def test_start_enqueues_the_task(persona, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = start_training(persona, "quick", {"epochs": 1})
    assert run.status == TrainingRun.Status.QUEUED and run.overrides == {"epochs": 1}
    assert queued_task(run).args == [run.pk, False]


def test_refusals(make_persona, persona, media_root, django_capture_on_commit_callbacks):
    with pytest.raises(NoUsableData, match="no usable data"):
        start_training(make_persona(slug="empty"))
    with pytest.raises(ValueError, match="Unknown preset"):
        start_training(persona, "huge")
    with django_capture_on_commit_callbacks(execute=True):
        start_training(persona)
    with pytest.raises(TrainingAlreadyActive):
        start_training(persona)
    assert persona.runs.count() == 1


def test_cancel_a_queued_run_and_its_task_does_nothing(persona):
    run = TrainingRun.objects.create(persona=persona)
    cancel_training(run)
    assert run.status == TrainingRun.Status.CANCELLED and run.finished_at
    assert run_training(run.pk).status == TrainingRun.Status.CANCELLED
    assert run.attempts == 0


def test_cancel_a_running_run_sets_the_flag(persona):
    run = TrainingRun.objects.create(persona=persona, status=TrainingRun.Status.RUNNING)
    cancel_training(run)
    assert run.status == TrainingRun.Status.RUNNING and run.cancel_requested


def make_running(persona, *, beat_s_ago: float, attempts: int = 1) -> TrainingRun:
    beat = timezone.now() - timedelta(seconds=beat_s_ago)
    return TrainingRun.objects.create(
        persona=persona, status=TrainingRun.Status.RUNNING, attempts=attempts,
        heartbeat_at=beat, started_at=beat,
    )


def test_stale_run_is_requeued_to_resume(persona, settings, django_capture_on_commit_callbacks):
    settings.TRAINING_STALE_AFTER_S = 60
    run = make_running(persona, beat_s_ago=61)
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_stale_runs() == [run.pk]
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.QUEUED
    assert queued_task(run).args == [run.pk, True]  # resume from the checkpoint
    assert mark_stale_runs() == []  # queued again, not stale twice


def test_live_run_is_left_alone(persona, settings):
    settings.TRAINING_STALE_AFTER_S = 60
    run = make_running(persona, beat_s_ago=5)
    assert mark_stale_runs() == []
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING
    # A second worker handed the same run does not train it twice.
    assert run_training(run.pk).attempts == 1


def test_run_that_keeps_dying_fails_with_a_reason(persona, settings):
    settings.TRAINING_STALE_AFTER_S = 60
    run = make_running(persona, beat_s_ago=600, attempts=MAX_ATTEMPTS)
    assert mark_stale_runs() == []
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert "stopped responding" in run.error and run.finished_at


def test_stale_run_no_longer_blocks_a_new_one(
    persona, settings, django_capture_on_commit_callbacks
):
    settings.TRAINING_STALE_AFTER_S = 60
    make_running(persona, beat_s_ago=600, attempts=MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        run = start_training(persona)
    assert run.status == TrainingRun.Status.QUEUED


def test_unwritable_storage_fails_the_run_and_keeps_the_model(persona, settings, tmp_path):
    previous = persona.versions.create(version=1, artifact_path="models/old")
    persona.active_model = previous
    persona.save()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker / "media")
    run = TrainingRun.objects.create(persona=persona)
    run = run_training(run.pk)
    assert run.status == TrainingRun.Status.FAILED
    assert "Could not write the model files" in run.error
    persona.refresh_from_db()
    assert persona.active_model == previous
