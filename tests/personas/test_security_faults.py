"""Faults at the web boundary: an unwritable media folder during an upload is a clear error
on the page and in the JSON answer, and nothing half-stored is left behind."""

import resource
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from personas.models import DataFile
from tests.personas.support import WHATSAPP_SAMPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def unwritable_media(settings, tmp_path):
    # A file where the media folder should be: fails for root too (unlike chmod).
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker / "media")
    return tmp_path


def upload(client, slug, **headers):
    data = {"files": SimpleUploadedFile("chat.txt", WHATSAPP_SAMPLE.read_bytes())}
    return client.post(reverse("persona_upload", args=[slug]), data, **headers)


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file() and p.name != "not-a-folder"]


def test_upload_to_unwritable_media_shows_a_clear_error(client, make_persona, unwritable_media):
    persona = make_persona()
    client.force_login(persona.owner)
    page = upload(client, persona.slug, follow=True)
    assert page.status_code == 200
    assert "could not be stored" in page.content.decode()
    assert not DataFile.objects.exists()
    assert stored_files(unwritable_media) == []


def test_upload_to_unwritable_media_json_answer(client, make_persona, unwritable_media):
    persona = make_persona()
    client.force_login(persona.owner)
    response = upload(client, persona.slug, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.status_code == 400
    body = response.json()
    assert body["files"] == []
    assert any("could not be stored" in error for error in body["errors"])
    assert not DataFile.objects.exists()


@pytest.fixture
def disk_full_after():
    """Writes past a size fail part-way, as on a full disk (EFBIG from the file size limit
    instead of ENOSPC, without filling a real disk)."""
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, not the process

    def fill(size: int):
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, limits[1]))

    yield fill
    resource.setrlimit(resource.RLIMIT_FSIZE, limits)
    signal.signal(signal.SIGXFSZ, handler)


def test_upload_on_a_full_disk_leaves_no_partial_file(
    client, make_persona, media_root, disk_full_after
):
    persona = make_persona()
    client.force_login(persona.owner)
    data = {"files": SimpleUploadedFile("chat.txt", b"12/01/2024, 10:00 - A: hi\n" * 20_000)}
    disk_full_after(200_000)  # the upload is 540 kB
    response = client.post(
        reverse("persona_upload", args=[persona.slug]), data,
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    disk_full_after(resource.RLIM_INFINITY)
    assert response.status_code == 400
    assert "nothing was saved" in response.json()["errors"][0]
    assert not DataFile.objects.exists()
    assert stored_files(media_root) == []
