"""The chat page, for the owner and users it was shared with, and for share-link visitors
(who see only the chat: no data, files, training or anyone else's conversations)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from modeling.options import DEFAULT_STRATEGY
from modeling.options import STRATEGIES as MODEL_STRATEGIES
from personas.parsing import parse_id
from personas.services.access import (
    ChatAccess,
    chat_access_for_share,
    chat_access_for_user,
    visitor_key,
)
from personas.views.summary import headline

LABELS = {
    "greedy": "Most likely (greedy)",
    "beam": "Careful (beam search)",
    "sample": "Playful (sampling)",
    "rerank": "Best of several (reranked)",
}
# The default first: it is what the page selects.
STRATEGIES = [(s, LABELS[s]) for s in sorted(MODEL_STRATEGIES, key=lambda s: s != DEFAULT_STRATEGY)]


def _share_access(request, token: str) -> ChatAccess:
    """Anonymous visitors are told apart by their session: make sure they have one."""
    if not request.user.is_authenticated and not request.session.session_key:
        request.session["share_visitor"] = True
        request.session.save()
    visitor = visitor_key(request.user, request.session.session_key)
    return chat_access_for_share(token, request.user, visitor)


def _current(access: ChatAccess, request):
    wanted = request.GET.get("c", "")
    if not wanted:
        return None
    conversation_id = parse_id(wanted)
    if conversation_id is None:
        raise Http404("No such conversation.")
    conversation = access.conversations().filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _render(request, access: ChatAccess, *, page_url: str, socket_url: str, delete_name: str,
            delete_args: list):
    persona = access.persona
    conversation = _current(access, request)
    conversations = list(access.conversations())
    model = persona.active_model
    return render(
        request,
        "personas/chat.html",
        {
            "persona": persona,
            "is_owner": request.user.is_authenticated and persona.owner_id == request.user.pk,
            "is_share_visitor": access.share_link is not None,
            "model": model,
            "headline": headline(model.metrics if model else None),
            # The people the owner chats with are not for share-link visitors to see.
            "addressees": sorted(model.addressees) if model and not access.share_link else [],
            "strategies": STRATEGIES,
            "conversation": conversation,
            "chat_messages": list(conversation.messages.all()) if conversation else [],
            "conversations": [
                (c, reverse(delete_name, args=[*delete_args, c.pk])) for c in conversations
            ],
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
            "page_url": page_url,
            "socket_url": socket_url,
        },
    )


@login_required
def persona_chat(request, slug):
    access = chat_access_for_user(request.user, slug)
    return _render(
        request,
        access,
        page_url=reverse("persona_chat", args=[slug]),
        socket_url=f"/ws/personas/{slug}/chat/",
        delete_name="delete_conversation",
        delete_args=[slug],
    )


def shared_chat(request, token):
    access = _share_access(request, token)
    return _render(
        request,
        access,
        page_url=reverse("shared_chat", args=[token]),
        socket_url=f"/ws/share/{token}/chat/",
        delete_name="delete_shared_conversation",
        delete_args=[token],
    )


def _delete(request, access: ChatAccess, page_url: str, conversation_id: int):
    conversation = access.conversations().filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404("No such conversation.")
    conversation.delete()
    messages.success(request, "Conversation deleted.")
    return redirect(page_url)


@login_required
@require_POST
def delete_conversation(request, slug, conversation_id):
    access = chat_access_for_user(request.user, slug)
    return _delete(request, access, reverse("persona_chat", args=[slug]), conversation_id)


@require_POST
def delete_shared_conversation(request, token, conversation_id):
    access = _share_access(request, token)
    return _delete(request, access, reverse("shared_chat", args=[token]), conversation_id)
