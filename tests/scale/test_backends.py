"""The environment alone switches the app onto PostgreSQL and Redis, for real."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.scale.servers import (
    POSTGRES_URL,
    REDIS_URL,
    needs_postgres,
    needs_redis,
    postgres_connection,
)

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> str:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base | env,
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@needs_postgres
def test_migrations_apply_cleanly_on_a_fresh_postgres_database():
    name = f"digitalyou_migrate_{uuid.uuid4().hex[:8]}"
    with postgres_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {"DATABASE_URL": POSTGRES_URL.rsplit("/", 1)[0] + "/" + name}
        manage("migrate", "--noinput", env=env)
        plan = manage("showmigrations", "--plan", env=env)
        assert "[X]  personas.0001_initial" in plan
        assert "[ ]" not in plan
        with postgres_connection(name) as db:
            tables = {row[0] for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )}
        task_table = "django_tasks_database_dbtaskresult"
        assert {"personas_persona", "personas_trainingrun", task_table} <= tables
    finally:
        with postgres_connection() as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


PROBE = """
import json, sys
import django
django.setup()
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django_tasks import task_backends

mode, channel = sys.argv[1], sys.argv[2]
layer = get_channel_layer()
if mode == "send":
    async_to_sync(layer.send)(channel, {"type": "probe", "text": "across processes"})
    cache.set(channel, "cached in another process", 60)
    print(json.dumps({
        "layer": type(layer).__name__,
        "tasks": type(task_backends["default"]).__name__,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
    }))
else:
    message = async_to_sync(layer.receive)(channel)
    print(json.dumps({"message": message, "cache": cache.get(channel)}))
"""


@needs_redis
def test_redis_url_carries_channel_messages_and_cache_between_processes():
    env = {"REDIS_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "avatar_site.settings"}
    channel = f"scale-probe-{uuid.uuid4().hex}"

    def probe(mode: str) -> dict:
        base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        result = subprocess.run(
            [sys.executable, "-c", PROBE, mode, channel], cwd=ROOT, env=base | env,
            capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    sent = probe("send")
    assert sent == {"layer": "RedisChannelLayer", "tasks": "RQBackend", "cache": "RedisCache"}
    received = probe("receive")
    assert received["message"] == {"type": "probe", "text": "across processes"}
    assert received["cache"] == "cached in another process"
