"""Chat load benchmark: N websocket clients on 127.0.0.1 each send M messages and read the
streamed replies while a training run is active in the background worker.

Self-contained and bounded: it builds a throwaway site in a temporary folder (SQLite, its own
media), trains a small chat model, starts one Daphne process and one task worker, keeps a
second training run busy in that worker, runs the clients, checks every reply was saved whole,
cleans up and prints JSON:

    .venv/bin/python benchmarks/chat_load.py --clients 20 --messages 5

first_token_ms: from sending a message to its first streamed token (p50/p95/p99/max);
tokens_per_s_per_client: tokens received / time spent waiting for replies, per client;
errors: error frames and failed connections; lost_replies: messages with no complete reply
within --reply-timeout, or whose saved reply differs from the streamed one.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "whatsapp-sample.txt"
MAX_CLIENTS = 200
MAX_MESSAGES = 50
TARGET = {"clients": 20, "p95_first_token_ms": 250, "errors": 0, "lost_replies": 0}
PROMPTS = [
    "hey, are you around later?",
    "what are you up to this weekend?",
    "did you see the game last night",
    "how was work today?",
    "want to grab dinner?",
    "lol that's so true",
]
# The chat model: the "quick" preset's shapes, shortened training (or tiny, for CI).
CHAT_MODEL = {"epochs": 2, "max_minutes": 3, "jit_compile": False}
TINY_MODEL = {
    "epochs": 2, "vocab_size": 200, "embedding_dim": 16, "hidden_size": 32,
    "sampled_softmax": 0, "batch_size": 16, "max_source_len": 24, "max_target_len": 12,
    "jit_compile": False,  # XLA compilation alone takes minutes on a small CPU
}
# The run kept busy in the worker during the load: long, cancelled at the end.
BACKGROUND_RUN = {
    "epochs": 1000, "max_minutes": 30, "checkpoint_every": 1000, "early_stopping_patience": 1000,
    "jit_compile": False,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=TARGET["clients"])
    parser.add_argument("--messages", type=int, default=5, help="messages per client")
    parser.add_argument(
        "--think-ms", type=float, default=1000.0,
        help="pause between a reply and the next message (a person reading and typing); "
        "0 sends the next message the moment a reply ends",
    )
    parser.add_argument(
        "--ramp-ms", type=float, default=1000.0, help="client starts spread over this time"
    )
    parser.add_argument("--reply-timeout", type=float, default=30.0, help="seconds per reply")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="hard limit, all in")
    parser.add_argument("--tiny", action="store_true", help="tiny chat model (CI smoke run)")
    parser.add_argument(
        "--worker-nice", type=int, default=10,
        help="CPU niceness of the worker, as bin/run.sh and bin/run-scaled.sh start it",
    )
    parser.add_argument(
        "--no-training", action="store_true", help="no background training run (for comparison)"
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 1 <= args.messages <= MAX_MESSAGES:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --messages 1..{MAX_MESSAGES}")
    return args


def log(message: str) -> None:
    print(f"[chat_load] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_environment(var_dir: Path) -> dict[str, str]:
    """The embedded configuration in a throwaway folder, whatever the caller's shell says."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"} and not k.startswith("DIGITAL_YOU")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="avatar_site.settings",
        DIGITAL_YOU_VAR=str(var_dir),
        # Each benchmark user sends --messages messages within about a minute.
        DIGITAL_YOU_CHAT_RATE_LIMIT=str(MAX_MESSAGES * 2),
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    return env


@dataclass
class Site:
    slug: str
    owner: str
    cookies: list[str]
    background_run: int | None


def build_site(clients: int, tiny: bool, with_training: bool) -> Site:
    """Users, a persona with a trained model shared with every client, a busy training run."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from personas.models import DataFile, Persona, TrainingRun
    from personas.services.training import create_run, run_training, start_training
    from personas.services.uploads import parse_data_file, store_upload

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench-owner", password="bench-password-1")

    def persona_with_data(slug: str) -> Persona:
        persona = Persona.objects.create(owner=owner, slug=slug, name=f"Bench {slug}")
        upload = SimpleUploadedFile(SAMPLE.name, SAMPLE.read_bytes())
        data_file = parse_data_file(store_upload(persona, upload))
        if data_file.status != DataFile.Status.PARSED:
            raise SystemExit(f"sample did not parse: {data_file.error}")
        persona.identities = [data_file.summary.get("suggested_identity") or "Sam"]
        persona.save(update_fields=["identities"])
        return persona

    chat_persona = persona_with_data("chat")
    log("training the chat model")
    run = run_training(create_run(chat_persona, "quick", TINY_MODEL if tiny else CHAT_MODEL).pk)
    if run.status != TrainingRun.Status.SUCCEEDED:
        raise SystemExit(f"training the chat model failed: {run.error}")

    cookies = []
    for index in range(clients):
        user = User.objects.create_user(f"bench-{index}", password="bench-password-1")
        chat_persona.shared_with.add(user)
        client = Client()
        client.force_login(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")

    background = None
    if with_training:
        busy = persona_with_data("busy")
        background = start_training(busy, "quick", BACKGROUND_RUN).pk  # queued for the worker
    return Site(chat_persona.slug, owner.username, cookies, background)


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # killed as a group, forked children included
        )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def run_status(run_id: int) -> tuple[str, int]:
    from personas.models import TrainingRun

    run = TrainingRun.objects.get(pk=run_id)
    return run.status, run.step


@dataclass
class ClientResult:
    first_token_ms: list[float] = field(default_factory=list)
    reply_ms: list[float] = field(default_factory=list)
    tokens: int = 0
    waiting_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    answered: int = 0  # messages that got an end or an error frame
    replies: dict[int, str] = field(default_factory=dict)  # message id -> streamed text


async def chat_client(index: int, uri: str, cookie: str, args, origin: str,
                      start_delay_s: float = 0.0) -> ClientResult:
    from websockets.asyncio.client import connect

    result = ClientResult()
    await asyncio.sleep(start_delay_s)
    try:
        async with connect(
            uri, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=30
        ) as socket_:
            conversation = None
            for number in range(args.messages):
                if number:
                    await asyncio.sleep(args.think_ms / 1000)
                text = PROMPTS[(index + number) % len(PROMPTS)]
                payload = {"type": "message", "text": text, "conversation": conversation}
                sent = time.perf_counter()
                await socket_.send(json.dumps(payload))
                result.sent += 1
                first = None
                try:
                    async with asyncio.timeout(args.reply_timeout):
                        while True:
                            frame = json.loads(await socket_.recv())
                            kind = frame.get("type")
                            if kind == "conversation":
                                conversation = frame["id"]
                            elif kind == "token":
                                first = first or time.perf_counter()
                                result.tokens += 1
                            elif kind == "end":
                                done = time.perf_counter()
                                first = first or done
                                result.first_token_ms.append((first - sent) * 1000)
                                result.reply_ms.append((done - sent) * 1000)
                                result.waiting_s += done - sent
                                result.replies[frame["message_id"]] = frame["text"]
                                result.answered += 1
                                break
                            elif kind == "error":
                                result.errors.append(frame.get("error", "?"))
                                result.answered += 1
                                break
                except TimeoutError:
                    return result  # the socket is mid-reply: this client stops here
    except Exception as exc:  # a refused or dropped connection counts as an error
        result.errors.append(f"{type(exc).__name__}: {exc}")
    return result


def percentiles(values: list[float], points=(50, 95, 99)) -> dict[str, float | None]:
    if not values:
        return {f"p{p}": None for p in points} | {"max": None}
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 1)

    return {f"p{p}": at(p) for p in points} | {"max": round(ordered[-1], 1)}


def saved_mismatches(results: list[ClientResult]) -> int:
    """Streamed replies that are missing from the database or saved with other text."""
    from personas.models import ChatMessage

    streamed = {mid: text for r in results for mid, text in r.replies.items()}
    saved = dict(ChatMessage.objects.filter(pk__in=streamed).values_list("pk", "text"))
    return sum(1 for mid, text in streamed.items() if saved.get(mid) != text)


async def load(site: Site, port: int, args) -> tuple[list[ClientResult], float]:
    uri = f"ws://127.0.0.1:{port}/ws/personas/{site.slug}/chat/"
    origin = f"http://127.0.0.1:{port}"
    # One warm-up reply loads the model into the web process before the clock starts.
    warm_up = argparse.Namespace(messages=1, think_ms=0, reply_timeout=120)
    warm = await chat_client(0, uri, site.cookies[0], warm_up, origin)
    if warm.errors or not warm.replies:
        raise SystemExit(f"warm-up failed: {warm.errors or 'no reply'}")
    started = time.perf_counter()
    stagger_s = args.ramp_ms / 1000 / len(site.cookies)
    results = await asyncio.gather(*(
        chat_client(i, uri, cookie, args, origin, start_delay_s=i * stagger_s)
        for i, cookie in enumerate(site.cookies)
    ))
    return list(results), time.perf_counter() - started


def report(results: list[ClientResult], args, wall_s: float, training: dict) -> dict:
    first = [ms for r in results for ms in r.first_token_ms]
    rates = sorted(r.tokens / r.waiting_s for r in results if r.waiting_s > 0)
    errors = [e for r in results for e in r.errors]
    summary = {
        "clients": args.clients,
        "messages_per_client": args.messages,
        "think_ms": args.think_ms,
        "ramp_ms": args.ramp_ms,
        "worker_nice": None if args.no_training else args.worker_nice,
        "messages_sent": sum(r.sent for r in results),
        "replies": sum(len(r.replies) for r in results),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "lost_replies": sum(r.sent - r.answered for r in results) + saved_mismatches(results),
        "first_token_ms": percentiles(first),
        "reply_ms": percentiles([ms for r in results for ms in r.reply_ms]),
        "tokens_per_s_per_client": {
            "min": round(rates[0], 1) if rates else None,
            "p50": round(rates[len(rates) // 2], 1) if rates else None,
        },
        "wall_s": round(wall_s, 2),
        "background_training": training,
        "cpu_count": os.cpu_count(),
    }
    summary["target"] = TARGET | {
        "met": args.clients >= TARGET["clients"]
        and summary["first_token_ms"]["p95"] is not None
        and summary["first_token_ms"]["p95"] <= TARGET["p95_first_token_ms"]
        and summary["errors"] == 0 and summary["lost_replies"] == 0
    }
    return summary


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("benchmark exceeded --max-seconds"))
    signal.alarm(int(args.max_seconds))
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="chat-load-") as tmp:
        var_dir = Path(tmp)
        env = site_environment(var_dir)
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        try:
            port = free_port()
            processes.append(start(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                 "avatar_site.asgi:application"], env, var_dir / "daphne.log",
            ))
            site = build_site(args.clients, args.tiny, not args.no_training)
            training = {"active": False}
            if site.background_run is not None:
                processes.append(start(
                    ["nice", "-n", str(args.worker_nice), sys.executable, "manage.py",
                     "db_worker", "--queue-name", "parsing,training", "--no-startup-delay",
                     "--no-reload"],
                    env, var_dir / "worker.log",
                ))
                log("waiting for the worker to train")
                wait_until(lambda: run_status(site.background_run)[1] > 0, 300, "training")
            wait_until(lambda: healthy(port), 120, "daphne")
            step_before = run_status(site.background_run)[1] if site.background_run else 0
            log(f"load: {args.clients} clients x {args.messages} messages")
            results, wall_s = asyncio.run(load(site, port, args))
            if site.background_run is not None:
                status, step_after = run_status(site.background_run)
                training = {
                    "active": status == "running",
                    "steps_during_load": step_after - step_before,
                }
            summary = report(results, args, wall_s, training)
            summary["total_s"] = round(time.monotonic() - started, 1)
            print(json.dumps(summary, indent=2))
        finally:
            stop(processes)
            signal.alarm(0)


if __name__ == "__main__":
    main()
