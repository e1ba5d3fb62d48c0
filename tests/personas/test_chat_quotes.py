"""Quote mode over the websocket: every chat replies in the persona's mode, and only the owner,
in their own chat, is told where a quoted reply was said."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import Client

from personas.models import Conversation, Persona
from tests.personas.support import ORIGIN, open_socket, session_headers

pytestmark = pytest.mark.django_db(transaction=True)

ASKED = "what is your new phone number"
QUOTE = "it is <phone> now, the old one is gone"  # Sam's real reply, masked


async def reply_frames(communicator, text: str) -> list[dict]:
    """Every frame of one reply, up to and with its end frame."""
    await communicator.send_json_to({"type": "message", "text": text})
    frames = [await communicator.receive_json_from(timeout=30)]
    while frames[-1]["type"] not in ("end", "error"):
        frames.append(await communicator.receive_json_from(timeout=30))
    return frames


async def ask(path: str, headers) -> list[dict]:
    communicator, connected, _ = await open_socket(path, headers)
    assert connected
    frames = await reply_frames(communicator, ASKED)
    assert await communicator.receive_nothing(timeout=0.2)  # nothing comes after the end
    await communicator.disconnect()
    return frames


@database_sync_to_async
def quoting_persona(install_model, artifact) -> tuple[Persona, User, str]:
    """Sam's persona in quote mode, shared with bo and through a link."""
    owner = User.objects.create_user("sam", password="x-long-pw-1")
    persona = Persona.objects.create(owner=owner, slug="sam", name="Sam", reply_mode="quote")
    install_model(persona, artifact)
    friend = User.objects.create_user("bo", password="x-long-pw-1")
    persona.shared_with.add(friend)
    return persona, friend, persona.share_links.create().token


async def test_provenance_reaches_the_owner_and_no_one_else(
    client, install_model, quoting_artifact
):
    persona, friend, token = await quoting_persona(install_model, quoting_artifact)
    owner_headers = await session_headers(client, persona.owner)
    owner = await ask("/ws/personas/sam/chat/", owner_headers)
    assert owner[-1]["type"] == "end" and owner[-1]["text"] == QUOTE
    assert [f for f in owner if f["type"] == "provenance"] == [
        {"type": "provenance", "text": "from your chat with Mom, 2019-04-16"}
    ]
    others = {
        # Its own client: logging bo in on the owner's would end the owner's session.
        "shared user": await ask("/ws/personas/sam/chat/", await session_headers(Client(), friend)),
        "share visitor": await ask(f"/ws/share/{token}/chat/", ORIGIN),
        "owner via the share link": await ask(f"/ws/share/{token}/chat/", owner_headers),
    }
    for who, frames in others.items():
        # The persona's mode holds for them too: the same quote, masks kept ...
        assert frames[-1]["type"] == "end" and frames[-1]["text"] == QUOTE, who
        # ... but not whom it was said to, or when.
        assert {f["type"] for f in frames} == {"conversation", "token", "end"}, who
        assert not any("Mom" in str(f) or "2019" in str(f) for f in frames), who
    via_link = await database_sync_to_async(Conversation.objects.get)(
        pk=others["owner via the share link"][0]["id"]
    )
    assert (via_link.user_id, via_link.share_link_id is not None) == (persona.owner_id, True)
