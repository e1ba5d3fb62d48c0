import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from personas.models import DataFile
from personas.services.corpus import (
    PREVIEW_CHARS,
    persona_pairs,
    preview_pairs,
    stream_persona_corpus,
)
from personas.services.uploads import (
    DuplicateUpload,
    UploadRejected,
    parse_data_file,
    store_upload,
)
from tests.personas.support import WHATSAPP_SAMPLE, enqueued_tasks, upload

pytestmark = pytest.mark.django_db


def test_upload_is_stored_under_a_random_name_and_parsed(media_root, make_persona):
    persona = make_persona()
    data_file = store_upload(persona, upload(WHATSAPP_SAMPLE, "Chat with Alex.txt"))
    assert data_file.original_name == "Chat with Alex.txt"
    assert "Alex" not in data_file.file.name and data_file.file.name.endswith(".txt")
    assert (media_root / data_file.file.name).read_bytes() == WHATSAPP_SAMPLE.read_bytes()
    assert len(data_file.sha256) == 64 and data_file.size == WHATSAPP_SAMPLE.stat().st_size

    parsed = parse_data_file(data_file)
    assert parsed.status == DataFile.Status.PARSED
    assert parsed.format and parsed.summary["messages"] > 100
    assert parsed.summary["path"] == "Chat with Alex.txt"  # never the random name
    persona.refresh_from_db()
    assert persona.identities == [parsed.summary["suggested_identity"]]


def test_same_file_twice_is_refused(media_root, make_persona):
    persona = make_persona()
    first = store_upload(persona, upload(WHATSAPP_SAMPLE))
    with pytest.raises(DuplicateUpload) as info:
        store_upload(persona, upload(WHATSAPP_SAMPLE, "again.txt"))
    assert info.value.existing == first
    assert persona.files.count() == 1


def test_size_limits_per_file_and_per_user(media_root, make_persona, settings):
    persona = make_persona()
    settings.MAX_UPLOAD_MB = 1
    with pytest.raises(UploadRejected, match="1 MB limit per file"):
        store_upload(persona, SimpleUploadedFile("big.txt", b"x" * (1024 * 1024 + 1)))
    settings.MAX_UPLOAD_MB, settings.MAX_USER_STORAGE_MB = 10, 1
    store_upload(persona, SimpleUploadedFile("a.txt", b"a" * 700_000))
    other = make_persona(slug="other")  # the limit counts all of the user's personas
    with pytest.raises(UploadRejected, match="storage limit"):
        store_upload(other, SimpleUploadedFile("b.txt", b"b" * 700_000))
    assert len([p for p in (media_root / "uploads").rglob("*") if p.is_file()]) == 1
    assert DataFile.objects.count() == 1


def test_unreadable_file_fails_with_a_reason(media_root, make_persona):
    persona = make_persona()
    data_file = store_upload(persona, SimpleUploadedFile("photo.json", b"\x89PNG\r\n\x1a\n\0\0"))
    parsed = parse_data_file(data_file)
    assert parsed.status == DataFile.Status.FAILED
    assert parsed.error
    assert persona_pairs(persona) == []


def test_pairs_use_identities_and_exclusions(media_root, make_persona):
    persona = make_persona()
    data_file = parse_data_file(store_upload(persona, upload(WHATSAPP_SAMPLE)))
    me = persona.__class__.objects.get(pk=persona.pk).identities[0]
    persona.identities = [me]
    pairs = persona_pairs(persona)
    assert pairs and all(pair.response for pair in pairs)
    assert preview_pairs(persona, 3) == pairs[:3]

    conversations = {pair.conversation for pair in pairs}
    persona.excluded_conversations = [f"{data_file.pk}:{c}" for c in conversations]
    assert persona_pairs(persona) == []

    other_names = [n for n in data_file.summary["participants"] if n != me]
    persona.excluded_conversations, persona.identities = [], other_names[:1]
    assert {p.response for p in persona_pairs(persona)}.isdisjoint({p.response for p in pairs})


def test_corpus_download(media_root, make_persona):
    persona = make_persona()
    parse_data_file(store_upload(persona, upload(WHATSAPP_SAMPLE)))
    persona.refresh_from_db()
    text = "".join(stream_persona_corpus(persona, "jsonl"))
    assert len(text.splitlines()) == len(persona_pairs(persona))


def test_preview_reads_only_as_far_as_its_examples(media_root, make_persona):
    """A 10 MB export (about 8 s to read whole) previews in well under a second."""
    persona = make_persona(identities=["Sam"])
    big = media_root / "uploads" / "big.txt"
    big.parent.mkdir(parents=True)
    sample = WHATSAPP_SAMPLE.read_bytes()
    big.write_bytes(sample * (10 * 1024 * 1024 // len(sample) + 1))
    DataFile.objects.create(
        persona=persona, original_name="big.txt", file="uploads/big.txt",
        status=DataFile.Status.PARSED,
    )
    started = time.perf_counter()
    assert len(preview_pairs(persona, 5)) == 5
    assert time.perf_counter() - started < 1.0


def test_preview_cuts_long_messages(media_root, make_persona):
    persona = make_persona(identities=["Sam"])
    long_reply = "word " * 2000
    chat = f"12/01/2024, 10:00 - Alex: {long_reply}\n12/01/2024, 10:01 - Sam: {long_reply}\n"
    parse_data_file(store_upload(persona, SimpleUploadedFile("chat.txt", chat.encode())))
    [pair] = preview_pairs(persona, 5)
    assert len(pair.response) == PREVIEW_CHARS and pair.response.endswith("…")
    assert len(pair.context[-1][1]) == PREVIEW_CHARS
    assert len(persona_pairs(persona)[0].response) > 9000  # training sees it whole


def test_unwritable_storage_is_a_clear_error_and_saves_nothing(make_persona, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker / "media")
    persona = make_persona()
    with pytest.raises(UploadRejected, match="could not be stored"):
        store_upload(persona, upload(WHATSAPP_SAMPLE))
    assert not DataFile.objects.exists()


def test_a_parse_whose_worker_died_fails_and_can_be_retried(media_root, make_persona, client):
    """A worker killed mid-parse leaves the row "Reading" with a heartbeat that stopped."""
    persona = make_persona()
    data_file = store_upload(persona, upload(WHATSAPP_SAMPLE))
    long_ago = timezone.now() - timedelta(seconds=settings.TRAINING_STALE_AFTER_S + 5)
    DataFile.objects.filter(pk=data_file.pk).update(status="parsing", heartbeat_at=long_ago)
    client.force_login(persona.owner)
    status = client.get(reverse("persona_status", args=[persona.slug])).json()
    assert status["files"][0]["status"] == "failed"
    assert "stopped" in status["files"][0]["error"]
    retry_url = reverse("persona_file_retry", args=[persona.slug, data_file.pk])
    assert retry_url in client.get(reverse("persona_detail", args=[persona.slug])).content.decode()

    with enqueued_tasks() as tasks:
        assert client.post(retry_url).status_code == 302
    assert [t.args for t in tasks] == [[data_file.pk]]
    data_file.refresh_from_db()
    assert (data_file.status, data_file.error) == ("pending", "")
    assert parse_data_file(data_file).status == DataFile.Status.PARSED
    assert data_file.heartbeat_at is not None
    # Only failed files are retried.
    assert client.post(retry_url).status_code == 404


def test_a_live_parse_is_left_alone(media_root, make_persona, client):
    persona = make_persona()
    data_file = store_upload(persona, upload(WHATSAPP_SAMPLE))
    DataFile.objects.filter(pk=data_file.pk).update(status="parsing", heartbeat_at=timezone.now())
    client.force_login(persona.owner)
    status = client.get(reverse("persona_status", args=[persona.slug])).json()
    assert status["files"][0]["status"] == "parsing"


def test_a_failed_file_can_be_uploaded_again(
    media_root, make_persona, django_capture_on_commit_callbacks
):
    persona = make_persona()
    first = store_upload(persona, upload(WHATSAPP_SAMPLE))
    DataFile.objects.filter(pk=first.pk).update(status="failed", error="Reading stopped.")
    with django_capture_on_commit_callbacks(execute=True):  # files leave once committed
        again = store_upload(persona, upload(WHATSAPP_SAMPLE, "again.txt"))
    assert list(persona.files.all()) == [again]
    assert not (media_root / first.file.name).exists()
