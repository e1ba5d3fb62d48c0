"""The base model's state, and persona training that waits for it."""

import json
import threading
import time

import pytest

from personas.models import DataFile, TrainingRun
from personas.services import base_model, training
from personas.services.training import FROM_SCRATCH, run_training


def test_state_follows_the_status_file_and_the_model_folder(media_root, settings):
    assert base_model.state().key == "missing"
    base_model.report_progress(40, 480)
    found = base_model.state()
    assert found.key == "training"
    assert found.label == "base model: training, 40%, about 8 minutes left"
    # A status nobody has updated for minutes belongs to a process that died.
    status = json.loads(base_model.status_path().read_text())
    base_model.status_path().write_text(json.dumps({**status, "at": time.time() - 600}))
    assert base_model.state().key == "missing"
    base_model.report_failure("MemoryError: out of memory")
    assert base_model.state().key == "failed" and "out of memory" in base_model.state().error
    settings.BASE_MODEL_DIR.mkdir(parents=True)
    (settings.BASE_MODEL_DIR / "manifest.json").write_text("{}")
    assert base_model.state().key == "ready"


def test_dashboard_shows_the_base_model_live(client, make_persona, media_root):
    client.force_login(make_persona().owner)
    base_model.report_progress(25, 600)
    html = client.get("/").content.decode()
    assert "base model: training, 25%, about 10 minutes left" in html
    assert client.get("/base-model/status/").json() == {
        "key": "training", "label": "base model: training, 25%, about 10 minutes left",
        "percent": 25}


@pytest.fixture
def persona_with_file(make_persona, media_root):
    persona = make_persona()
    # The stored file is missing: past the wait, the run fails at once on reading it.
    DataFile.objects.create(persona=persona, original_name="chat.txt", file="uploads/x.txt",
                            status=DataFile.Status.PARSED)
    return persona


def _train_in_thread(run):
    thread = threading.Thread(target=run_training, args=(run.pk,), daemon=True)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_run_waits_for_the_base_model_saying_so(persona_with_file, monkeypatch):
    monkeypatch.setattr(training, "BASE_MODEL_POLL_S", 0.2)
    base_model.report_progress(40, 300)
    run = TrainingRun.objects.create(persona=persona_with_file)
    thread = _train_in_thread(run)
    deadline = time.monotonic() + 30
    while "waiting for the base model" not in run.phase and time.monotonic() < deadline:
        time.sleep(0.2)
        run.refresh_from_db()
    assert "waiting for the base model: training, 40%" in run.phase
    assert thread.is_alive()
    base_model.report_failure("boom")  # no base model coming: the run goes on without it
    thread.join(30)
    assert not thread.is_alive()
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED and "waiting" not in run.phase


@pytest.mark.django_db(transaction=True)
def test_starting_from_scratch_does_not_wait(persona_with_file):
    base_model.report_progress(40, 300)
    run = TrainingRun.objects.create(persona=persona_with_file, overrides={FROM_SCRATCH: True})
    thread = _train_in_thread(run)
    thread.join(30)
    assert not thread.is_alive()
    run.refresh_from_db()
    assert "waiting" not in run.phase
