"""Websocket consumers without a trained model: who may connect, and bad frames."""

import asyncio
import json

import hypothesis
import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from hypothesis import strategies as st

from personas.models import ChatMessage, Conversation, Persona, TrainingRun
from tests.personas.support import ORIGIN, next_frame, open_socket, session_headers

pytestmark = pytest.mark.django_db(transaction=True)

@database_sync_to_async
def make_persona(username="ana", slug="me") -> Persona:
    user = User.objects.filter(username=username).first() or User.objects.create_user(
        username, password="x-long-pw-1"
    )
    return Persona.objects.create(owner=user, slug=slug, name=slug.title())


async def test_strangers_and_anonymous_are_refused(client, media_root):
    persona = await make_persona()
    stranger = await database_sync_to_async(User.objects.create_user)("bo", password="x-long-pw-1")
    headers = await session_headers(client, stranger)
    for path in ("/ws/personas/me/chat/", "/ws/personas/me/training/"):
        _, connected, code = await open_socket(path, headers)
        assert not connected and code == 4404
        _, connected, _ = await open_socket(path, ORIGIN)
        assert not connected
    # Once shared with, bo may chat but still not see training.
    await database_sync_to_async(persona.shared_with.add)(stranger)
    communicator, connected, _ = await open_socket("/ws/personas/me/chat/", headers)
    assert connected
    await communicator.disconnect()
    _, connected, _ = await open_socket("/ws/personas/me/training/", headers)
    assert not connected


async def test_bad_frames_get_error_frames_and_the_socket_stays(client, media_root, settings):
    settings.CHAT_MAX_MESSAGE_CHARS = 50
    persona = await make_persona()
    communicator, connected, _ = await open_socket(
        "/ws/personas/me/chat/", await session_headers(client, persona.owner)
    )
    assert connected
    bad_frames = [
        {"text_data": "not json {"},
        {"text_data": "[1, 2]"},
        {"text_data": '{"type": "dance"}'},
        {"bytes_data": b"\x00\xff binary"},
        {"text_data": '{"type": "message", "text": "   "}'},
        {"text_data": '{"type": "message", "text": 42}'},
        {"text_data": '{"type": "message", "text": "' + "x" * 51 + '"}'},
        {"text_data": "x" * 100_000},
        {"text_data": '{"type": "message", "text": "hi", "strategy": "shout"}'},
        {"text_data": '{"type": "message", "text": "hi", "temperature": "hot"}'},
        {"text_data": '{"type": "message", "text": "hi", "conversation": "../1"}'},
        {"text_data": '{"type": "message", "text": "hi", "conversation": 99999}'},
        # Values that passed the checks but broke int() or the database (closed with 1011).
        {"text_data": '{"type": "message", "text": "hi", "top_k": 1e999}'},
        {"text_data": '{"type": "message", "text": "hi", "max_length": -Infinity}'},
        {"text_data": '{"type": "message", "text": "hi", "conversation": "\u00b2"}'},
        {"text_data": '{"type": "message", "text": "hi", "conversation": 1e999}'},
        {"text_data": '{"type": "message", "text": "hi", "conversation": ' + "9" * 30 + "}"},
        {"text_data": '{"type": "message", "text": "hi", "conversation": true}'},
        {"text_data": '{"type": "message", "text": "hi", "strategy": "beam", "beam_width": 1e999}'},
        # Nesting past Python's recursion limit stops json.loads.
        {"text_data": "[" * 1500 + "]" * 1500},
    ]
    for frame in bad_frames:
        await communicator.send_to(**frame)
        reply = await communicator.receive_json_from(timeout=5)
        assert reply["type"] == "error" and reply["error"], frame
    # Well-formed, but nothing to answer with yet: a clear error, nothing half-saved.
    await communicator.send_json_to({"type": "message", "text": "hello"})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "conversation"
    error = await communicator.receive_json_from(timeout=10)
    assert error == {"type": "error", "error": "Me has no trained model yet. Train it first."}
    assert await database_sync_to_async(ChatMessage.objects.count)() == 0
    await communicator.disconnect()


async def test_rate_limit_holds_across_sockets(client, media_root, settings):
    settings.CHAT_RATE_LIMIT = 2
    persona = await make_persona()
    headers = await session_headers(client, persona.owner)
    sockets = [(await open_socket("/ws/personas/me/chat/", headers))[0] for _ in range(3)]
    replies = await send_at_once(sockets)
    assert [r["type"] for r in replies].count("conversation") == 2
    assert any("2 messages a minute" in r.get("error", "") for r in replies)
    for communicator in sockets:
        await communicator.disconnect()


async def send_at_once(sockets) -> list[dict]:
    """One message on each socket, all sent before any reply is read; the first frame of each."""
    for communicator in sockets:
        await communicator.send_json_to({"type": "message", "text": "hi"})
    return [await communicator.receive_json_from(timeout=10) for communicator in sockets]


async def test_share_visitors_without_cookies_share_the_limit_of_their_address(
    media_root, settings
):
    """A visitor without a session cookie gets a new visitor key per socket."""
    settings.CHAT_RATE_LIMIT = 5
    persona = await make_persona()
    link = await database_sync_to_async(persona.share_links.create)()
    path = f"/ws/share/{link.token}/chat/"
    sockets = [(await open_socket(path, ORIGIN))[0] for _ in range(8)]
    replies = await send_at_once(sockets)
    assert [r["type"] for r in replies].count("conversation") == 5
    for communicator in sockets:
        await communicator.disconnect()


async def test_a_share_link_has_a_limit_of_its_own(media_root, settings):
    settings.CHAT_RATE_LIMIT, settings.CHAT_SHARE_LINK_RATE_LIMIT = 100, 3
    persona = await make_persona()
    link = await database_sync_to_async(persona.share_links.create)()
    path = f"/ws/share/{link.token}/chat/"
    sockets = [(await open_socket(path, ORIGIN))[0] for _ in range(5)]
    replies = await send_at_once(sockets)
    assert [r["type"] for r in replies].count("conversation") == 3
    assert any("This link" in r.get("error", "") for r in replies), replies
    for communicator in sockets:
        await communicator.disconnect()


async def signed_in_client(username: str):
    """A test client logged in through the login form (its own session)."""
    from django.test import AsyncClient

    other = AsyncClient()
    response = await other.post(
        "/accounts/login/", {"username": username, "password": "x-long-pw-1"}
    )
    assert response.status_code == 302
    return other


def socket_headers(client) -> list[tuple[bytes, bytes]]:
    return ORIGIN + [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def assert_closed_as_signed_out(communicator):
    await communicator.send_json_to({"type": "message", "text": "still me?"})
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["type"] == "error" and "signed out" in reply["error"]
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close", "code": 4401
    }


async def test_sockets_close_after_logout(media_root):
    persona = await make_persona()
    link = await database_sync_to_async(persona.share_links.create)()
    browser = await signed_in_client("ana")
    paths = ["/ws/personas/me/chat/", f"/ws/share/{link.token}/chat/", "/ws/ping/"]
    sockets = [(await open_socket(path, socket_headers(browser)))[0] for path in paths]
    training, connected, _ = await open_socket("/ws/personas/me/training/", socket_headers(browser))
    assert connected
    await training.receive_json_from(timeout=5)
    assert (await browser.post("/accounts/logout/")).status_code == 302
    for communicator in sockets:
        await assert_closed_as_signed_out(communicator)
    await training.send_json_to({"type": "cancel"})
    frame = await training.receive_json_from(timeout=5)
    assert frame["type"] == "error" and "signed out" in frame["error"]
    assert (await training.receive_output(timeout=5))["code"] == 4401


async def test_password_change_closes_the_other_sessions_sockets(media_root):
    await make_persona()
    stolen, mine = await signed_in_client("ana"), await signed_in_client("ana")
    elsewhere, _, _ = await open_socket("/ws/personas/me/chat/", socket_headers(stolen))
    here, _, _ = await open_socket("/ws/personas/me/chat/", socket_headers(mine))
    response = await mine.post(
        "/accounts/password/",
        {"old_password": "x-long-pw-1", "new_password1": "N3w-long-pw!",
         "new_password2": "N3w-long-pw!"},
    )
    assert response.status_code == 302
    await assert_closed_as_signed_out(elsewhere)
    # The browser that changed it stays signed in under a new session key (Django cycles it),
    # so its page's socket closes too and reconnects with the new cookie.
    await assert_closed_as_signed_out(here)
    again, connected, _ = await open_socket("/ws/personas/me/chat/", socket_headers(mine))
    assert connected
    await again.send_json_to({"type": "message", "text": "still me?"})
    assert (await again.receive_json_from(timeout=5))["type"] == "conversation"
    await again.receive_json_from(timeout=5)  # no model yet
    await again.disconnect()
    _, connected, _ = await open_socket("/ws/personas/me/chat/", socket_headers(stolen))
    assert not connected


async def test_idle_socket_is_closed(client, media_root, settings):
    settings.CHAT_IDLE_TIMEOUT_S = 1
    persona = await make_persona()
    communicator, _, _ = await open_socket(
        "/ws/personas/me/chat/", await session_headers(client, persona.owner)
    )
    reply = await communicator.receive_json_from(timeout=5)
    assert reply["type"] == "error" and "without messages" in reply["error"]
    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close", "code": 4408
    }


async def test_share_link_lets_anonymous_visitors_in_until_revoked(media_root):
    persona = await make_persona()
    link = await database_sync_to_async(persona.share_links.create)()
    communicator, connected, _ = await open_socket(f"/ws/share/{link.token}/chat/", ORIGIN)
    assert connected
    await database_sync_to_async(link.revoke)()
    await communicator.send_json_to({"type": "message", "text": "still there?"})
    reply = await communicator.receive_json_from(timeout=5)
    assert reply == {"type": "error", "error": "You no longer have access to this persona."}
    await communicator.disconnect()
    _, connected, _ = await open_socket(f"/ws/share/{link.token}/chat/", ORIGIN)
    assert not connected
    _, connected, _ = await open_socket("/ws/share/not-a-token/chat/", ORIGIN)
    assert not connected


async def test_share_visitors_cannot_choose_an_addressee(media_root):
    persona = await make_persona()
    link = await database_sync_to_async(persona.share_links.create)()
    communicator, _, _ = await open_socket(f"/ws/share/{link.token}/chat/", ORIGIN)
    await communicator.send_json_to({"type": "message", "text": "hi", "addressee": "Alex"})
    reply = await communicator.receive_json_from(timeout=5)
    assert reply == {"type": "error", "error": "Share-link visitors cannot choose an addressee."}
    # What the page sends: no addressee.
    await communicator.send_json_to({"type": "message", "text": "hi", "addressee": None})
    assert (await communicator.receive_json_from(timeout=5))["type"] == "conversation"
    await communicator.receive_json_from(timeout=5)  # no model yet
    await communicator.disconnect()
    assert await database_sync_to_async(
        lambda: list(Conversation.objects.values_list("addressee", flat=True))
    )() == [""]


async def test_training_socket_follows_the_database_row(client, media_root):
    persona = await make_persona()
    communicator, connected, _ = await open_socket(
        "/ws/personas/me/training/", await session_headers(client, persona.owner)
    )
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "progress" and first["run"] is None and first["status"] == "none"

    run = await database_sync_to_async(TrainingRun.objects.create)(
        persona=persona, status="running", step=3, total_steps=10, epoch=1, train_loss=2.5,
        history=[{"step": 3, "epoch": 1, "train_loss": 2.5, "val_perplexity": None}],
    )
    frame = await communicator.receive_json_from(timeout=5)
    assert (frame["run"], frame["status"], frame["step"], frame["percent"]) == (
        run.pk, "running", 3, 30
    )
    assert frame["history"][0]["train_loss"] == 2.5

    # A worker on the channel layer can push between polls.
    await asyncio.sleep(0.1)
    pushed = {**frame, "step": 4, "percent": 40}
    await get_channel_layer().group_send(
        f"training-{run.pk}", {"type": "push", "frame": pushed}
    )
    assert (await communicator.receive_json_from(timeout=5))["step"] == 4

    await communicator.send_json_to({"type": "cancel"})
    frame = await communicator.receive_json_from(timeout=5)
    while not frame["cancel_requested"]:
        frame = await communicator.receive_json_from(timeout=5)
    assert frame["status"] == "running"
    await communicator.send_to(text_data="garbage")
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    await communicator.disconnect()


async def read_reply(communicator) -> tuple[int, list[str], dict, list[dict]]:
    """Frames of one reply: conversation id, token texts, the end frame, other frames
    (notices, and status frames while the model loads)."""
    conversation_id, tokens, others = None, [], []
    while True:
        frame = await communicator.receive_json_from(timeout=30)
        if frame["type"] == "conversation":
            conversation_id = frame["id"]
        elif frame["type"] in ("token", "end"):
            assert conversation_id is not None, "the conversation frame comes first"
            if frame["type"] == "end":
                return conversation_id, tokens, frame, others
            tokens.append(frame["text"])
        else:
            assert frame["type"] in ("notice", "status"), frame
            others.append(frame)


@database_sync_to_async
def saved_messages(conversation_id: int) -> list[tuple[str, str]]:
    return list(
        ChatMessage.objects.filter(conversation_id=conversation_id).values_list("role", "text")
    )


async def test_reply_streams_in_order_and_is_saved(client, install_model, tiny_artifact):
    persona = await make_persona()
    await database_sync_to_async(install_model)(persona, tiny_artifact)
    communicator, connected, _ = await open_socket(
        "/ws/personas/me/chat/", await session_headers(client, persona.owner)
    )
    assert connected
    await communicator.send_json_to(
        {"type": "message", "text": "how are you", "conversation": None, "addressee": "Alex"}
    )
    conversation_id, tokens, end, _ = await read_reply(communicator)
    assert len(tokens) >= 2
    assert end["text"] == "".join(tokens)
    assert await saved_messages(conversation_id) == [
        ("user", "how are you"), ("persona", end["text"])
    ]
    conversation = await database_sync_to_async(Conversation.objects.get)(pk=conversation_id)
    assert (conversation.user_id, conversation.addressee) == (persona.owner_id, "Alex")

    # The next message continues the same conversation, from the database.
    await communicator.send_json_to(
        {"type": "message", "text": "bye", "conversation": conversation_id, "strategy": "sample",
         "temperature": 0.8}
    )
    again, tokens, end, _ = await read_reply(communicator)
    assert again == conversation_id and tokens
    assert len(await saved_messages(conversation_id)) == 4
    await communicator.disconnect()


async def test_two_chats_at_once_both_stream(client, install_model, tiny_artifact):
    persona = await make_persona()
    await database_sync_to_async(install_model)(persona, tiny_artifact)
    link = await database_sync_to_async(persona.share_links.create)()
    headers = await session_headers(client, persona.owner)
    owner, _, _ = await open_socket("/ws/personas/me/chat/", headers)
    visitor, connected, _ = await open_socket(f"/ws/share/{link.token}/chat/", ORIGIN)
    assert connected
    await owner.send_json_to({"type": "message", "text": "hi"})
    await visitor.send_json_to({"type": "message", "text": "hi"})
    replies = await asyncio.gather(read_reply(owner), read_reply(visitor))
    mine, theirs = replies[0][0], replies[1][0]

    @database_sync_to_async
    def owners():
        return {c.pk: (c.user_id, c.share_link_id) for c in Conversation.objects.all()}

    assert await owners() == {mine: (persona.owner_id, None), theirs: (None, link.pk)}
    # A visitor cannot continue the owner's conversation.
    await visitor.send_json_to({"type": "message", "text": "hi", "conversation": mine})
    assert (await next_frame(visitor))["error"] == "No such conversation."
    await owner.disconnect()
    await visitor.disconnect()


async def test_the_model_loads_as_the_chat_opens(client, install_model, tiny_artifact):
    persona = await make_persona()
    await database_sync_to_async(install_model)(persona, tiny_artifact)
    link = await database_sync_to_async(persona.share_links.create)()
    # A share visitor's socket wakes the model too, and learns nothing but that it loads.
    visitor, connected, _ = await open_socket(f"/ws/share/{link.token}/chat/", ORIGIN)
    assert connected
    assert await visitor.receive_json_from(timeout=5) == {"type": "status", "state": "waking"}
    assert await visitor.receive_json_from(timeout=60) == {"type": "status", "state": "ready"}
    await visitor.disconnect()

    # Loaded in this process: the next socket has nothing to wait for, nor has its reply.
    headers = await session_headers(client, persona.owner)
    owner, _, _ = await open_socket("/ws/personas/me/chat/", headers)
    assert await owner.receive_nothing(timeout=0.3)
    await owner.send_json_to({"type": "message", "text": "hi"})
    _, tokens, _, others = await read_reply(owner)
    assert tokens and others == []
    await owner.disconnect()


async def test_a_message_resent_after_a_drop_is_saved_once(client, install_model, tiny_artifact):
    persona = await make_persona()
    await database_sync_to_async(install_model)(persona, tiny_artifact)
    headers = await session_headers(client, persona.owner)
    first, _, _ = await open_socket("/ws/personas/me/chat/", headers)
    await first.send_json_to({"type": "message", "text": "still there?"})
    conversation_id, _, end, _ = await read_reply(first)
    await first.disconnect()

    # The client lost the end frame and sends the message again on a new socket: the saved
    # reply comes back, nothing is decoded or saved again.
    again, _, _ = await open_socket("/ws/personas/me/chat/", headers)
    await again.send_json_to(
        {"type": "message", "text": "still there?", "conversation": conversation_id,
         "resend": True}
    )
    same, tokens, resent_end, _ = await read_reply(again)
    assert (same, tokens, resent_end) == (conversation_id, [], end)
    assert await saved_messages(conversation_id) == [
        ("user", "still there?"), ("persona", end["text"])
    ]
    await again.disconnect()


FRAME_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
)
MESSAGE_LIKE = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "cancel", "", "MESSAGE"])},
    optional={
        key: FRAME_VALUES
        for key in ("text", "conversation", "addressee", "strategy", "temperature", "top_k")
    },
).map(json.dumps)
FRAMES = st.one_of(
    st.text(min_size=1, max_size=200), MESSAGE_LIKE, st.binary(min_size=1, max_size=50)
)


@hypothesis.settings(
    max_examples=25, deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(frames=st.lists(FRAMES, min_size=1, max_size=8))
def test_fuzzed_frames_only_ever_get_clean_answers(frames, client, media_root):
    async def scenario():
        persona = await database_sync_to_async(
            Persona.objects.select_related("owner").filter(slug="me").first
        )() or await make_persona()
        communicator, connected, _ = await open_socket(
            "/ws/personas/me/chat/", await session_headers(client, persona.owner)
        )
        assert connected
        for frame in frames:
            if isinstance(frame, bytes):
                await communicator.send_to(bytes_data=frame)
            else:
                await communicator.send_to(text_data=frame)
            reply = await communicator.receive_json_from(timeout=10)
            if reply["type"] == "conversation":  # valid message, but no model to answer
                reply = await communicator.receive_json_from(timeout=10)
            assert reply["type"] == "error" and isinstance(reply["error"], str), reply
        assert await communicator.receive_nothing(timeout=0.05)
        await communicator.disconnect()

    async_to_sync(scenario)()
