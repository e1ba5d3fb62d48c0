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


@pytest.mark.parametrize(
    "origin",
    [
        b"http://127.0.0.1:6666",  # another port of the same host
        b"https://127.0.0.1:8000",  # another scheme
        b"http://127.0.0.1",  # the default port is another port
        b"http://127.0.0.1:8000.evil.example",
        b"null",
    ],
)
async def test_origin_must_match_scheme_host_and_port(client, origin):
    user = await database_sync_to_async(User.objects.create_user)("bo", password="x-long-pw-1")
    headers = await session_headers(client, user)
    _, connected, _ = await open_socket("/ws/ping/", [(b"origin", origin)] + headers[1:])
    assert not connected
    # The page of the site itself is accepted.
    communicator, connected, _ = await open_socket("/ws/ping/", headers)
    assert connected
    await communicator.disconnect()


async def test_trusted_origins_and_tls_proxy(client, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://you.example"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    user = await database_sync_to_async(User.objects.create_user)("bo", password="x-long-pw-1")
    cookie = (await session_headers(client, user))[-1]
    host = (b"host", b"127.0.0.1:8000")
    proxied = (b"x-forwarded-proto", b"https")
    accepted = [
        [(b"origin", b"https://you.example"), host, cookie],
        [(b"origin", b"https://127.0.0.1:8000"), host, proxied, cookie],
    ]
    refused = [
        [(b"origin", b"http://you.example"), host, cookie],
        [(b"origin", b"http://127.0.0.1:8000"), host, proxied, cookie],
        # A Host outside ALLOWED_HOSTS is no origin of this site, even when they match.
        [(b"origin", b"http://evil.example"), (b"host", b"evil.example"), cookie],
    ]
    for headers in accepted + refused:
        communicator, connected, _ = await open_socket("/ws/ping/", headers)
        assert connected is (headers in accepted), headers
        await communicator.disconnect()
