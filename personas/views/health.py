"""GET /healthz: is every service this process depends on usable right now?

For load balancers and monitors, so it needs no login and reveals no user data: each check
reports ok plus, on failure, only the exception class (details go to the log).
"""

import asyncio
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

logger = logging.getLogger(__name__)

CHANNEL_TIMEOUT_S = 3.0


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


async def check_channel_layer() -> dict:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.probe", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), CHANNEL_TIMEOUT_S)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")
    return {"backend": type(layer).__name__}


def check_queue() -> dict:
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    name = type(backend).__name__
    if name == "RQBackend":
        import django_rq
        from rq import Worker

        # Every queue shares the one Redis: the first one's connection reaches it.
        redis = django_rq.get_connection(settings.TASK_QUEUES[0])
        redis.ping()
        return {"backend": name, "workers": Worker.count(connection=redis)}
    if name == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()
    return {"backend": name}


def check_storage() -> dict:
    storage = storages["default"]
    payload = uuid.uuid4().bytes
    name = storage.save(f"healthz/probe-{uuid.uuid4().hex}", ContentFile(payload))
    try:
        with storage.open(name, "rb") as probe:
            if probe.read() != payload:
                raise RuntimeError("storage returned other bytes")
    finally:
        storage.delete(name)
    return {"backend": type(storage).__name__}


async def _run(name: str, check) -> dict:
    started = time.perf_counter()
    try:
        if asyncio.iscoroutinefunction(check):
            detail = await check()
        else:
            detail = await sync_to_async(check)()
        result = {"ok": True, **detail}
    except Exception as exc:  # any failure makes the check fail; the reason goes to the log
        logger.exception("health check %s failed", name)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


CHECKS = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "queue": check_queue,
    "storage": check_storage,
}


@never_cache
@require_safe
async def healthz(request):
    results = await asyncio.gather(*(_run(name, check) for name, check in CHECKS.items()))
    checks = dict(zip(CHECKS, results, strict=True))
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "error", "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)
