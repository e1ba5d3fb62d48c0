import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404

from personas.services import access

pytestmark = pytest.mark.django_db


def test_owner_lookup_hides_other_users_personas(make_persona):
    mine = make_persona("ana", "me")
    make_persona("bo", "secret")
    ana = mine.owner
    assert access.persona_for_owner(ana, "me") == mine
    for slug in ("secret", "missing"):
        with pytest.raises(Http404):
            access.persona_for_owner(ana, slug)
    with pytest.raises(Http404):
        access.persona_for_owner(AnonymousUser(), "me")


def test_chat_lookup_allows_shared_users_and_prefers_own(make_persona):
    shared = make_persona("bo", "me")
    bo = shared.owner
    cy = User.objects.create_user("cy", password="x-long-pw-1")
    with pytest.raises(Http404):
        access.persona_for_chat(cy, "me")
    shared.shared_with.add(cy)
    assert access.persona_for_chat(cy, "me") == shared
    own = make_persona("cy", "me")
    assert access.persona_for_chat(cy, "me") == own
    assert access.persona_for_chat(bo, "me") == shared


def test_share_links_keep_visitors_apart(make_persona):
    persona = make_persona()
    link = persona.share_links.create()
    owner = access.chat_access_for_user(persona.owner, "me")
    visitor = access.chat_access_for_share(link.token, AnonymousUser(), "session:abc")
    other = access.chat_access_for_share(link.token, AnonymousUser(), "session:xyz")
    mine = owner.new_conversation()
    theirs = visitor.new_conversation(addressee="Alex")
    assert list(owner.conversations()) == [mine]
    assert list(visitor.conversations()) == [theirs]
    assert list(other.conversations()) == []
    link.revoke()
    with pytest.raises(Http404):
        access.share_link_for_token(link.token)


def test_visitor_keys():
    user = User(pk=7, username="x")
    assert access.visitor_key(user, "s1") == "user:7"
    assert access.visitor_key(AnonymousUser(), "s1") == "session:s1"
    first, second = (access.visitor_key(AnonymousUser(), None) for _ in range(2))
    assert first.startswith("socket:") and first != second


def test_visitor_conversations_per_link_are_capped_oldest_first(make_persona, settings):
    settings.SHARE_LINK_MAX_CONVERSATIONS = 2
    persona = make_persona()
    link, other_link = persona.share_links.create(), persona.share_links.create()
    owner = access.chat_access_for_user(persona.owner, "me").new_conversation()
    kept = access.chat_access_for_share(other_link.token, AnonymousUser(), "session:o")
    elsewhere = kept.new_conversation()
    visitors = [
        access.chat_access_for_share(link.token, AnonymousUser(), f"session:{n}")
        for n in range(3)
    ]
    oldest, middle, newest = (visitor.new_conversation() for visitor in visitors)
    remaining = set(persona.conversations.values_list("pk", flat=True))
    assert remaining == {owner.pk, elsewhere.pk, middle.pk, newest.pk}
    assert oldest.pk not in remaining
