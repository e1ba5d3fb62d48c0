"""The access log, with share-link tokens redacted.

A share token in a URL is the whole of a visitor's credential, so it must not reach log files
(where operators, log shippers and backups see it). Daphne's own access log writes raw paths
to stdout, so the servers run with it off (`daphne -v 0`) and this middleware logs requests
instead; a filter on the log handlers redacts tokens in every other message too (Django's
"Not Found: /s/<token>/" warnings, for instance)."""

import logging
import re
import time

logger = logging.getLogger("digitalyou.access")

# /s/<token>/... (share page and its conversations) and /ws/share/<token>/chat/.
SHARE_TOKEN = re.compile(r"(/(?:ws/share|s)/)[A-Za-z0-9_-]+")
REDACTED = r"\1<redacted>"


def redact(text: str) -> str:
    return SHARE_TOKEN.sub(REDACTED, text)


class RedactShareTokens(logging.Filter):
    """Handler filter: rewrites each record's message with share tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _client(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "-"


class AccessLogMiddleware:
    """ASGI middleware: one line per HTTP response and per websocket handshake."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            return await self.application(scope, receive, self._http_logger(scope, send))
        if scope["type"] == "websocket":
            return await self.application(scope, receive, self._websocket_logger(scope, send))
        return await self.application(scope, receive, send)

    def _http_logger(self, scope, send):
        started = time.monotonic()
        response = {"status": "-", "size": 0}

        async def logged_send(message):
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
            elif message["type"] == "http.response.body":
                response["size"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    logger.info(
                        '%s "%s %s" %s %s %.0fms', _client(scope), scope["method"],
                        redact(scope["path"]), response["status"], response["size"],
                        (time.monotonic() - started) * 1000,
                    )
            await send(message)

        return logged_send

    def _websocket_logger(self, scope, send):
        handshake_logged = False

        async def logged_send(message):
            nonlocal handshake_logged
            if not handshake_logged and message["type"] in ("websocket.accept", "websocket.close"):
                handshake_logged = True
                outcome = "accepted" if message["type"] == "websocket.accept" else "refused"
                logger.info('%s "WS %s" %s', _client(scope), redact(scope["path"]), outcome)
            await send(message)

        return logged_send
