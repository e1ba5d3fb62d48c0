"""The websocket Origin check: the same rule Django's CSRF check applies to form posts.

A browser sends every websocket handshake with the Origin of the page that opened it, and
a page on another origin (another port or scheme of the same host too) must not ride on the
user's session cookie. channels' AllowedHostsOriginValidator compares the host name alone,
so http://127.0.0.1:6666 passed for a site on http://127.0.0.1:8000."""

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _allowed_hosts() -> list[str]:
    # Django's own fallback while debugging with ALLOWED_HOSTS empty (HttpRequest.get_host).
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


def _is_secure(scope) -> bool:
    """wss, or a TLS-terminating proxy's header when the settings trust it."""
    if scope.get("scheme") == "wss":
        return True
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, expected = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        return _header(scope, header) == expected
    return False


def site_origin(scope) -> str | None:
    """scheme://host[:port] of the site the handshake was sent to; None for a Host header
    outside ALLOWED_HOSTS."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    return f"{'https' if _is_secure(scope) else 'http'}://{host}"


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False
    return origin == site_origin(scope) or origin in settings.CSRF_TRUSTED_ORIGINS


class SameOriginValidator:
    """ASGI middleware: refuses a websocket handshake unless its Origin is the site's own
    (scheme, host and port) or one of CSRF_TRUSTED_ORIGINS."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
