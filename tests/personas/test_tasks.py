"""The background tasks, run by a real worker process on the test database."""

import pytest

from personas.models import DataFile, TrainingRun
from personas.services import storage
from personas.services.training import start_training
from personas.services.uploads import store_upload
from personas.tasks import parse_data_file_task
from tests.personas.support import (
    TINY_OVERRIDES,
    TINY_PAIRS,
    run_worker_until_idle,
    upload,
    worker_env,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_worker_parses_then_trains_and_activates(make_persona, media_root, tmp_path):
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
