"""Request bodies over the size limit are refused before they are read.

Daphne buffers a whole request body (through Twisted) before the application sees the first
byte, then hands all of it to the application at once: an anonymous 210 MB POST cost 200 MB
of memory and stalled every other request while Django parsed it. No ASGI middleware can help,
since it runs only after the body has arrived, so the check sits in Daphne's request class:
the declared Content-Length is compared with the limit as soon as the headers are in, and the
bytes of a body without one (chunked) are counted as they arrive. Either way the answer is 413
and the connection closes, so nothing more is read.

The limit is `MAX_REQUEST_KB` for every URL except the upload endpoint, which allows one file
of `MAX_UPLOAD_MB` plus its form (the page sends one file per request); the per-file limit
itself is enforced while Django reads the body (personas.upload_handlers).
"""

import logging
from urllib.parse import urlsplit

import daphne.http_protocol
from django.conf import settings
from django.urls import Resolver404, resolve

logger = logging.getLogger("digitalyou.access")

UPLOAD_URL_NAME = "persona_upload"
# Room for the upload form's other fields, multipart boundaries and part headers.
UPLOAD_FORM_OVERHEAD = 64 * 1024
REFUSAL_BODY = b"Request body too large.\n"
REFUSAL = (
    b"HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(REFUSAL_BODY), REFUSAL_BODY)
)


def body_limit(target: bytes) -> int:
    """The most bytes a request to this target (path and query) may carry."""
    path = urlsplit(target.decode("latin-1")).path
    try:
        is_upload = resolve(path).url_name == UPLOAD_URL_NAME
    except Resolver404:
        is_upload = False
    if is_upload:
        return settings.MAX_UPLOAD_MB * 1024 * 1024 + UPLOAD_FORM_OVERHEAD
    return settings.MAX_REQUEST_KB * 1024


class BodyLimitedRequest(daphne.http_protocol.WebRequest):
    refused = False

    def gotLength(self, length):
        # Called once the headers are parsed, before any body byte. Twisted has not set the
        # request's own path yet; its channel holds the request line's target.
        self.body_limit = body_limit(self.channel._path)
        self.body_received = 0
        if length is not None and length > self.body_limit:
            self._refuse(length)
            length = 0  # no temporary file for a body that will never be read
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.refused:
            return
        self.body_received += len(data)
        if self.body_received > self.body_limit:
            self._refuse(self.body_received)
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if not self.refused:
            super().requestReceived(command, path, version)

    def _refuse(self, size: int) -> None:
        self.refused = True
        # Twisted would otherwise invite the body with "100 Continue" after the refusal.
        self.requestHeaders.removeHeader(b"Expect")
        self.channel.transport.write(REFUSAL)
        self.channel.loseConnection()
        client = self.channel.transport.getPeer()
        logger.warning(
            '%s "%s" 413: body of %d bytes or more over the %d-byte limit',
            getattr(client, "host", "-"), self.channel._path.decode("latin-1")[:200],
            size, self.body_limit,
        )


def install() -> None:
    """Make Daphne build its requests with the limit. Its HTTPFactory looks the request class
    up in its module each time it builds a protocol, so however Daphne is started (make run,
    the scale-out commands, tests) it picks this one once the ASGI application is imported."""
    daphne.http_protocol.WebRequest = BodyLimitedRequest
