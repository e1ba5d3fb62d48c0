"""The dashboard: states of the user's personas, shared ones, creating a persona."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from personas.models import DataFile, Persona, TrainingRun

pytestmark = pytest.mark.django_db


def test_create_persona_derives_a_unique_slug(client):
    user = User.objects.create_user("ana", password="x-long-pw-1")
    client.force_login(user)
    first = client.post(reverse("persona_create"), {"name": "Sam Smith", "description": "me"})
    assert first.status_code == 302 and first["Location"] == "/p/sam-smith/"
    second = client.post(reverse("persona_create"), {"name": "Sam  Smith!"})
    assert second["Location"] == "/p/sam-smith-2/"
    other = User.objects.create_user("bo", password="x-long-pw-1")
    client.force_login(other)
    assert client.post(reverse("persona_create"), {"name": "Sam Smith"})["Location"] == (
        "/p/sam-smith/"
    )
    assert Persona.objects.filter(owner=user).count() == 2


def test_create_without_a_name_shows_the_error(client):
    client.force_login(User.objects.create_user("ana", password="x-long-pw-1"))
    response = client.post(reverse("persona_create"), {"name": ""})
    assert response.status_code == 200 and b"This field is required" in response.content
    assert not Persona.objects.exists()


def test_states_size_and_shared_personas(client, make_persona):
    empty = make_persona("ana", "empty", name="Empty one")
    reading = make_persona("ana", "reading", name="Reading one")
    DataFile.objects.create(persona=reading, original_name="a.txt", size=2048)
    training = make_persona("ana", "training", name="Training one")
    DataFile.objects.create(persona=training, original_name="b.txt", size=10, status="parsed")
    TrainingRun.objects.create(persona=training, status="running", step=3, total_steps=10)
    failed = make_persona("ana", "failed", name="Failed one")
    TrainingRun.objects.create(persona=failed, status="failed", error="boom")
    theirs = make_persona("bo", "bos", name="Bo's self")
    theirs.shared_with.add(empty.owner)
    hidden = make_persona("bo", "secret", name="Bo secret")

    client.force_login(empty.owner)
    html = client.get("/").content.decode()
    assert "No data yet" in html and "Reading files" in html and "2.0\xa0KB" in html
    assert "Training 30%" in html and 'data-percent="30"' in html
    assert "Training failed" in html
    assert "Shared with you" in html and "Bo&#x27;s self" in html and "by bo" in html
    assert "/p/bos/chat/" in html and "/p/bos/\"" not in html  # shared ones open the chat
    assert hidden.name not in html


def test_empty_dashboard_invites_to_create(client):
    client.force_login(User.objects.create_user("ana", password="x-long-pw-1"))
    html = client.get("/").content.decode()
    assert "Create your digital self" in html and "samples/whatsapp-sample.txt" in html
