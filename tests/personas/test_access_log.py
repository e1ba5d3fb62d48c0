"""Share tokens never reach the logs: access lines and Django's own warnings redact them."""

import io
import logging

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.contrib.auth.models import User

from personas.access_log import RedactShareTokens
from personas.models import Persona
from tests.personas.support import ORIGIN, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def log_output():
    """What the configured console handler writes (the one operators' log files get)."""
    import avatar_site.asgi  # noqa: F401  (its django.setup() configures logging anew)

    handler = next(
        h for h in logging.getLogger().handlers
        if any(isinstance(f, RedactShareTokens) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@database_sync_to_async
def share_links():
    owner = User.objects.create_user("ana", password="x-long-pw-1")
    persona = Persona.objects.create(owner=owner, slug="me", name="Me")
    revoked = persona.share_links.create()
    revoked.revoke()
    return persona.share_links.create(), revoked


async def get(path: str) -> int:
    from avatar_site.asgi import application

    communicator = HttpCommunicator(application, "GET", path, headers=ORIGIN)
    status = (await communicator.get_response(timeout=10))["status"]
    await communicator.wait()
    return status


async def test_share_tokens_are_redacted_in_access_lines_and_warnings(media_root, log_output):
    link, revoked = await share_links()
    assert await get(f"/s/{link.token}/") == 200
    assert await get(f"/s/{revoked.token}/") == 404
    communicator, connected, _ = await open_socket(f"/ws/share/{link.token}/chat/", ORIGIN)
    assert connected
    await communicator.disconnect()
    await open_socket(f"/ws/share/{revoked.token}/chat/", ORIGIN)

    logged = log_output.getvalue()
    assert link.token not in logged and revoked.token not in logged
    assert '"GET /s/<redacted>/" 200' in logged
    assert '"GET /s/<redacted>/" 404' in logged
    assert "Not Found: /s/<redacted>/" in logged
    assert '"WS /ws/share/<redacted>/chat/" accepted' in logged
    assert '"WS /ws/share/<redacted>/chat/" refused' in logged


def test_servers_leave_the_access_log_to_the_app():
    """Daphne's own access log (on at its default verbosity) would print raw paths."""
    from tests.personas.support import REPO

    for script in ("bin/run.sh", "bin/run-scaled.sh"):
        starts = [line for line in (REPO / script).read_text().splitlines() if "daphne " in line]
        assert starts and all(" -v 0 " in line for line in starts), script
