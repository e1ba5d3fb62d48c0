"""The chat page and sharing: owners, users it is shared with, share-link visitors."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from personas.models import ChatMessage, Conversation, ModelVersion, Persona, ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def persona(make_persona):
    persona = make_persona("ana", "sam", name="Sam")
    persona.active_model = ModelVersion.objects.create(
        persona=persona, version=1, artifact_path="models/x", addressees=["Alex", "Jo"]
    )
    persona.save()
    return persona


def say(conversation, *texts):
    for role, text in zip(["user", "persona"] * len(texts), texts, strict=False):
        ChatMessage.objects.create(conversation=conversation, role=role, text=text)


def test_chat_page_without_model_links_to_training(client, make_persona):
    persona = make_persona("ana", "new", name="New")
    client.force_login(persona.owner)
    html = client.get(reverse("persona_chat", args=["new"])).content.decode()
    assert "has no trained model yet" in html and "/p/new/#training" in html
    assert 'id="chat-form"' not in html


def test_owner_chat_page_settings_and_reopen(client, persona):
    client.force_login(persona.owner)
    conversation = Conversation.objects.create(persona=persona, user=persona.owner, title="Hi")
    say(conversation, "hello <b>there</b>", "hey you")
    html = client.get(reverse("persona_chat", args=["sam"])).content.decode()
    assert 'data-socket-url="/ws/personas/sam/chat/"' in html
    assert '<option value="Alex">' in html and ">anyone<" in html and 'value="sample"' in html
    assert f"?c={conversation.pk}" in html  # listed, can be reopened
    reopened = client.get(reverse("persona_chat", args=["sam"]) + f"?c={conversation.pk}")
    text = reopened.content.decode()
    assert "hello &lt;b&gt;there&lt;/b&gt;" in text and "hey you" in text  # text, never HTML
    assert f'data-conversation="{conversation.pk}"' in text


def test_conversations_of_others_stay_apart(client, persona):
    friend = User.objects.create_user("bo", password="x-long-pw-1")
    persona.shared_with.add(friend)
    mine = Conversation.objects.create(persona=persona, user=persona.owner, title="Owner talk")
    client.force_login(friend)
    html = client.get(reverse("persona_chat", args=["sam"])).content.decode()
    assert "Owner talk" not in html and "Manage Sam" not in html
    assert client.get(reverse("persona_chat", args=["sam"]) + f"?c={mine.pk}").status_code == 404
    assert client.get(reverse("persona_detail", args=["sam"])).status_code == 404
    url = reverse("delete_conversation", args=["sam", mine.pk])
    assert client.post(url).status_code == 404
    assert Conversation.objects.filter(pk=mine.pk).exists()


def test_delete_conversation(client, persona):
    client.force_login(persona.owner)
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)
    response = client.post(reverse("delete_conversation", args=["sam", conversation.pk]))
    assert response.status_code == 302
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_share_link_create_visit_and_revoke(client, persona):
    client.force_login(persona.owner)
    Conversation.objects.create(persona=persona, user=persona.owner, title="Owner talk")
    client.post(reverse("persona_share_create", args=["sam"]))
    link = ShareLink.objects.get(persona=persona)
    page = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    assert f"/s/{link.token}/" in page

    visitor = Client()
    html = visitor.get(reverse("shared_chat", args=[link.token])).content.decode()
    assert f'data-socket-url="/ws/share/{link.token}/chat/"' in html
    assert visitor.cookies["sessionid"].value  # the visitor's conversations hang on it
    # Nor whom the owner chats with: visitors get no addressee choice.
    for secret in ("Owner talk", "/p/sam/", "Manage", "#training", "Alex", "Jo<", "Talking to"):
        assert secret not in html
    assert '<input type="hidden" id="chat-addressee" value="">' in html
    visit = Conversation.objects.create(
        persona=persona, share_link=link, visitor_key=f"session:{visitor.session.session_key}",
        title="Visitor talk",
    )
    assert "Visitor talk" in visitor.get(reverse("shared_chat", args=[link.token])).content.decode()
    assert "Visitor talk" not in client.get(reverse("persona_chat", args=["sam"])).content.decode()
    other_visitor = Client()
    other = other_visitor.get(reverse("shared_chat", args=[link.token]) + f"?c={visit.pk}")
    assert other.status_code == 404

    client.post(reverse("persona_share_revoke", args=["sam", link.pk]))
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert visitor.get(reverse("shared_chat", args=[link.token])).status_code == 404


def test_share_with_user_and_remove(client, persona):
    friend = User.objects.create_user("bo", password="x-long-pw-1")
    client.force_login(persona.owner)
    client.post(reverse("persona_share_user", args=["sam"]), {"username": "bo"})
    assert list(persona.shared_with.all()) == [friend]
    response = client.post(
        reverse("persona_share_user", args=["sam"]), {"username": "nobody"}, follow=True
    )
    assert b"No other user with that name" in response.content
    entry = Persona.shared_with.through.objects.get(persona=persona, user=friend)
    response = client.post(reverse("persona_unshare_user", args=["sam", entry.pk]), follow=True)
    assert b"bo can no longer chat with Sam" in response.content
    assert not persona.shared_with.exists()


def test_unsharing_names_only_users_of_this_personas_share_list(client, persona, make_persona):
    """The remove URL takes a share entry's id: a user id of anyone else names nobody."""
    friend = User.objects.create_user("bo", password="x-long-pw-1")
    stranger = User.objects.create_user("carl-the-secret", password="x-long-pw-1")
    other = make_persona("dan", "dans", name="Dan's")
    other.shared_with.add(stranger)
    persona.shared_with.add(friend)
    client.force_login(persona.owner)
    others_entry = Persona.shared_with.through.objects.get(persona=other)
    for wanted in (stranger.pk, others_entry.pk, 10**6):
        response = client.post(reverse("persona_unshare_user", args=["sam", wanted]))
        assert response.status_code == 404 and b"carl" not in response.content
    assert list(persona.shared_with.all()) == [friend] and other.shared_with.exists()
    page = client.get(reverse("persona_detail", args=["sam"])).content.decode()
    mine = Persona.shared_with.through.objects.get(persona=persona)
    assert reverse("persona_unshare_user", args=["sam", mine.pk]) in page


def test_share_by_name_lookups_are_bounded(client, persona, settings):
    """The share list has to show whom it names, so guessing names is rate-limited instead."""
    settings.SHARE_LOOKUP_LIMIT = 3
    User.objects.create_user("bo", password="x-long-pw-1")
    client.force_login(persona.owner)
    url = reverse("persona_share_user", args=["sam"])
    for guess in ("al", "ben", "cy"):
        response = client.post(url, {"username": guess}, follow=True)
        assert b"No other user with that name" in response.content
    response = client.post(url, {"username": "bo"}, follow=True)
    assert b"Too many names tried" in response.content
    assert not persona.shared_with.exists()


@pytest.mark.parametrize("value", ["%C2%B2", "%D9%A1", "1e3", "-1", "99999999999999999999999"])
def test_a_conversation_id_that_is_not_one_is_a_404(client, persona, value):
    """`?c=²` was a 500 with a settings dump under debug: "²".isdigit() but int("²") fails."""
    client.force_login(persona.owner)
    assert client.get(reverse("persona_chat", args=["sam"]) + f"?c={value}").status_code == 404
    link = ShareLink.objects.create(persona=persona)
    visitor = Client()
    assert visitor.get(reverse("shared_chat", args=[link.token]) + f"?c={value}").status_code == 404
