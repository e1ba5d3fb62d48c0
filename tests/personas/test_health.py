import pytest
from django.contrib.auth.models import User
from django.db import connection

pytestmark = pytest.mark.django_db

CHECKS = {"database", "channel_layer", "queue", "storage"}


def test_all_services_ok_without_login(client, tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }}
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    # The probe file was written, read back and removed.
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert response["Cache-Control"].startswith("max-age=0")


def test_reports_the_configured_backends(client, settings):
    checks = client.get("/healthz").json()["checks"]
    expected_layer = "RedisChannelLayer" if settings.REDIS_URL else "InMemoryChannelLayer"
    expected_queue = "RQBackend" if settings.REDIS_URL else "DatabaseBackend"
    assert checks["channel_layer"]["backend"] == expected_layer
    assert checks["queue"]["backend"] == expected_queue
    assert checks["database"]["vendor"] == connection.vendor


def test_broken_storage_gives_503_and_names_only_that_check(client, tmp_path, settings):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "media")},
    }}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["storage"] == {
        "ok": False, "error": "NotADirectoryError", "ms": body["checks"]["storage"]["ms"]
    }
    assert {name for name, c in body["checks"].items() if c["ok"]} == CHECKS - {"storage"}
    assert str(tmp_path) not in response.content.decode()


def test_unreachable_channel_layer_gives_503(client, settings):
    # Port 9 (discard) has no Redis on it: the round trip must fail, not hang.
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
    }}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["ok"] is False


def test_reveals_no_user_data(client):
    User.objects.create_user("private-person", password="correct-horse-battery-42")
    response = client.get("/healthz")
    assert b"private-person" not in response.content


def test_only_safe_methods(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
