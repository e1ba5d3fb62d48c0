"""Fixtures for the backend tests: private media folder, users, personas."""

import shutil
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connections

from personas.models import ModelVersion, Persona
from personas.services import chat
from tests.personas.support import CHAT_WITH_MOM, TINY_OVERRIDES, TINY_PAIRS


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Uploads, work dirs and artifacts go to this test's own folder; no base model."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.BASE_MODEL_DIR = tmp_path / "no-base-model"
    settings.MODEL_CACHE_DIR = tmp_path / "storage-cache"
    chat.forget(chat.cached_version_ids())  # version ids are reused after each flush
    yield Path(settings.MEDIA_ROOT)
    chat.forget(chat.cached_version_ids())


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counters live in the cache and are keyed by ids that each test reuses."""
    cache.clear()


@pytest.fixture(autouse=True)
def socket_counts_cleared():
    """Socket counts live in the process; a test's communicator left open must not count
    against the next test."""
    from personas.consumers import OPEN_SOCKETS

    OPEN_SOCKETS.clear()


@pytest.fixture(autouse=True)
async def orm_thread_closed():
    """After each test, close the database connections of the thread that
    database_sync_to_async runs in: channels' test communicators stop it from closing them
    itself, and one left open keeps PostgreSQL from dropping the test database at the end."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
def make_persona(db):
    def make(username: str = "ana", slug: str = "me", **fields) -> Persona:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, password="x-long-pw-1")
        fields.setdefault("name", slug)
        return Persona.objects.create(owner=user, slug=slug, **fields)

    return make


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory) -> Path:
    """A tiny model trained once per session on our own fixture pairs (no database)."""
    from ingestion import build_pairs
    from modeling.config import make_config
    from modeling.train import train

    out = tmp_path_factory.mktemp("tiny-model")
    # No held-out split: nothing here evaluates this model, and validation costs a compile.
    config = make_config("quick", **{**TINY_OVERRIDES, "val_fraction": 0.0, "epochs": 8})
    result = train(build_pairs([TINY_PAIRS]), out, config)
    return Path(result.artifact_dir)


@pytest.fixture(scope="session")
def quoting_artifact(tmp_path_factory) -> Path:
    """A tiny model that knows Sam's chat with Mom besides the fixture pairs: quote mode finds
    dated replies to a named person in it, and masked items in those replies."""
    from ingestion import build_pairs
    from modeling.config import make_config
    from modeling.train import train

    out = tmp_path_factory.mktemp("quoting-model")
    # Every pair in the training split: quote mode only finds replies of that split.
    config = make_config("quick", **{**TINY_OVERRIDES, "val_fraction": 0.0, "epochs": 8})
    result = train(build_pairs([TINY_PAIRS, CHAT_WITH_MOM], me=["Sam"]), out, config)
    return Path(result.artifact_dir)


@pytest.fixture
def install_model(media_root):
    """Give a persona a model version made from an artifact folder, and activate it."""

    def install(persona: Persona, artifact: Path) -> ModelVersion:
        version = persona.versions.count() + 1
        relative = f"models/{persona.owner_id}/{persona.pk}/manual-{version}/artifact"
        shutil.copytree(artifact, media_root / relative)
        model = ModelVersion.objects.create(
            persona=persona, version=version, artifact_path=relative
        )
        persona.active_model = model
        persona.save(update_fields=["active_model"])
        return model

    return install
