"""Authorization matrix: every URL and websocket route, as every kind of visitor.

Olga owns a persona with data, a model, a conversation and a share link; Mallory is another
user with her own persona; Sam is a user Olga shared the persona with; Stan is staff (not a
superuser); the visitor is anonymous but opened the share link. For each route and role the
expected status is listed, and no response may contain data of an account the role has no
right to. New routes must be added to the tables: the test fails on any unlisted one.
"""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from personas.models import (
    ChatMessage,
    Conversation,
    DataFile,
    ModelVersion,
    Persona,
    ShareLink,
    TrainingRun,
)
from personas.routing import websocket_urlpatterns
from personas.services.uploads import parse_data_file, store_upload
from tests.personas.support import ORIGIN, next_frame, open_socket

PASSWORD = "correct-horse-battery-42"
ROLES = ("anonymous", "owner", "other", "staff", "shared", "visitor")

# Olga's data. Each string is unique so any appearance in a response is a leak.
OLGA = {
    "persona": "Olga Quillfeather",
    "file": "olga-zx81-export.txt",
    "chat_words": "quartzlemon",  # inside the uploaded export
    "message": "my-private-thought-4410",
    "title": "olga-conversation-title-5521",
    "metric": "987.654",
    "contact": "Bartholomew",  # the other side of her chats (a model addressee)
}
# What a user the persona is shared with may see: the persona, its model's headline figures
# and whom it can talk to; never files, chat data or conversations. A share-link visitor may
# see still less: not the owner's contacts either.
SHARED_MAY_SEE = {"persona", "metric", "contact"}
SHARE_LINK_MAY_SEE = {"persona", "metric"}
MALLORY = {"persona": "Mallory Nightshade", "file": "mallory-vk22-export.txt"}

EXPORT = "\n".join(
    [
        "02/03/2024, 08:41 - Bartholomew: morning, quartzlemon plans today?",
        "02/03/2024, 08:42 - Olga: quartzlemon yes, the usual place",
        "02/03/2024, 08:43 - Bartholomew: great see you at six",
        "02/03/2024, 08:44 - Olga: see you then quartzlemon",
    ]
)

_ = None  # not exercised here (the owner's own state changes are covered by feature tests)


def row(anonymous, owner, other, staff, shared, visitor):
    return dict(zip(ROLES, (anonymous, owner, other, staff, shared, visitor), strict=True))


OWNER_PAGE = row(302, 200, 404, 404, 404, 302)
OWNER_POST_ONLY = {
    "GET": row(302, 405, 405, 405, 405, 302),
    "POST": row(302, _, 404, 404, 404, 302),
}
LOGGED_IN_PAGE = row(302, 200, 200, 200, 200, 302)
ANONYMOUS_PAGE = row(200, 302, 302, 302, 302, 200)

# url name -> {method: row}. Slugs, ids and tokens are Olga's.
HTTP_MATRIX = {
    "healthz": {"GET": row(200, 200, 200, 200, 200, 200)},
    "signup": {"GET": ANONYMOUS_PAGE},
    "login": {"GET": ANONYMOUS_PAGE},
    "logout": {"GET": row(405, 405, 405, 405, 405, 405)},
    "password_change": {"GET": LOGGED_IN_PAGE},
    "password_change_done": {"GET": LOGGED_IN_PAGE},
    "dashboard": {"GET": LOGGED_IN_PAGE},
    "base_model_status": {"GET": LOGGED_IN_PAGE},
    "persona_create": {"GET": row(302, 405, 405, 405, 405, 302)},
    "persona_detail": {"GET": OWNER_PAGE, "POST": row(302, _, 404, 404, 404, 302)},
    "persona_status": {"GET": OWNER_PAGE, "POST": row(302, 405, 405, 405, 405, 302)},
    "persona_corpus": {"GET": OWNER_PAGE},
    "persona_model_download": {"GET": OWNER_PAGE},
    "persona_delete": {"GET": OWNER_PAGE, "POST": row(302, _, 404, 404, 404, 302)},
    "persona_identity": OWNER_POST_ONLY,
    "persona_reply_mode": OWNER_POST_ONLY,
    "persona_upload": OWNER_POST_ONLY,
    "persona_file_remove": OWNER_POST_ONLY,
    "persona_file_retry": OWNER_POST_ONLY,
    "persona_train": OWNER_POST_ONLY,
    "persona_run_cancel": OWNER_POST_ONLY,
    "persona_version_activate": OWNER_POST_ONLY,
    "persona_share_create": OWNER_POST_ONLY,
    "persona_share_revoke": OWNER_POST_ONLY,
    "persona_share_user": OWNER_POST_ONLY,
    "persona_unshare_user": OWNER_POST_ONLY,
    "persona_chat": {
        "GET": row(302, 200, 404, 404, 200, 302),
        "POST": row(302, _, 404, 404, 200, 302),
    },
    "delete_conversation": {
        "GET": row(302, 405, 405, 405, 405, 302),
        # Sam may chat with the persona but not delete Olga's conversation.
        "POST": row(302, _, 404, 404, 404, 302),
    },
    "shared_chat": {"GET": row(200, 200, 200, 200, 200, 200)},
    "delete_shared_conversation": {
        "GET": row(405, 405, 405, 405, 405, 405),
        # The conversation belongs to another share-link visitor: nobody else may delete it.
        "POST": row(404, 404, 404, 404, 404, 404),
    },
}


def url_names(patterns, prefix=""):
    """Every named URL of the site except the admin's (tested below), with its namespace."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            yield from url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_world() -> dict:
    olga = User.objects.create_user("olga", password=PASSWORD)
    mallory = User.objects.create_user("mallory", password=PASSWORD)
    sam = User.objects.create_user("sam", password=PASSWORD)
    stan = User.objects.create_user("stan", password=PASSWORD, is_staff=True)

    persona = Persona.objects.create(owner=olga, slug="me", name=OLGA["persona"])
    data_file = parse_data_file(
        store_upload(persona, SimpleUploadedFile(OLGA["file"], EXPORT.encode()))
    )
    assert data_file.status == DataFile.Status.PARSED, data_file.error
    persona.identities = ["Olga"]
    persona.shared_with.add(sam)
    run = TrainingRun.objects.create(persona=persona, status=TrainingRun.Status.SUCCEEDED)
    artifact = f"models/{olga.pk}/{persona.pk}/run-{run.pk}/artifact"
    default_storage.save(f"{artifact}/config.json", ContentFile(b"{}"))
    version = ModelVersion.objects.create(
        persona=persona, run=run, version=1, artifact_path=artifact,
        metrics={"perplexity": float(OLGA["metric"])}, addressees=[OLGA["contact"]],
    )
    persona.active_model = version
    persona.save()
    conversation = Conversation.objects.create(persona=persona, user=olga, title=OLGA["title"])
    ChatMessage.objects.create(conversation=conversation, role="user", text=OLGA["message"])
    link = ShareLink.objects.create(persona=persona)
    stranger_chat = Conversation.objects.create(
        persona=persona, share_link=link, visitor_key="session:someone-else", title="visitor"
    )

    theirs = Persona.objects.create(owner=mallory, slug="mine", name=MALLORY["persona"])
    parse_data_file(store_upload(theirs, SimpleUploadedFile(MALLORY["file"], EXPORT.encode())))

    clients = {role: Client() for role in ROLES}
    for role, user in {"owner": olga, "other": mallory, "staff": stan, "shared": sam}.items():
        clients[role].force_login(user)
    assert clients["visitor"].get(reverse("shared_chat", args=[link.token])).status_code == 200

    kwargs = {
        "slug": persona.slug,
        "token": link.token,
        "file_id": data_file.pk,
        "run_id": run.pk,
        "version_id": version.pk,
        "link_id": link.pk,
        "share_id": Persona.shared_with.through.objects.get(persona=persona, user=sam).pk,
        "fmt": "yml",
    }
    return {
        "clients": clients, "kwargs": kwargs, "persona": persona, "users": (olga, mallory),
        "conversation": conversation, "stranger_chat": stranger_chat, "link": link,
    }


@pytest.fixture
def world(db, media_root, fast_hashing):
    return build_world()


async def async_world() -> dict:
    return await database_sync_to_async(build_world)()


def world_params(name: str) -> set[str]:
    possibilities = get_resolver().reverse_dict.getlist(name)[0][0]
    return set(possibilities[0][1])


def url_for(name: str, world) -> str:
    params = world_params(name)
    kwargs = {key: value for key, value in world["kwargs"].items() if key in params}
    if "conversation_id" in params:
        chat = world["stranger_chat"] if "token" in params else world["conversation"]
        kwargs["conversation_id"] = chat.pk
    return reverse(name, kwargs=kwargs)


def snapshot() -> dict:
    """Everything an unauthorized request could change."""
    return {
        model.__name__: sorted(map(repr, model.objects.values()))
        for model in (Persona, DataFile, TrainingRun, ModelVersion, ShareLink, Conversation,
                      ChatMessage, Persona.shared_with.through)
    }


def forbidden_strings(role: str, via_share_link: bool) -> list[str]:
    # Whoever holds the share link is a share visitor on its pages, whatever their account.
    if via_share_link or role == "visitor":
        allowed = SHARE_LINK_MAY_SEE
    else:
        allowed = SHARED_MAY_SEE if role == "shared" else set()
    olga = [value for key, value in OLGA.items() if key not in allowed]
    return (olga if role != "owner" else []) + (list(MALLORY.values()) if role != "other" else [])


def check_no_leak(role: str, response, where: str, via_share_link: bool = False) -> None:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    leaked = [s for s in forbidden_strings(role, via_share_link) if s in text]
    assert not leaked, f"{where} as {role} shows {leaked}"


def test_every_url_is_in_the_matrix():
    assert sorted(url_names(get_resolver().url_patterns)) == sorted(HTTP_MATRIX)


@pytest.mark.parametrize("name", sorted(HTTP_MATRIX))
def test_http_matrix(world, name):
    url = url_for(name, world)
    before = snapshot()
    for method, expected in HTTP_MATRIX[name].items():
        for role, status in expected.items():
            if status is None:
                continue
            client = world["clients"][role]
            response = client.get(url) if method == "GET" else client.post(url, {"name": "x"})
            where = f"{method} {url}"
            assert response.status_code == status, f"{where} as {role}"
            if status == 302:
                assert not response["Location"].startswith("http"), "redirect off the site"
            check_no_leak(role, response, where, via_share_link="token" in world_params(name))
    # Only the owner may change Olga's data, and no owner request was made here.
    assert snapshot() == before


def test_owner_pages_show_only_her_own_data(world):
    """The positive side: the matrix would pass for a site that shows nothing at all."""
    client = world["clients"]["owner"]
    detail = client.get(url_for("persona_detail", world)).content.decode()
    assert OLGA["persona"] in detail and OLGA["file"] in detail
    chat = client.get(url_for("persona_chat", world) + f"?c={world['conversation'].pk}")
    assert OLGA["message"] in chat.content.decode()
    corpus = client.get(url_for("persona_corpus", world))
    assert OLGA["chat_words"] in b"".join(corpus.streaming_content if corpus.streaming
                                          else [corpus.content]).decode()
    other = world["clients"]["other"].get("/").content.decode()
    assert MALLORY["persona"] in other and OLGA["persona"] not in other
    # Slugs are unique per owner only: the same slug leads each user to their own persona.
    Persona.objects.create(owner=world["users"][1], slug="me", name="Mallory Twin")
    for name in ("persona_detail", "persona_chat"):
        page = world["clients"]["other"].get(url_for(name, world))
        assert page.status_code == 200
        assert "Mallory Twin" in page.content.decode()
        check_no_leak("other", page, name)


def test_state_changing_forms_refuse_a_missing_csrf_token(world):
    """Every POST endpoint, as its owner, without the CSRF token: 403 and nothing changes."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][0])
    before = snapshot()
    for name in sorted(HTTP_MATRIX):
        expected = HTTP_MATRIX[name]
        if "POST" in expected or expected["GET"]["owner"] == 405:
            response = client.post(url_for(name, world), {"name": "x"})
            assert response.status_code == 403, name
    for name in ("login", "signup", "logout"):
        assert Client(enforce_csrf_checks=True).post(reverse(name)).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ["anonymous", "owner", "staff"])
def test_admin_needs_staff_and_model_permissions(world, role):
    client = world["clients"][role]
    index = client.get("/admin/")
    assert index.status_code == (200 if role == "staff" else 302)
    for model in ("persona", "datafile", "conversation", "chatmessage"):
        response = client.get(f"/admin/personas/{model}/")
        # Staff without model permissions is refused; nobody else gets past the login.
        assert response.status_code == (403 if role == "staff" else 302), model
        check_no_leak(role, response, f"admin {model}")


# Websockets: route -> role -> accepted?
WS_MATRIX = {
    "ws/ping/": row(False, True, True, True, True, False),
    "ws/personas/<slug:slug>/chat/": row(False, True, False, False, True, False),
    "ws/personas/<slug:slug>/training/": row(False, True, False, False, False, False),
    "ws/share/<str:token>/chat/": row(True, True, True, True, True, True),
}


def ws_path(route: str, world) -> str:
    return "/" + route.replace("<slug:slug>", world["kwargs"]["slug"]).replace(
        "<str:token>", world["kwargs"]["token"]
    )


def socket_headers(client) -> list[tuple[bytes, bytes]]:
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    return [*ORIGIN, (b"cookie", cookie.encode())]


async def connect(path: str, client):
    communicator, connected, _ = await open_socket(path, socket_headers(client))
    return communicator, connected


def test_every_websocket_route_is_in_the_matrix():
    assert sorted(str(p.pattern) for p in websocket_urlpatterns) == sorted(WS_MATRIX)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WS_MATRIX))
async def test_websocket_matrix(route, media_root, fast_hashing):
    world_ = await async_world()
    path = ws_path(route, world_)
    for role, accepted in WS_MATRIX[route].items():
        communicator, connected = await connect(path, world_["clients"][role])
        assert connected is accepted, f"{path} as {role}"
        if connected and route.endswith("training/"):
            frame = await communicator.receive_json_from(timeout=5)
            assert frame["type"] == "progress"
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_revoked_share_link_refuses_sockets(media_root, fast_hashing):
    world_ = await async_world()
    await database_sync_to_async(world_["link"].revoke)()
    path = ws_path("ws/share/<str:token>/chat/", world_)
    for role in ROLES:
        communicator, connected = await connect(path, world_["clients"][role])
        assert not connected, role


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("other", "/ws/personas/mine/chat/"),  # Mallory, on her own persona's socket
        ("shared", "/ws/personas/me/chat/"),  # Sam chats with Olga's persona
        ("visitor", "/ws/share/{token}/chat/"),
        ("owner", "/ws/share/{token}/chat/"),  # a share conversation is not hers either
    ],
)
async def test_nobody_continues_someone_elses_conversation(role, path, media_root, fast_hashing):
    world_ = await async_world()
    count = await database_sync_to_async(ChatMessage.objects.count)()
    path = path.format(token=world_["kwargs"]["token"])
    communicator, connected = await connect(path, world_["clients"][role])
    assert connected
    for conversation in (world_["conversation"], world_["stranger_chat"]):
        await communicator.send_json_to(
            {"type": "message", "text": "let me in", "conversation": conversation.pk}
        )
        frame = await next_frame(communicator)
        assert frame == {"type": "error", "error": "No such conversation."}
    await communicator.disconnect()
    assert await database_sync_to_async(ChatMessage.objects.count)() == count
