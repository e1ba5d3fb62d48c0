"""Throttling of password guesses and account probing.

Login: after too many failed logins for one username from one address, every attempt for that
pair is refused (even with the right password) until the window has passed. Each attempt takes
its number from an atomic counter before its password is checked, so a concurrent burst gets
no more guesses than the limit. The old-password check of a password change counts the same
way per account, and sign-ups (each one says whether a name is taken) per address.

Counts live in Django's cache (Redis when REDIS_URL is set), so all web processes share them.
The address is REMOTE_ADDR: X-Forwarded-For is not trusted because any client can forge it.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
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


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _key(request, username: str) -> str:
    digest = hashlib.sha256(f"{username.casefold()}\0{_address(request)}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_blocked(request, username: str | None) -> bool:
    if not username:
        return False
    return cache.get(_key(request, username), 0) >= settings.LOGIN_THROTTLE_FAILURES


def guess_allowed(key: str) -> bool:
    """Counts a password guess before it is checked; False once the limit is used up. The
    window starts at the first guess and is not extended by later ones."""
    return count_hit(key, settings.LOGIN_THROTTLE_WINDOW_S) <= settings.LOGIN_THROTTLE_FAILURES


class ThrottledModelBackend(ModelBackend):
    """ModelBackend that refuses blocked username/address pairs on every login path (admin too).
    A right password clears the count; a wrong one stays counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username:
            return super().authenticate(request, username=username, password=password, **kwargs)
        key = _key(request, username)
        if not guess_allowed(key):
            raise PermissionDenied("too many failed logins")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            cache.delete(key)
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


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """The old-password check is a password guess too (e.g. by someone holding a stolen
    session, to take the account over): counted per account like logins."""

    def clean_old_password(self):
        key = f"password-check:{self.user.pk}"
        if not guess_allowed(key):
            minutes = max(1, round(settings.LOGIN_THROTTLE_WINDOW_S / 60))
            raise ValidationError(
                "Too many wrong passwords. Please try again later (in at most %(minutes)d "
                "minutes).", code="throttled", params={"minutes": minutes},
            )
        old_password = super().clean_old_password()
        cache.delete(key)
        return old_password


def signup_allowed(request) -> bool:
    """Counts a sign-up attempt of the client's address; each one tells whether a username is
    taken, so they are bounded like password guesses."""
    key = f"signups:{hashlib.sha256(_address(request).encode()).hexdigest()}"
    return count_hit(key, settings.SIGNUP_THROTTLE_WINDOW_S) <= settings.SIGNUP_THROTTLE_ATTEMPTS
