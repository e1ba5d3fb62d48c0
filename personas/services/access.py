"""Who may see or chat with a persona. Lookups that fail raise Http404, never 403, so a
stranger cannot tell whether someone else's persona exists."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.http import Http404

from personas.models import Conversation, Persona, ShareLink


@dataclass(frozen=True, slots=True)
class ChatAccess:
    """Whose chat this is: conversations are kept apart per (persona, user | share visitor)."""

    persona: Persona
    user_id: int | None
    share_link: ShareLink | None = None
    visitor_key: str = ""

    def conversations(self):
        found = Conversation.objects.filter(persona=self.persona, share_link=self.share_link)
        if self.share_link is None:
            return found.filter(user_id=self.user_id)
        return found.filter(visitor_key=self.visitor_key)

    def new_conversation(self, addressee: str = "", title: str = "") -> Conversation:
        conversation = Conversation.objects.create(
            persona=self.persona,
            user_id=self.user_id,
            share_link=self.share_link,
            visitor_key=self.visitor_key,
            addressee=addressee,
            title=title,
        )
        if self.share_link is not None:
            self._expire_old_visitor_conversations()
        return conversation

    def _expire_old_visitor_conversations(self) -> None:
        """Anyone holding a link can start conversations, so the owner's database keeps only
        the most recently active SHARE_LINK_MAX_CONVERSATIONS of each link."""
        old = Conversation.objects.filter(share_link=self.share_link).order_by(
            "-updated_at", "-pk"
        )[settings.SHARE_LINK_MAX_CONVERSATIONS:]
        Conversation.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()


def persona_for_owner(user, slug: str) -> Persona:
    """The user's own persona with this slug."""
    if not user.is_authenticated:
        raise Http404("No such persona.")
    try:
        return Persona.objects.select_related("active_model").get(owner=user, slug=slug)
    except Persona.DoesNotExist:
        raise Http404("No such persona.") from None


def persona_for_chat(user, slug: str) -> Persona:
    """A persona the user owns or that was shared with them (their own wins a slug clash)."""
    if not user.is_authenticated:
        raise Http404("No such persona.")
    found = (
        Persona.objects.select_related("active_model")
        .filter(Q(owner=user) | Q(shared_with=user), slug=slug)
        .distinct()
    )
    persona = min(found, key=lambda p: (p.owner_id != user.pk, p.pk), default=None)
    if persona is None:
        raise Http404("No such persona.")
    return persona


def share_link_for_token(token: str) -> ShareLink:
    """An active (not revoked) share link."""
    link = (
        ShareLink.objects.select_related("persona", "persona__active_model")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if link is None:
        raise Http404("This link does not exist or was revoked.")
    return link


def visitor_key(user, session_key: str | None) -> str:
    """Identifies a share-link visitor: their account, else their session, else this socket."""
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if session_key:
        return f"session:{session_key}"
    return f"socket:{secrets.token_urlsafe(16)}"


def chat_access_for_user(user, slug: str) -> ChatAccess:
    return ChatAccess(persona=persona_for_chat(user, slug), user_id=user.pk)


def chat_access_for_share(token: str, user, visitor: str) -> ChatAccess:
    """Access through a share link; visitor is the key from visitor_key()."""
    link = share_link_for_token(token)
    signed_in = user is not None and user.is_authenticated
    return ChatAccess(
        persona=link.persona,
        user_id=user.pk if signed_in else None,
        share_link=link,
        visitor_key=visitor,
    )
