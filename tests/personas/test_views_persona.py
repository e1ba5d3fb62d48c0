"""The persona page: ownership, upload, preview, identity, files, corpus, deletion."""

import json
import re
from pathlib import PurePosixPath

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from personas.models import DataFile, Persona, ShareLink, TrainingRun
from personas.tasks import parse_data_file_task
from tests.personas.support import WHATSAPP_SAMPLE, enqueued_tasks, upload

pytestmark = pytest.mark.django_db
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def owner_client(client, make_persona, media_root):
    persona = make_persona("ana", "sam", name="Sam")
    client.force_login(persona.owner)
    return client, persona


def upload_sample(client, persona) -> DataFile:
    response = client.post(
        reverse("persona_upload", args=[persona.slug]), {"files": [upload(WHATSAPP_SAMPLE)]}, **XHR
    )
    assert response.status_code == 200, response.content
    data_file = DataFile.objects.get(pk=response.json()["files"][0]["id"])
    parse_data_file_task.call(data_file.pk)  # what the worker does
    data_file.refresh_from_db()
    return data_file


def persona_urls(persona, data_file_id=1, run_id=1):
    """Every persona URL with its method."""
    s = persona.slug
    return [
        ("get", reverse("persona_detail", args=[s])),
        ("get", reverse("persona_status", args=[s])),
        ("get", reverse("persona_delete", args=[s])),
        ("post", reverse("persona_delete", args=[s])),
        ("post", reverse("persona_identity", args=[s])),
        ("post", reverse("persona_reply_mode", args=[s])),
        ("post", reverse("persona_upload", args=[s])),
        ("post", reverse("persona_file_remove", args=[s, data_file_id])),
        ("post", reverse("persona_file_retry", args=[s, data_file_id])),
        ("get", reverse("persona_corpus", args=[s, "yml"])),
        ("post", reverse("persona_train", args=[s])),
        ("post", reverse("persona_run_cancel", args=[s, run_id])),
        ("post", reverse("persona_version_activate", args=[s, 1])),
        ("get", reverse("persona_model_download", args=[s])),
        ("post", reverse("persona_share_create", args=[s])),
        ("post", reverse("persona_share_revoke", args=[s, 1])),
        ("post", reverse("persona_share_user", args=[s])),
        ("post", reverse("persona_unshare_user", args=[s, 1])),
        ("get", reverse("persona_chat", args=[s])),
        ("post", reverse("delete_conversation", args=[s, 1])),
    ]


def test_owner_sees_empty_page_with_upload_form(owner_client):
    client, persona = owner_client
    page = client.get(reverse("persona_detail", args=["sam"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "No files yet" in html and 'id="upload-input"' in html
    assert "<script>" not in html and "onclick" not in html  # CSP: no inline script


def test_strangers_get_404_everywhere_and_change_nothing(client, owner_client):
    _, persona = owner_client
    data_file = upload_sample(owner_client[0], persona)
    run = TrainingRun.objects.create(persona=persona)
    stranger = User.objects.create_user("eve", password="x-long-pw-1")
    Persona.objects.create(owner=stranger, slug="other", name="Other")
    other_client = type(client)()
    other_client.force_login(stranger)
    for method, url in persona_urls(persona, data_file.pk, run.pk):
        data = {"confirm": "Sam", "preset": "quick", "reply_mode": "quote"}
        response = getattr(other_client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert b"whatsapp-sample" not in response.content
    assert Persona.objects.filter(pk=persona.pk).exists()
    assert DataFile.objects.filter(pk=data_file.pk).exists()
    assert not ShareLink.objects.exists()
    assert TrainingRun.objects.get(pk=run.pk).status == "queued"
    assert Persona.objects.get(pk=persona.pk).reply_mode == "blend"


def test_anonymous_is_sent_to_login(client, make_persona):
    persona = make_persona("ana", "sam")
    response = client.get(reverse("persona_detail", args=[persona.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_upload_enqueues_parsing_then_page_shows_preview(owner_client):
    client, persona = owner_client
    with enqueued_tasks() as tasks:
        response = client.post(
            reverse("persona_upload", args=["sam"]), {"files": [upload(WHATSAPP_SAMPLE)]}, **XHR
        )
    body = response.json()
    assert response.status_code == 200 and body["errors"] == []
    (item,) = body["files"]
    assert item["name"] == "whatsapp-sample.txt" and item["status"] == "pending"
    (task,) = tasks
    assert task.task.module_path.endswith("parse_data_file_task")
    assert task.args == [item["id"]]

    status = client.get(reverse("persona_status", args=["sam"])).json()
    assert status["files"][0]["status"] == "pending" and status["run"] is None

    parse_data_file_task.call(item["id"])
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert "whatsapp" in html and "323" in html  # format and message count
    assert "2024-03-02" in html and "2024-09-18" in html  # date range
    assert "Alex" in html and "169" in html  # participants with counts
    # The suggested identity is pre-selected and example pairs are shown.
    assert re.search(r'value="Sam"\s+checked', html)
    assert not re.search(r'value="Alex"\s+checked', html)
    assert "climbing gym" in html
    status = client.get(reverse("persona_status", args=["sam"])).json()
    assert status["files"][0]["status"] == "parsed"


def test_upload_without_javascript_redirects_with_messages(owner_client):
    client, _ = owner_client
    response = client.post(
        reverse("persona_upload", args=["sam"]), {"files": [upload(WHATSAPP_SAMPLE)]}, follow=True
    )
    assert response.redirect_chain[-1][0].endswith("/p/sam/#data")
    assert b"Uploaded 1 file" in response.content


def test_rejected_upload_gets_a_clear_error_and_stores_nothing(owner_client, settings):
    client, persona = owner_client
    settings.MAX_UPLOAD_MB = 0
    response = client.post(
        reverse("persona_upload", args=["sam"]),
        {"files": [SimpleUploadedFile("big.txt", b"x" * 100)]},
        **XHR,
    )
    assert response.status_code == 400
    assert "limit" in response.json()["errors"][0]
    assert not persona.files.exists()
    empty = client.post(reverse("persona_upload", args=["sam"]), {}, **XHR)
    assert empty.status_code == 400 and empty.json()["errors"]


def test_file_over_the_limit_is_named_when_dropped_while_read(owner_client, settings):
    client, persona = owner_client
    settings.MAX_UPLOAD_MB = 1
    response = client.post(
        reverse("persona_upload", args=["sam"]),
        {"files": [SimpleUploadedFile("big.txt", b"x" * (2 * 1024 * 1024))]},
        **XHR,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["big.txt is larger than the 1 MB limit per file."]
    assert not persona.files.exists()


def test_broken_file_shows_why(owner_client):
    client, persona = owner_client
    response = client.post(
        reverse("persona_upload", args=["sam"]),
        {"files": [SimpleUploadedFile("notes.txt", b"just some words\nno chat here\n")]},
        **XHR,
    )
    parse_data_file_task.call(response.json()["files"][0]["id"])
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert "Could not be read" in html
    data_file = persona.files.get()
    stored = PurePosixPath(data_file.file.name).name
    assert data_file.error  # the reason, in the user's terms and with the name they know
    shown = html.replace("&#x27;", "'").replace("&amp;", "&")
    assert data_file.error.replace(stored, "notes.txt") in shown
    assert stored not in html


def test_identity_pick_and_exclusions_are_saved(owner_client):
    client, persona = owner_client
    data_file = upload_sample(client, persona)
    conversation = data_file.summary["conversation_list"][0]["id"]
    key = f"{data_file.pk}:{conversation}"
    response = client.post(
        reverse("persona_identity", args=["sam"]), {"identities": ["Alex"], "excluded": [key]}
    )
    assert response.status_code == 302
    persona.refresh_from_db()
    assert persona.identities == ["Alex"] and persona.excluded_conversations == [key]
    # Everything is excluded now: no examples, and the page says so.
    assert b"No examples" in client.get(reverse("persona_detail", args=["sam"])).content


def test_identity_must_be_one_of_the_authors(owner_client):
    client, persona = owner_client
    upload_sample(client, persona)
    for data in ({"identities": ["Mallory"]}, {}):
        response = client.post(reverse("persona_identity", args=["sam"]), data)
        assert response.status_code == 400
    persona.refresh_from_db()
    assert persona.identities == ["Sam"]


def test_reply_mode_is_the_owners_choice(owner_client):
    client, persona = owner_client
    assert persona.reply_mode == "blend"
    page = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert re.search(r'<input[^>]*value="blend"[^>]*checked', page)
    url = reverse("persona_reply_mode", args=["sam"])
    response = client.post(url, {"reply_mode": "quote"})
    assert response.status_code == 302 and response["Location"].endswith("#replies")
    persona.refresh_from_db()
    assert persona.reply_mode == "quote"
    for data in ({"reply_mode": "parrot"}, {}):
        assert client.post(url, data).status_code == 400
    assert client.get(url).status_code == 405
    # A form posted from another site (no CSRF token) changes nothing.
    forged = type(client)(enforce_csrf_checks=True)
    forged.force_login(persona.owner)
    assert forged.post(url, {"reply_mode": "generate"}).status_code == 403
    persona.refresh_from_db()
    assert persona.reply_mode == "quote"


def test_corpus_downloads(owner_client):
    client, persona = owner_client
    upload_sample(client, persona)
    jsonl = client.get(reverse("persona_corpus", args=["sam", "jsonl"]))
    assert jsonl.status_code == 200 and "attachment" in jsonl["Content-Disposition"]
    assert jsonl.streaming  # built as it is sent, never whole in memory
    lines = b"".join(jsonl.streaming_content).splitlines()
    assert len(lines) > 50 and all(json.loads(line) for line in lines)
    yml = client.get(reverse("persona_corpus", args=["sam", "yml"]))
    assert yml.status_code == 200 and b"climbing gym" in b"".join(yml.streaming_content)
    assert client.get(reverse("persona_corpus", args=["sam", "exe"])).status_code == 404


def test_remove_file_deletes_row_file_and_its_exclusions(
    owner_client, media_root, django_capture_on_commit_callbacks
):
    client, persona = owner_client
    data_file = upload_sample(client, persona)
    path = media_root / data_file.file.name
    assert path.exists()
    persona.excluded_conversations = [f"{data_file.pk}:x", "999:y"]
    persona.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("persona_file_remove", args=["sam", data_file.pk]))
    assert response.status_code == 302
    assert not persona.files.exists() and not path.exists()
    persona.refresh_from_db()
    assert persona.excluded_conversations == ["999:y"]


def test_delete_needs_the_name_then_removes_everything(
    owner_client, media_root, django_capture_on_commit_callbacks
):
    client, persona = owner_client
    data_file = upload_sample(client, persona)
    path = media_root / data_file.file.name
    assert client.get(reverse("persona_delete", args=["sam"])).status_code == 200
    wrong = client.post(reverse("persona_delete", args=["sam"]), {"confirm": "sam!"})
    assert wrong.status_code == 400 and Persona.objects.filter(pk=persona.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("persona_delete", args=["sam"]), {"confirm": "Sam"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not path.exists()
    assert not Persona.objects.filter(pk=persona.pk).exists()
    assert not DataFile.objects.filter(pk=data_file.pk).exists()
    assert client.get(reverse("persona_detail", args=["sam"])).status_code == 404


def ticked(html: str) -> list[str]:
    return re.findall(r'name="identities" value="([^"]+)"\s+checked', html)


def test_unrelated_files_get_a_suggestion_each_and_nothing_pre_ticked(owner_client, tmp_path):
    client, persona = owner_client
    upload_sample(client, persona)
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert ticked(html) == ["Sam"]  # one file: its likely author is pre-selected

    # A chat between two other people, which shares nobody with the sample.
    other = tmp_path / "misty.txt"
    other.write_text("".join(
        f"1/2/21, 10:{m:02d} - {'Misty' if m % 3 else 'Brock'}: message {m}\n" for m in range(30)
    ))
    url = reverse("persona_upload", args=["sam"])
    response = client.post(url, {"files": [upload(other)]}, **XHR)
    parse_data_file_task.call(response.json()["files"][0]["id"])
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert ticked(html) == []
    persona.refresh_from_db()
    assert persona.identities == []  # the pre-selection is dropped: the user picks
    hint = re.search(r'class="help identity-suggestions">(.*?)</p>', html, re.S).group(1)
    assert "<strong>Sam</strong> in whatsapp-sample.txt" in hint
    assert "<strong>Misty</strong> in misty.txt" in hint

    # Once saved, the user's own choice is what is ticked, and the hint is gone.
    client.post(reverse("persona_identity", args=["sam"]), {"identities": ["Sam"]})
    html = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert ticked(html) == ["Sam"] and "identity-suggestions" not in html
