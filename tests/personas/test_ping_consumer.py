import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from avatar_site.asgi import application
from tests.personas.support import ORIGIN, open_socket, session_headers

pytestmark = pytest.mark.django_db(transaction=True)

async def test_logged_in_socket_gets_pong(client):
    user = await database_sync_to_async(User.objects.create_user)("ana", password="x-long-pw-1")
    communicator = WebsocketCommunicator(
        application, "/ws/ping/", headers=await session_headers(client, user)
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong", "user": "ana"}
    await communicator.send_to(text_data="not json {")
    assert (await communicator.receive_json_from())["type"] == "error"
    await communicator.disconnect()


async def test_anonymous_socket_is_refused():
    _, connected, _ = await open_socket("/ws/ping/", ORIGIN)
    assert not connected


async def test_foreign_origin_is_refused(client):
    user = await database_sync_to_async(User.objects.create_user)("bo", password="x-long-pw-1")
    headers = await session_headers(client, user)
    headers = [(b"origin", b"http://evil.example")] + headers[1:]
    _, connected, _ = await open_socket("/ws/ping/", headers)
    assert not connected
