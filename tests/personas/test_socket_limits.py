"""Websockets per user and per client address are capped; idle training sockets close."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from personas.models import Persona, TrainingRun
from tests.personas.support import session_headers

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def persona_of(username: str) -> Persona:
    user = User.objects.create_user(username, password="x-long-pw-1")
    return Persona.objects.create(owner=user, slug="me", name="Me")


async def open_from(address: str, headers) -> tuple[WebsocketCommunicator, bool]:
    """A training socket from a client at `address`, as Daphne's scope names it."""
    from avatar_site.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/personas/me/training/", headers)
    communicator.scope["client"] = [address, 50000]
    connected, _ = await communicator.connect()
    if not connected:
        await communicator.disconnect()
    return communicator, connected


async def test_sockets_per_user_are_capped_until_one_closes(media_root, settings):
    settings.WS_MAX_PER_USER = 2
    headers = await session_headers(Client(), (await persona_of("ana")).owner)
    first, ok_first = await open_from("10.0.0.1", headers)
    second, ok_second = await open_from("10.0.0.2", headers)  # the cap follows the user
    third, ok_third = await open_from("10.0.0.3", headers)
    assert (ok_first, ok_second, ok_third) == (True, True, False)

    await first.disconnect()
    again, ok_again = await open_from("10.0.0.3", headers)
    assert ok_again
    for communicator in (second, again):
        await communicator.disconnect()


async def test_sockets_per_address_are_capped_across_users(media_root, settings):
    settings.WS_MAX_PER_ADDRESS = 2
    users = [await persona_of(name) for name in ("ana", "bo", "cy")]
    opened = [
        await open_from("10.0.0.9", await session_headers(Client(), persona.owner))
        for persona in users
    ]
    assert [connected for _, connected in opened] == [True, True, False]
    elsewhere, connected = await open_from("10.0.0.10", await session_headers(
        Client(), users[2].owner
    ))
    assert connected
    for communicator, _ in [*opened[:2], (elsewhere, True)]:
        await communicator.disconnect()


async def test_training_socket_closes_when_idle_but_not_while_a_run_is_active(
    media_root, settings
):
    settings.CHAT_IDLE_TIMEOUT_S = 1
    idle = await persona_of("ana")
    busy = await persona_of("bo")
    await database_sync_to_async(TrainingRun.objects.create)(persona=busy)  # queued
    idle_socket, _ = await open_from("10.0.0.1", await session_headers(Client(), idle.owner))
    busy_socket, _ = await open_from("10.0.0.2", await session_headers(Client(), busy.owner))

    assert (await idle_socket.receive_json_from(timeout=5))["status"] == "none"
    assert (await idle_socket.receive_json_from(timeout=5))["type"] == "error"
    assert (await idle_socket.receive_output(timeout=5))["code"] == 4408

    assert (await busy_socket.receive_json_from(timeout=5))["status"] == "queued"
    assert await busy_socket.receive_nothing(timeout=2)  # well past the timeout, still open
    await busy_socket.disconnect()
