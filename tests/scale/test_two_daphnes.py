"""Two Daphne processes behind one (imaginary) address: a chat started on one continues on
the other, and training progress reaches sockets on both through the Redis channel layer."""

import json
import threading
import urllib.request
import uuid
from contextlib import ExitStack, suppress
from html import escape

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from personas.models import ChatMessage, Conversation, TrainingRun
from personas.services import events
from personas.services.training import create_run, run_training
from tests.scale.conftest import TINY, healthz, session_cookie, wait_for
from tests.scale.servers import needs_suite_on_servers

pytestmark = [needs_suite_on_servers, pytest.mark.timeout(600)]


def open_socket(port: int, path: str, cookie: str):
    return connect(
        f"ws://127.0.0.1:{port}{path}", origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": cookie}, open_timeout=30,
    )


class Listener(threading.Thread):
    """Collects every frame a socket receives until the socket closes."""

    def __init__(self, socket_):
        super().__init__(daemon=True)
        self.socket = socket_
        self.frames: list[dict] = []

    def run(self):
        try:
            for text in self.socket:
                self.frames.append(json.loads(text))
        except Exception:  # closed by the test
            pass


def chat(port: int, cookie: str, slug: str, text: str, conversation: int | None):
    """Send one message; returns (conversation id, streamed text, saved message id)."""
    with open_socket(port, f"/ws/personas/{slug}/chat/", cookie) as socket_:
        socket_.send(json.dumps({"type": "message", "text": text, "conversation": conversation}))
        streamed, tokens = "", 0
        while True:
            frame = json.loads(socket_.recv(timeout=120))
            if frame["type"] == "conversation":
                conversation = frame["id"]
            elif frame["type"] == "token":
                streamed += frame["text"]
                tokens += 1
            elif frame["type"] == "end":
                assert frame["text"] == streamed or tokens == 0
                return conversation, frame["text"], frame["message_id"]
            else:
                assert frame["type"] in ("notice", "status"), frame


def test_chat_and_training_progress_cross_two_daphne_processes(persona, processes, process_env):
    cookie = session_cookie(persona.owner)
    ports = [processes.daphne(process_env), processes.daphne(process_env)]
    for port in ports:
        health = wait_for(lambda p=port: healthz(p), 120, f"daphne on {port}", processes)
        assert health["status"] == "ok", health
        assert health["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"

    # Progress: sockets on both processes watch while this process trains (as a worker would).
    sockets = ExitStack()
    listeners = [
        Listener(sockets.enter_context(
            open_socket(port, f"/ws/personas/{persona.slug}/training/", cookie)
        ))
        for port in ports
    ]
    for listener in listeners:
        listener.start()
    wait_for(lambda: all(listener.frames for listener in listeners), 30, "first frames")
    run = run_training(create_run(persona, "quick", TINY).pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error

    # A frame only the channel layer can deliver (no database row behind it), sent from here.
    probe = {"type": "probe", "token": uuid.uuid4().hex}
    events.broadcast(events.persona_group(persona.pk), probe)

    def seen_everywhere(predicate):
        return all(any(predicate(f) for f in listener.frames) for listener in listeners)

    wait_for(lambda: seen_everywhere(lambda f: f == probe), 30, "the probe on both", processes)
    wait_for(
        lambda: seen_everywhere(
            lambda f: f.get("run") == run.pk and f.get("status") == "succeeded"
            and f.get("model_version") == 1
        ),
        30, "the finished run on both", processes,
    )
    for listener in listeners:
        assert any(
            f.get("run") == run.pk and f.get("status") == "running" and f.get("step", 0) > 0
            for f in listener.frames
        ), listener.frames
    sockets.close()

    # Chat: the first message on one process, the next on the other, one conversation.
    chat_path = f"/ws/personas/{persona.slug}/chat/"
    first_id, first_reply, first_message = chat(ports[0], cookie, persona.slug, "hey there", None)
    second_id, second_reply, second_message = chat(
        ports[1], cookie, persona.slug, "what are you up to?", first_id
    )
    assert second_id == first_id
    conversation = Conversation.objects.get(pk=first_id)
    saved = list(conversation.messages.order_by("created_at", "pk").values_list("role", "text"))
    assert saved == [
        (ChatMessage.Role.USER, "hey there"),
        (ChatMessage.Role.PERSONA, first_reply),
        (ChatMessage.Role.USER, "what are you up to?"),
        (ChatMessage.Role.PERSONA, second_reply),
    ]
    saved_ids = set(conversation.messages.values_list("pk", flat=True))
    assert {first_message, second_message} <= saved_ids

    # The first process dies while a reply streams. The client reconnects to the other one
    # and finds every saved message, and never half a reply: greedy decoding gives the
    # complete reply to the same first message, to compare with.
    question = "tell me about your weekend"
    with suppress(ConnectionClosed), open_socket(ports[0], chat_path, cookie) as socket_:
        socket_.send(json.dumps({"type": "message", "text": question, "conversation": None}))
        interrupted = json.loads(socket_.recv(timeout=60))["id"]
        socket_.recv(timeout=120)  # the first token (or the end of a very short reply)
        processes.kill(processes.running[0])
    _, complete, _ = chat(ports[1], cookie, persona.slug, question, None)
    saved = list(Conversation.objects.get(pk=interrupted).messages.values_list("role", "text"))
    assert saved in ([], [("user", question)], [("user", question), ("persona", complete)])
    request = urllib.request.Request(
        f"http://127.0.0.1:{ports[1]}/p/{persona.slug}/chat/?c={interrupted}",
        headers={"Cookie": cookie},
    )
    with urllib.request.urlopen(request, timeout=30) as page:
        page_html = page.read().decode()
    assert all(escape(text) in page_html for _, text in saved)
