"""Login throttling: after too many failed logins for one username from one address, refuse
every attempt for that pair (even with the right password) until the window has passed.

Counts live in Django's cache (Redis when REDIS_URL is set), so all web processes share them.
The address is REMOTE_ADDR: X-Forwarded-For is not trusted because any client can forge it.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError

THROTTLED_MESSAGE = (
    "Too many failed login attempts. Please try again later (in at most %(minutes)d minutes)."
)


def count_hit(key: str, window_s: int) -> int:
    """Adds one to a counter that lives window_s seconds from its first hit and returns the new
    count. add() and incr() are each atomic (Redis INCR; the local-memory cache under its lock),
    so concurrent requests each get a count of their own."""
    for _ in range(2):
        cache.add(key, 0, timeout=window_s)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: start a new window
            continue
    return 1


def share_lookups_exhausted(owner_id: int) -> bool:
    """Counts one share-by-name lookup of an owner. The share list must show whom a name
    found, so the answer cannot hide that a user exists; the number of guesses is bounded."""
    hits = count_hit(f"share-lookups:{owner_id}", settings.SHARE_LOOKUP_WINDOW_S)
    return hits > settings.SHARE_LOOKUP_LIMIT


def _key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    digest = hashlib.sha256(f"{username.casefold()}\0{address}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_blocked(request, username: str | None) -> bool:
    if not username:
        return False
    return cache.get(_key(request, username), 0) >= settings.LOGIN_THROTTLE_FAILURES


def record_failure(request, username: str) -> None:
    key = _key(request, username)
    # The window starts at the first failure and is not extended by later ones.
    cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW_S)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_S)


def clear_failures(request, username: str) -> None:
    cache.delete(_key(request, username))


class ThrottledModelBackend(ModelBackend):
    """ModelBackend that refuses blocked username/address pairs on every login path (admin too)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if login_blocked(request, username):
            raise PermissionDenied("too many failed logins")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if username:
            if user is None:
                record_failure(request, username)
            else:
                clear_failures(request, username)
        return user


class ThrottledAuthenticationForm(AuthenticationForm):
    """Login form that says clearly when a refusal is the throttle, not a wrong password."""

    def get_invalid_login_error(self):
        if login_blocked(self.request, self.cleaned_data.get("username")):
            minutes = max(1, round(settings.LOGIN_THROTTLE_WINDOW_S / 60))
            return ValidationError(
                THROTTLED_MESSAGE, code="throttled", params={"minutes": minutes}
            )
        return super().get_invalid_login_error()
