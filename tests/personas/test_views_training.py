"""Training from the persona page: start, refuse a second run, cancel, switch and download."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from personas.models import ModelVersion, TrainingRun
from personas.services import uploads
from personas.tasks import parse_data_file_task
from tests.personas.support import WHATSAPP_SAMPLE, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(client, make_persona, media_root):
    """A persona with the sample export read, its owner logged in."""
    persona = make_persona("ana", "sam", name="Sam")
    data_file = uploads.store_upload(persona, upload(WHATSAPP_SAMPLE))
    parse_data_file_task.call(data_file.pk)
    client.force_login(persona.owner)
    return client, persona


def make_version(persona, media_root, version: int) -> ModelVersion:
    """A finished run with a stored artifact folder (two small files)."""
    run = TrainingRun.objects.create(
        persona=persona, status="succeeded", finished_at=timezone.now(), step=10, total_steps=10
    )
    folder = f"models/{persona.owner_id}/{persona.pk}/run-{run.pk}/artifact"
    (media_root / folder / "sub").mkdir(parents=True)
    (media_root / folder / "config.json").write_text(json.dumps({"v": version}))
    (media_root / folder / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 4)
    return ModelVersion.objects.create(
        persona=persona,
        run=run,
        version=version,
        artifact_path=folder,
        metrics={
            "perplexity": 41.5,
            "baseline_trigram_perplexity": 80.2,
            "sounds_like_you": {"generated": 0.62, "real": 0.9},
        },
        addressees=["Alex"],
    )


def test_train_queues_one_run_and_a_second_click_says_so(ready, settings):
    client, persona = ready
    settings.TRAIN_OVERRIDES = {"epochs": 1, "embedding_dim": 16}
    url = reverse("persona_train", args=["sam"])
    first = client.post(url, {"preset": "quick"}, follow=True)
    assert b"Training queued" in first.content
    run = TrainingRun.objects.get(persona=persona)
    assert run.status == "queued" and run.preset == "quick"
    assert run.overrides == {"epochs": 1, "embedding_dim": 16}
    html = first.content.decode()
    assert 'id="live-run"' in html and "/ws/personas/sam/training/" in html
    assert 'id="live-run-data"' in html  # the state survives a reload

    second = client.post(url, {"preset": "standard"}, follow=True)
    assert b"already in progress" in second.content
    assert TrainingRun.objects.filter(persona=persona).count() == 1


def test_train_without_data_explains(client, make_persona, media_root):
    persona = make_persona("ana", "empty", name="Empty")
    client.force_login(persona.owner)
    url = reverse("persona_train", args=["empty"])
    response = client.post(url, {"preset": "quick"}, follow=True)
    assert b"no usable data" in response.content
    assert not TrainingRun.objects.exists()


def test_unknown_preset_is_refused(ready):
    client, persona = ready
    response = client.post(reverse("persona_train", args=["sam"]), {"preset": "huge"}, follow=True)
    assert b"Choose one of the presets" in response.content
    assert not TrainingRun.objects.exists()


def test_cancel_a_queued_run(ready):
    client, persona = ready
    run = TrainingRun.objects.create(persona=persona)
    response = client.post(reverse("persona_run_cancel", args=["sam", run.pk]), follow=True)
    assert b"Cancelling" in response.content
    run.refresh_from_db()
    assert run.status == "cancelled" and run.cancel_requested


def test_status_json_follows_the_latest_run(ready):
    client, persona = ready
    TrainingRun.objects.create(
        persona=persona, status="running", step=5, total_steps=20, history=[{"step": 5}]
    )
    body = client.get(reverse("persona_status", args=["sam"])).json()
    assert body["run"]["status"] == "running" and body["run"]["percent"] == 25
    assert body["run"]["history"] == [{"step": 5}]


def test_failed_run_shows_why(ready):
    client, persona = ready
    TrainingRun.objects.create(persona=persona, status="failed", error="Disk full, sorry.")
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert "Disk full, sorry." in html and "Training failed" in html


def test_history_activate_older_version_and_download(ready, media_root):
    client, persona = ready
    old = make_version(persona, media_root, 1)
    new = make_version(persona, media_root, 2)
    persona.active_model = new
    persona.save()
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert "v1" in html and "v2" in html and "Use this one" in html
    assert "41.5" in html and "80.2" in html  # evaluation headline
    assert "sounds like you: 62%" in html and "real replies: 90%" in html

    client.post(reverse("persona_version_activate", args=["sam", old.pk]))
    persona.refresh_from_db()
    assert persona.active_model_id == old.pk

    response = client.get(reverse("persona_model_download", args=["sam"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="sam-model-v1.zip"')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["config.json", "sub/weights.bin"]
    assert archive.read("config.json") == b'{"v": 1}'


def test_download_without_model_is_404(ready):
    client, _ = ready
    assert client.get(reverse("persona_model_download", args=["sam"])).status_code == 404


def test_headline_is_green_only_for_a_model_that_beats_the_baselines(ready, media_root):
    client, persona = ready
    version = make_version(persona, media_root, 1)
    persona.active_model = version
    persona.save()
    # Beats the trigram, "sounds like you" 100%, but one reply for every message.
    version.metrics = {**version.metrics, "f1": 0.2, "baseline_retrieval_f1": 0.1,
                       "hits_at_1": 0.5, "baseline_retrieval_hits_at_1": 0.2,
                       "sounds_like_you": {"generated": 1.0, "real": 0.9},
                       "repeated_replies": 0.6, "repeated_tokens": 0.0, "distinct_2": 0.05}
    version.save()
    for url in (reverse("persona_detail", args=["sam"]), reverse("dashboard")):
        html = client.get(url).content.decode()
        assert 'data-verdict="poor"' in html and "badge verdict ok" not in html
    assert "same reply to different messages" in client.get(
        reverse("persona_detail", args=["sam"])).content.decode()

    version.metrics = {**version.metrics, "repeated_replies": 0.02, "distinct_2": 0.5}
    version.save()
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert 'data-verdict="good"' in html and "badge verdict ok" in html
