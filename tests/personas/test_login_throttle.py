import time

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-42"
THROTTLED = b"Too many failed login attempts"


@pytest.fixture(autouse=True)
def fast_hashing_and_empty_cache(settings):
    # A fast hasher keeps a burst of failures well inside the short windows used below.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ana():
    return User.objects.create_user("ana", password=PASSWORD)


def login(client, password, username="ana", address="127.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(client, times, **kwargs):
    for _ in range(times):
        response = login(client, "wrong-password", **kwargs)
        assert response.status_code == 200


def logged_in(client):
    return client.get("/").status_code == 200


@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_five_failures_lock_out_even_the_right_password(client, ana):
    fail(client, 4)
    # The fifth failure already tells the user about the lock.
    assert THROTTLED in login(client, "wrong-password").content
    response = login(client, PASSWORD)
    assert response.status_code == 200
    assert THROTTLED in response.content
    assert not logged_in(client)


@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_four_failures_still_allow_the_owner_in_and_reset_the_count(client, ana):
    fail(client, 4)
    assert login(client, PASSWORD).status_code == 302
    assert logged_in(client)
    client.post(reverse("logout"))
    fail(client, 4)
    assert login(client, PASSWORD).status_code == 302


@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_wrong_password_message_is_unchanged_before_the_limit(client, ana):
    response = login(client, "wrong-password")
    assert b"Please enter a correct username and password" in response.content
    assert THROTTLED not in response.content


@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_lock_is_per_username_and_address(client, ana):
    User.objects.create_user("bo", password=PASSWORD)
    fail(client, 5)
    assert THROTTLED in login(client, PASSWORD).content
    assert login(client, PASSWORD, username="bo").status_code == 302
    client.post(reverse("logout"))
    assert login(client, PASSWORD, address="10.1.2.3").status_code == 302


@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_username_case_does_not_dodge_the_lock(client, ana):
    fail(client, 5, username="ANA")
    assert THROTTLED in login(client, PASSWORD).content


@override_settings(LOGIN_THROTTLE_FAILURES=3, LOGIN_THROTTLE_WINDOW_S=1)
def test_lock_lifts_when_the_window_passes(client, ana):
    fail(client, 3)
    assert THROTTLED in login(client, PASSWORD).content
    time.sleep(1.3)
    assert login(client, PASSWORD).status_code == 302
    assert logged_in(client)


@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_admin_login_is_throttled_too(client):
    User.objects.create_superuser("root", password=PASSWORD)
    fail(client, 5, username="root")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
