"""Oversized request bodies are refused by a real Daphne process before they are read."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Daphne as `make run` starts it, with a 1 MB upload limit and a 64 KB request limit."""
    var = tmp_path_factory.mktemp("var")
    port = _free_port()
    env = {
        **os.environ, "DIGITAL_YOU_VAR": str(var), "DIGITAL_YOU_MAX_UPLOAD_MB": "1",
        "DIGITAL_YOU_MAX_REQUEST_KB": "64", "DJANGO_SECURE_COOKIES": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
         "avatar_site.asgi:application"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(10)


def _post_headers(path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"{extra}\r\n"
    ).encode()


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _response_to_headers_only(port: int, path: str, length: int) -> bytes:
    """Declares a body and sends none of it: only a server that refuses before reading
    answers at all."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(_post_headers(path, f"Content-Length: {length}\r\n"))
        return conn.recv(4096)


def test_declared_oversized_body_is_refused_before_any_byte_is_sent(server):
    reply = _response_to_headers_only(server, "/accounts/login/", 210 * MB)
    assert _status(reply) == 413


def test_upload_endpoint_allows_one_file_and_refuses_more(server):
    over = _response_to_headers_only(server, "/p/me/files/", 2 * MB)
    assert _status(over) == 413
    with socket.create_connection(("127.0.0.1", server), timeout=5) as conn:
        conn.sendall(_post_headers("/p/me/files/", f"Content-Length: {MB}\r\n"))
        conn.sendall(b"x" * MB)
        assert _status(conn.recv(4096)) == 403  # read by Django, whose CSRF check answered


def test_streamed_body_is_counted_and_cut_off(server):
    """A chunked body declares no length: the server stops reading once it passes the limit."""
    sent = 0
    chunk = b"x" * 16384
    with socket.create_connection(("127.0.0.1", server), timeout=5) as conn:
        conn.sendall(_post_headers("/accounts/login/", "Transfer-Encoding: chunked\r\n"))
        with pytest.raises(OSError):
            while sent < 50 * MB:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
    assert sent < 10 * MB


def test_small_body_reaches_the_application(server):
    with socket.create_connection(("127.0.0.1", server), timeout=5) as conn:
        conn.sendall(_post_headers("/accounts/login/", "Content-Length: 5\r\n") + b"a=b&c")
        assert _status(conn.recv(4096)) == 403  # Django's CSRF check answered
