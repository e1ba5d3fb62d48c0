"""Deleting a persona wins every race with its training: nothing of it is left on disk."""

import pytest

from personas.models import TrainingRun
from personas.services.deletion import delete_persona
from personas.services.training import RunDeleted, create_run, run_training
from personas.services.uploads import parse_data_file, store_upload
from personas.tasks import train_persona_task
from tests.personas.support import TINY_OVERRIDES, TINY_PAIRS, upload

pytestmark = pytest.mark.django_db(transaction=True)


def trainable(make_persona):
    persona = make_persona()
    parse_data_file(store_upload(persona, upload(TINY_PAIRS)))
    return persona


def test_run_of_a_persona_deleted_while_it_waited_writes_nothing(make_persona, media_root):
    persona = trainable(make_persona)
    run = create_run(persona, "quick", TINY_OVERRIDES)
    folder = media_root / f"models/{persona.owner_id}/{persona.pk}"
    delete_persona(persona)
    with pytest.raises(RunDeleted):
        run_training(run.pk)
    assert train_persona_task.call(run.pk) == "deleted"
    assert not folder.exists()


@pytest.mark.slow
def test_persona_deleted_while_training_leaves_no_files(make_persona, media_root, monkeypatch):
    # Report and check at every step, so the deletion lands mid-training at a known point.
    monkeypatch.setattr("modeling.train.PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr("personas.services.training.CANCEL_CHECK_INTERVAL_S", 0.0)
    persona = trainable(make_persona)
    run = create_run(persona, "quick", {**TINY_OVERRIDES, "epochs": 8, "checkpoint_every": 2})
    folder = media_root / f"models/{persona.owner_id}/{persona.pk}"
    steps = []

    def delete_at_step_3(progress):
        steps.append(progress.step)
        if progress.step == 3:
            delete_persona(persona)  # its files go at once; training is mid-way

    with pytest.raises(RunDeleted):
        run_training(run.pk, on_progress=delete_at_step_3)
    assert 3 <= max(steps) <= 4  # stopped at the next step
    assert not TrainingRun.objects.filter(pk=run.pk).exists()
    assert not folder.exists()
