"""Everything through Django's storage API: with a storage that has no local path (as an
object store), uploads, checkpoints, artifacts and chat still work, and deletion cleans up."""

import pytest

from personas.models import Conversation, TrainingRun
from personas.services import chat, storage
from personas.services.deletion import delete_persona
from personas.services.training import create_run, run_training
from personas.services.uploads import parse_data_file, store_upload
from tests.personas.support import TINY_OVERRIDES, TINY_PAIRS, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def remote_storage(settings, media_root):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert storage.local_root() is None
    return settings.MODEL_CACHE_DIR


def test_training_and_chat_without_a_local_storage_path(make_persona, remote_storage):
    persona = make_persona()
    data_file = parse_data_file(store_upload(persona, upload(TINY_PAIRS)))
    assert data_file.status == "parsed", data_file.error
    run = create_run(persona, "quick", {**TINY_OVERRIDES, "epochs": 2})
    run = run_training(run.pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    model = persona.versions.get()
    stored = list(storage.walk(model.artifact_path))
    assert any(name.endswith("weights.npz") for name in stored)
    assert not storage.exists_dir(f"{run.work_dir_name()}/checkpoints")

    chat.forget(chat.cached_version_ids())
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)
    assert list(chat.reply_stream(conversation, "hi"))
    assert (remote_storage / model.artifact_path).is_dir()  # the local copy chat loaded

    delete_persona(persona)
    assert list(storage.walk("models")) == [] and list(storage.walk("uploads")) == []
    assert not (remote_storage / model.artifact_path).exists()
