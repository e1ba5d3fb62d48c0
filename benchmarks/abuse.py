"""Abuse benchmark: how much one abusive client costs everyone else.

Builds a throwaway site in a temporary folder (SQLite, its own media), starts one Daphne
process as `make run` does, and while a few signed-in users load their dashboard over and over
runs each attack in turn:

    .venv/bin/python benchmarks/abuse.py [--attacks login_body upload_over_limit ...]

login_body: an anonymous 210 MB multipart POST to /accounts/login/ carrying the public page's
csrftoken cookie; chunked_login_body: the same without a Content-Length (chunked);
upload_over_limit: a signed-in upload just over the per-file limit; training_sockets: one
signed-in user opening 300 training-progress websockets and holding them for 5 s.

Prints JSON: per attack, the other users' page times (p50/p95/max ms, requests, failures),
how long the attacker was kept busy and what it got back, and the web process's peak memory
during the attack (the kernel's high-water mark, reset before each one).
`--app-root` runs the server from another checkout (say, an earlier version) for comparison.
"""

import argparse
import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
UPLOAD_LIMIT_MB = 200  # the default DIGITAL_YOU_MAX_UPLOAD_MB
TARGET_P95_MS = 200
BOUNDARY = "abuse-benchmark-boundary"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attacks", nargs="+", default=list(ATTACKS), choices=list(ATTACKS))
    parser.add_argument("--users", type=int, default=4, help="signed-in users loading pages")
    parser.add_argument("--seconds", type=float, default=6.0, help="least time per attack")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="checkout the server runs")
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[abuse] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_environment(var_dir: Path, app_root: Path) -> dict[str, str]:
    """The embedded configuration in a throwaway folder, whatever the caller's shell says."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"} and not k.startswith("DIGITAL_YOU")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="avatar_site.settings", DIGITAL_YOU_VAR=str(var_dir),
        DJANGO_SECURE_COOKIES="0", PYTHONPATH=str(app_root),
    )
    return env


def build_site(users: int) -> list[str]:
    """Migrated database, the victims' session cookies, and the attacker's persona "me"."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from personas.models import Persona

    call_command("migrate", verbosity=0)
    cookies = []
    for index in range(users + 1):
        user = User.objects.create_user(f"user-{index}", password="bench-password-1")
        Persona.objects.create(owner=user, slug="me", name="Me")
        client = Client()
        client.force_login(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    return cookies


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def page_times(port: int, cookie: str, stop: threading.Event, times: list, failures: list):
    """One user loading the dashboard again and again: each request's time in ms."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/", headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                failures.append(response.status)
        except OSError as error:
            failures.append(type(error).__name__)
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)  # a person clicking fast, not a flood


def csrf_cookie(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie", "")
    return cookie.split(";", 1)[0]


def send_body(port: int, path: str, headers: dict, size: int, chunked: bool) -> dict:
    """Sends `size` bytes of multipart body as fast as the server takes them; the reply."""
    part_head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1",
             f"Content-Type: multipart/form-data; boundary={BOUNDARY}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    block, sent, started = b"x" * (64 * 1024), 0, time.perf_counter()

    def framed(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        try:
            conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            conn.sendall(framed(part_head))
            sent = len(part_head)
            while sent < size:
                data = block[: size - sent]
                conn.sendall(framed(data))
                sent += len(data)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
            reply = conn.recv(200)
        except OSError:
            try:
                reply = conn.recv(200)
            except OSError:
                pass
    status = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "closed"
    return {
        "attacker_busy_s": round(time.perf_counter() - started, 2),
        "attacker_sent_mb": round(sent / MB, 1), "attacker_got": status,
    }


def login_body(port: int, cookies: list[str]) -> dict:
    return send_body(port, "/accounts/login/", {"Cookie": csrf_cookie(port)}, 210 * MB, False)


def chunked_login_body(port: int, cookies: list[str]) -> dict:
    return send_body(port, "/accounts/login/", {"Cookie": csrf_cookie(port)}, 210 * MB, True)


def upload_over_limit(port: int, cookies: list[str]) -> dict:
    """Signed in, with a valid CSRF token: the upload is the attacker's own to make."""
    csrf = csrf_cookie(port)
    headers = {
        "Cookie": f"{cookies[-1]}; {csrf}", "X-CSRFToken": csrf.split("=", 1)[1],
        "X-Requested-With": "XMLHttpRequest",
    }
    return send_body(port, "/p/me/files/", headers, (UPLOAD_LIMIT_MB + 1) * MB, False)


async def hold_sockets(port: int, cookie: str, count: int, seconds: float) -> int:
    """Opens `count` training sockets as one user, holds them `seconds`; how many opened."""
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/personas/me/training/"
    headers = {"Cookie": cookie}
    origin = f"http://127.0.0.1:{port}"

    async def one():
        try:
            return await websockets.connect(url, additional_headers=headers, origin=origin)
        except (OSError, websockets.InvalidHandshake):
            return None

    sockets = [s for s in await asyncio.gather(*(one() for _ in range(count))) if s]
    await asyncio.sleep(seconds)
    await asyncio.gather(*(s.close() for s in sockets))
    return len(sockets)


def training_sockets(port: int, cookies: list[str]) -> dict:
    started = time.perf_counter()
    opened = asyncio.run(hold_sockets(port, cookies[-1], 300, 5.0))
    return {"attacker_busy_s": round(time.perf_counter() - started, 2),
            "attacker_sockets_opened": opened}


ATTACKS = {
    "login_body": login_body,
    "chunked_login_body": chunked_login_body,
    "upload_over_limit": upload_over_limit,
    "training_sockets": training_sockets,
}


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 1)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def reset_peak(pid: int) -> None:
    """Writing 5 to clear_refs resets the process's peak RSS (Linux 4.0 and later)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def measure(name: str, port: int, pid: int, cookies: list[str], seconds: float) -> dict:
    """The other users' page times while the attack runs (and at least `seconds`)."""
    reset_peak(pid)
    stop, times, failures = threading.Event(), [], []
    victims = [
        threading.Thread(target=page_times, args=(port, cookie, stop, times, failures))
        for cookie in cookies[:-1]
    ]
    for victim in victims:
        victim.start()
    started = time.monotonic()
    outcome = ATTACKS[name](port, cookies) if name != "none" else {}
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    stop.set()
    for victim in victims:
        victim.join()
    return {
        **outcome,
        "others_ms": {"p50": percentile(times, 50), "p95": percentile(times, 95),
                      "max": percentile(times, 100)},
        "others_requests": len(times), "others_failures": len(failures),
        "web_peak_rss_mb": peak_rss_mb(pid),
    }


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="abuse-") as tmp:
        var_dir = Path(tmp)
        env = site_environment(var_dir, args.app_root)
        os.environ.update(env)
        sys.path.insert(0, str(args.app_root))
        cookies = build_site(args.users)
        port = free_port()
        with (var_dir / "daphne.log").open("w") as out:
            web = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
                 "avatar_site.asgi:application"],
                cwd=args.app_root, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 120
            while not healthy(port):
                if web.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((var_dir / "daphne.log").read_text()[-3000:])
                time.sleep(0.3)
            results = {}
            for name in ["none", *args.attacks]:
                log(f"attack: {name}")
                results[name] = measure(name, port, web.pid, cookies, args.seconds)
        finally:
            web.terminate()
            web.wait(30)
    summary = {
        "attacks": results,
        "target": {"others_p95_ms": TARGET_P95_MS, "met": all(
            r["others_ms"]["p95"] is not None and r["others_ms"]["p95"] <= TARGET_P95_MS
            for r in results.values()
        )},
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
