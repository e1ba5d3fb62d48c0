import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connections
from django.test import Client, override_settings
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


class CountingHasher(MD5PasswordHasher):
    """MD5, slowed down so that concurrent logins overlap, counting the passwords it checks."""

    checked = 0
    lock = threading.Lock()

    def verify(self, password, encoded):
        with CountingHasher.lock:
            CountingHasher.checked += 1
        time.sleep(0.05)
        return super().verify(password, encoded)


@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_THROTTLE_FAILURES=5)
def test_a_concurrent_burst_gets_no_more_guesses_than_the_limit(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    User.objects.create_user("ana", password=PASSWORD)
    CountingHasher.checked = 0
    start = threading.Barrier(12)

    def guess(_):
        start.wait()
        try:
            return login(Client(), "wrong-password").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert set(pool.map(guess, range(12))) == {200}
    assert CountingHasher.checked == 5
    # Locked: the right password is refused without being checked.
    response = login(Client(), PASSWORD)
    assert THROTTLED in response.content and CountingHasher.checked == 5


@override_settings(LOGIN_THROTTLE_FAILURES=3)
def test_the_old_password_check_of_a_password_change_is_throttled(client, ana):
    client.force_login(ana)

    def change(old):
        return client.post(
            reverse("password_change"),
            {"old_password": old, "new_password1": "N3w-long-pw!", "new_password2": "N3w-long-pw!"},
        )

    for _ in range(3):
        assert b"Your old password was entered incorrectly" in change("guess").content
    response = change(PASSWORD)
    assert response.status_code == 200 and b"Too many wrong passwords" in response.content
    ana.refresh_from_db()
    assert ana.check_password(PASSWORD)


def test_sign_up_is_throttled_per_address(client, settings):
    settings.SIGNUP_THROTTLE_ATTEMPTS = 2

    def sign_up(username, address="10.0.0.1"):
        return Client().post(
            reverse("signup"),
            {"username": username, "password1": PASSWORD, "password2": PASSWORD},
            REMOTE_ADDR=address,
        )

    assert sign_up("ana").status_code == 302
    assert b"already exists" in sign_up("ana").content
    refused = sign_up("bo")
    assert refused.status_code == 200 and b"Too many sign-ups" in refused.content
    assert b"already exists" not in sign_up("ana").content  # no more answers about names
    assert not User.objects.filter(username="bo").exists()
    assert sign_up("bo", address="10.0.0.2").status_code == 302
