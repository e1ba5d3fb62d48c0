"""The PostgreSQL and Redis servers the scale-out tests use, and whether they answer."""

import os
from functools import cache

import dj_database_url
import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

POSTGRES_URL = os.environ.get("SCALE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/15")


@cache
def postgres_answers() -> bool:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@cache
def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def postgres_connection(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(POSTGRES_URL, dbname=dbname, autocommit=True)


def suite_on_servers() -> bool:
    """True when this test process itself runs on PostgreSQL and Redis (CI's second run)."""
    return connection.vendor == "postgresql" and bool(settings.REDIS_URL)


def database_url_of_test_db() -> str:
    """DATABASE_URL that points subprocesses at the test database pytest-django created."""
    db = settings.DATABASES["default"]
    url = dj_database_url.parse(settings.DATABASE_URL)
    auth = url["USER"] + (f":{url['PASSWORD']}" if url["PASSWORD"] else "")
    return f"postgres://{auth}@{url['HOST']}:{url['PORT'] or 5432}/{db['NAME']}"


needs_postgres = pytest.mark.skipif(
    not postgres_answers(), reason="PostgreSQL on 127.0.0.1:5432 does not answer"
)
needs_redis = pytest.mark.skipif(
    not redis_answers(), reason="Redis on 127.0.0.1:6379 does not answer"
)
# Multi-process tests share the test database with their subprocesses, so the suite itself
# must run on the servers (CI's second run: DATABASE_URL + REDIS_URL).
needs_suite_on_servers = pytest.mark.skipif(
    not (postgres_answers() and redis_answers() and settings.DATABASE_URL and settings.REDIS_URL),
    reason="run with DATABASE_URL=postgres://… and REDIS_URL=redis://… (CI's second run)",
)
