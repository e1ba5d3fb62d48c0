"""Deleting a persona or an account removes its files from storage, not only its rows."""

import pytest
from django.contrib.auth.models import User

from personas.models import ChatMessage, ModelVersion, Persona
from personas.services.deletion import delete_persona
from personas.services.uploads import store_upload
from tests.personas.support import WHATSAPP_SAMPLE, upload

pytestmark = pytest.mark.django_db(transaction=True)


def persona_with_files(make_persona, media_root, slug="me"):
    persona = make_persona(slug=slug)
    data_file = store_upload(persona, upload(WHATSAPP_SAMPLE))
    run = persona.runs.create(status="succeeded")
    work = media_root / run.work_dir_name()
    (work / "checkpoints").mkdir(parents=True)
    (work / "checkpoints" / "ckpt-1.weights.h5").write_bytes(b"weights")
    (work / "artifact").mkdir()
    (work / "artifact" / "config.json").write_text("{}")
    version = ModelVersion.objects.create(
        persona=persona, run=run, version=1, artifact_path=f"{run.work_dir_name()}/artifact"
    )
    persona.active_model = version
    persona.save()
    conversation = persona.conversations.create(user=persona.owner)
    conversation.messages.create(role="user", text="hi")
    return persona, media_root / data_file.file.name, work


def test_delete_persona_removes_its_files(make_persona, media_root):
    persona, upload_file, work = persona_with_files(make_persona, media_root)
    keep, keep_upload, keep_work = persona_with_files(make_persona, media_root, slug="keep")
    assert upload_file.is_file() and work.is_dir()
    delete_persona(persona)
    assert not upload_file.exists()
    assert not work.exists()
    assert not (media_root / f"models/{persona.owner_id}/{persona.pk}").exists()
    assert not Persona.objects.filter(slug="me").exists()
    assert ChatMessage.objects.filter(conversation__persona__slug="me").count() == 0
    # The user's other persona is untouched.
    assert keep_upload.is_file() and keep_work.is_dir()
    assert Persona.objects.filter(pk=keep.pk).exists()


def test_deleting_the_account_removes_every_file(make_persona, media_root):
    _, upload_file, work = persona_with_files(make_persona, media_root)
    _, upload_two, work_two = persona_with_files(make_persona, media_root, slug="two")
    User.objects.get(username="ana").delete()
    for path in (upload_file, work, upload_two, work_two):
        assert not path.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]
