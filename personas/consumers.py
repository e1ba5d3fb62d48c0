"""Websocket consumers: chat with streamed replies, and live training progress.

Chat state lives in the database (any web process can continue any chat); decoding runs on
worker threads so one slow reply never blocks the event loop or other chats."""

import asyncio
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import connections
from django.http import Http404

from modeling.options import DEFAULT_STRATEGY
from personas.models import Conversation, TrainingRun
from personas.parsing import parse_frame, parse_id
from personas.security import count_hit
from personas.services import access, events
from personas.services.chat import NoModel, decode_options, needs_loading, reply_stream, warm
from personas.services.training import cancel_training, progress_frame

logger = logging.getLogger(__name__)

# Decoding threads shared by every chat socket of this process.
DECODE_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="chat-decode")
TRAINING_POLL_S = 0.5
# How often a training socket, which receives no messages, rechecks its session.
SESSION_CHECK_EVERY_S = 10.0
# Frames are refused before JSON parsing when far larger than any valid message.
FRAME_OVERHEAD_CHARS = 2000


SIGNED_OUT = "Your session has ended (signed out or password changed). Sign in again."


async def session_ended(scope) -> bool:
    """Whether a socket opened signed in has lost its session since: logged out, expired, or
    invalidated by a password change in another session. The scope's session was read once at
    the handshake, so the session store is read again."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    stored = import_module(settings.SESSION_ENGINE).SessionStore(scope["session"].session_key)
    return (await get_user({"session": stored})).pk != user.pk


# Open sockets of this process per user and per client address. Every open socket costs this
# process's event loop (a training socket polls its row twice a second), so the cap is per web
# process, and counted exactly: a count kept elsewhere would outlive a crashed process.
OPEN_SOCKETS: Counter = Counter()
TOO_MANY_SOCKETS = 4429


def socket_quota_keys(scope) -> list[tuple[str, int]]:
    """The counters a socket is held against, each with its limit."""
    client = scope.get("client")
    keys = [(f"address:{client[0] if client else '-'}", settings.WS_MAX_PER_ADDRESS)]
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        keys.append((f"user:{user.pk}", settings.WS_MAX_PER_USER))
    return keys


class SessionBoundConsumer(AsyncJsonWebsocketConsumer):
    """A socket that lives no longer than the session it was opened with, and is refused when
    its user or address already holds the most sockets allowed."""

    async def websocket_connect(self, message):
        keys = socket_quota_keys(self.scope)
        if any(OPEN_SOCKETS[key] >= limit for key, limit in keys):
            await self.close(code=TOO_MANY_SOCKETS)
            return
        self.quota_keys = [key for key, _ in keys]
        OPEN_SOCKETS.update(self.quota_keys)
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message):
        # Given back before the base class ends the consumer (it raises StopConsumer).
        OPEN_SOCKETS.subtract(getattr(self, "quota_keys", []))
        for key in getattr(self, "quota_keys", []):
            if OPEN_SOCKETS[key] <= 0:
                del OPEN_SOCKETS[key]
        self.quota_keys = []
        await super().websocket_disconnect(message)

    async def close_if_signed_out(self) -> bool:
        if not await session_ended(self.scope):
            return False
        await self.send_json({"type": "error", "error": SIGNED_OUT})
        await self.close(code=4401)
        return True


class PingConsumer(SessionBoundConsumer):
    """Answers {"type": "ping"} with {"type": "pong"}; proves the authenticated socket works."""

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if await self.close_if_signed_out():
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "user": self.scope["user"].username})
        else:
            await self.send_json({"type": "error", "error": "Unknown message."})

    @classmethod
    async def decode_json(cls, text_data):
        return parse_frame(text_data)


def too_long() -> str:
    return f"Messages are limited to {settings.CHAT_MAX_MESSAGE_CHARS} characters."


class ChatRefused(Exception):
    """A chat message that is refused with an error frame; the socket stays open."""


class BaseChatConsumer(SessionBoundConsumer):
    """client -> {"type": "message", "text", "conversation", "addressee", "strategy", ...,
    optional "resend": true for a message sent again after its connection dropped}
    server -> {"type": "conversation", "id"}, optional {"type": "notice", "text"},
    {"type": "token", "text"} per decoded increment, for a quoted reply in the owner's own chat
    {"type": "provenance", "text"} (where it was said), {"type": "end", "message_id", "text"};
    problems -> {"type": "error", "error"}. Replies come from the persona's reply mode. While
    this process loads the persona's model (as the socket opens, or for a message):
    {"type": "status", "state": "waking"}, then {"type": "status", "state": "ready"}."""

    def resolve_access(self) -> access.ChatAccess:
        raise NotImplementedError

    async def connect(self):
        try:
            self.access = await database_sync_to_async(self.resolve_access)()
        except Http404:
            await self.close(code=4404)
            return
        self.reply_task: asyncio.Task | None = None
        # True from a message's acceptance until its end (or error) frame is sent, so that a
        # client may send the next message as soon as it sees the end frame.
        self.replying = False
        self.last_activity = asyncio.get_running_loop().time()
        await self.accept()
        self.idle_task = asyncio.create_task(self.close_when_idle())
        self.wake_task = asyncio.create_task(self.wake_model())

    async def disconnect(self, code):
        for name in ("idle_task", "wake_task"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()
        # A reply in progress finishes in its thread and is saved whole; so does a model load.

    async def wake_model(self):
        """Load the model as the chat opens rather than on the first message, which would
        otherwise wait seconds for it; the page says so meanwhile."""
        loading = warm(self.access.persona, DECODE_POOL)
        if loading is None:
            return
        await self.send_json({"type": "status", "state": "waking"})
        # Shielded: other sockets wait for the same load, which must not be cancelled with
        # this one.
        await asyncio.shield(asyncio.wrap_future(loading))
        await self.send_json({"type": "status", "state": "ready"})

    async def close_when_idle(self):
        timeout = settings.CHAT_IDLE_TIMEOUT_S
        loop = asyncio.get_running_loop()
        while True:
            remaining = self.last_activity + timeout - loop.time()
            busy = self.reply_task is not None and not self.reply_task.done()
            if remaining <= 0 and not busy:
                await self.send_error(f"Closed after {timeout} seconds without messages.")
                await self.close(code=4408)
                return
            await asyncio.sleep(max(remaining, 0.2))

    async def send_error(self, error: str):
        await self.send_json({"type": "error", "error": error})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        self.last_activity = asyncio.get_running_loop().time()
        if await self.close_if_signed_out():
            return
        if text_data is None:
            await self.send_error("Send JSON text frames.")
            return
        if len(text_data) > settings.CHAT_MAX_MESSAGE_CHARS + FRAME_OVERHEAD_CHARS:
            await self.send_error(too_long())
            return
        content = parse_frame(text_data)
        if content is None:
            await self.send_error("Malformed message: not JSON.")
            return
        try:
            await self.handle(content)
        except ChatRefused as exc:
            await self.send_error(str(exc))

    async def handle(self, content):
        if not isinstance(content, dict) or content.get("type") != "message":
            raise ChatRefused('Unknown message; send {"type": "message", "text": "..."}.')
        if self.replying:
            raise ChatRefused("Wait for the current reply to finish.")
        text = content.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ChatRefused("The message is empty.")
        if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
            raise ChatRefused(too_long())
        strategy = content.get("strategy") or DEFAULT_STRATEGY
        try:
            options = decode_options(strategy if isinstance(strategy, str) else "", content)
        except ValueError as exc:
            raise ChatRefused(str(exc)) from None
        self.replying = True
        try:
            conversation_id = await database_sync_to_async(self.prepare_conversation)(content)
        except BaseException:
            self.replying = False
            raise
        await self.send_json({"type": "conversation", "id": conversation_id})
        resend = content.get("resend") is True
        self.reply_task = asyncio.create_task(
            self.stream_reply(conversation_id, text.strip(), strategy, options, resend)
        )

    def prepare_conversation(self, content: dict) -> int:
        """Recheck access (a share may be revoked), the rate limit, then find or start the
        conversation. Runs in a thread: database work."""
        try:
            self.access = self.resolve_access()
        except Http404:
            raise ChatRefused("You no longer have access to this persona.") from None
        self.check_rate_limit()
        addressee = content.get("addressee")
        if addressee is not None and not isinstance(addressee, str):
            raise ChatRefused("addressee must be a name.")
        addressee = (addressee or "").strip()[:100]
        if addressee and self.access.share_link is not None:
            # The names would reveal whom the owner chats with, and a visitor could probe them.
            raise ChatRefused("Share-link visitors cannot choose an addressee.")
        wanted = content.get("conversation")
        if wanted in (None, ""):
            return self.access.new_conversation(addressee=addressee).pk
        conversation_id = parse_id(wanted)
        if conversation_id is None:
            raise ChatRefused("conversation must be an id.")
        conversation = self.access.conversations().filter(pk=conversation_id).first()
        if conversation is None:
            raise ChatRefused("No such conversation.")
        if "addressee" in content and conversation.addressee != addressee:
            conversation.addressee = addressee
            conversation.save(update_fields=["addressee", "updated_at"])
        return conversation.pk

    def rate_limits(self) -> list[tuple[str, int, str]]:
        """(counter key, messages a minute, refusal) for each limit this message counts
        against. Share visitors without a cookie get a new visitor key per socket, so their
        address and the link itself are limited too."""
        per_person = (
            settings.CHAT_RATE_LIMIT,
            f"Slow down: at most {settings.CHAT_RATE_LIMIT} messages a minute. Try again soon.",
        )
        if self.access.share_link is None:
            return [(f"user:{self.access.user_id}", *per_person)]
        address = (self.scope.get("client") or [""])[0]
        per_link = settings.CHAT_SHARE_LINK_RATE_LIMIT
        return [
            (f"visitor:{self.access.visitor_key}", *per_person),
            (f"address:{address}", *per_person),
            (
                f"share-link:{self.access.share_link.pk}",
                per_link,
                f"This link gets too many messages (at most {per_link} a minute). Try again soon.",
            ),
        ]

    def check_rate_limit(self) -> None:
        """Each counter is taken atomically before the message is answered, so concurrent
        messages on any sockets and processes cannot all slip under a limit."""
        refusals = [
            refusal
            for key, limit, refusal in self.rate_limits()
            if count_hit(f"chat-rate:{key}", 60) > limit
        ]
        if refusals:
            raise ChatRefused(refusals[0])

    async def stream_reply(
        self, conversation_id: int, text: str, strategy: str, options: dict, resend: bool
    ):
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue = asyncio.Queue()

        def put(frame: dict | None) -> None:
            loop.call_soon_threadsafe(frames.put_nowait, frame)

        def produce() -> None:
            try:
                conversation = Conversation.objects.select_related("persona").get(
                    pk=conversation_id
                )
                # The model may be new to this process: activated meanwhile, or another
                # process served the page.
                waking = needs_loading(conversation.persona)
                if waking:
                    put({"type": "status", "state": "waking"})
                stream = reply_stream(conversation, text, strategy, resend, **options)
                if waking:
                    put({"type": "status", "state": "ready"})
                if stream.notice:
                    put({"type": "notice", "text": stream.notice})
                for increment in stream:
                    put({"type": "token", "text": increment})
                if stream.provenance:  # set only for the owner in their own chat
                    put({"type": "provenance", "text": stream.provenance})
                put({"type": "end", "message_id": stream.message.pk, "text": stream.text})
            except NoModel as exc:
                put({"type": "error", "error": str(exc)})
            except Exception:
                logger.exception("Reply in conversation %s failed", conversation_id)
                put({"type": "error", "error": "The reply failed. Please try again."})
            finally:
                connections.close_all()  # this thread's connections only
                put(None)

        worker = loop.run_in_executor(DECODE_POOL, produce)
        while (frame := await frames.get()) is not None:
            if frame["type"] in ("end", "error"):
                self.replying = False
            try:
                await self.send_json(frame)
            except Exception:  # the client left; the reply is still saved whole
                logger.debug("Chat socket closed while streaming", exc_info=True)
        await worker
        self.replying = False
        self.last_activity = loop.time()


class PersonaChatConsumer(BaseChatConsumer):
    """/ws/personas/<slug>/chat/: the owner or a user the persona is shared with."""

    def resolve_access(self) -> access.ChatAccess:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        return access.chat_access_for_user(self.scope["user"], slug)


class ShareChatConsumer(BaseChatConsumer):
    """/ws/share/<token>/chat/: anyone holding an active share link, signed in or not."""

    async def connect(self):
        # Fixed for the socket's life: the identity its conversations are filed under.
        session = self.scope.get("session")
        self.visitor = access.visitor_key(
            self.scope.get("user"), session.session_key if session is not None else None
        )
        await super().connect()

    def resolve_access(self) -> access.ChatAccess:
        return access.chat_access_for_share(
            self.scope["url_route"]["kwargs"]["token"], self.scope.get("user"), self.visitor
        )


class TrainingConsumer(SessionBoundConsumer):
    """/ws/personas/<slug>/training/ (owner only): pushes {"type": "progress", ...} frames of
    the persona's latest run. The worker is another process, so the database row is polled;
    channel-layer pushes (runs' and the persona's groups) arrive in between.
    client -> {"type": "cancel"} cancels the active run."""

    async def connect(self):
        try:
            self.persona = await database_sync_to_async(access.persona_for_owner)(
                self.scope["user"], self.scope["url_route"]["kwargs"]["slug"]
            )
        except Http404:
            await self.close(code=4404)
            return
        self.last_frame = None
        self.run_group = None
        await self.accept()
        await self.join(events.persona_group(self.persona.pk))
        self.poll_task = asyncio.create_task(self.poll())

    async def join(self, group: str):
        if self.channel_layer is not None:
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, group: str):
        if self.channel_layer is not None:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code):
        poll_task = getattr(self, "poll_task", None)
        if poll_task is not None:
            poll_task.cancel()
        if getattr(self, "persona", None) is not None:
            await self.leave(events.persona_group(self.persona.pk))
        if getattr(self, "run_group", None):
            await self.leave(self.run_group)

    def latest_frame(self) -> dict:
        run = TrainingRun.objects.filter(persona_id=self.persona.pk).first()
        if run is None:
            return {"type": "progress", "run": None, "status": "none", "history": []}
        return progress_frame(run)

    async def poll(self):
        loop = asyncio.get_running_loop()
        last_session_check = 0.0
        last_busy = loop.time()
        while True:
            if loop.time() - last_session_check >= SESSION_CHECK_EVERY_S:
                last_session_check = loop.time()
                # This socket streams without being sent messages, so the session is
                # rechecked here too.
                if await self.close_if_signed_out():
                    return
            frame = await database_sync_to_async(self.latest_frame)()
            group = events.training_group(frame["run"]) if frame["run"] else None
            if group != self.run_group:
                if self.run_group:
                    await self.leave(self.run_group)
                if group:
                    await self.join(group)
                self.run_group = group
            await self.send_progress(frame)
            # Nothing to follow (the page closes its socket once a run ends): an abandoned
            # socket must not poll forever.
            if frame["status"] in TrainingRun.ACTIVE:
                last_busy = loop.time()
            elif loop.time() - last_busy >= settings.CHAT_IDLE_TIMEOUT_S:
                error = f"Closed after {settings.CHAT_IDLE_TIMEOUT_S} seconds with no training."
                await self.send_json({"type": "error", "error": error})
                await self.close(code=4408)
                return
            await asyncio.sleep(TRAINING_POLL_S)

    async def send_progress(self, frame: dict):
        if frame != self.last_frame:
            self.last_frame = frame
            await self.send_json(frame)

    async def push(self, event):
        """A channel-layer event of the run's or persona's group."""
        frame = event.get("frame") or {}
        if frame.get("type") == "progress":
            await self.send_progress(frame)
        else:
            await self.send_json(frame)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if await self.close_if_signed_out():
            return
        content = parse_frame(text_data) if text_data is not None else None
        if isinstance(content, dict) and content.get("type") == "cancel":
            await database_sync_to_async(self.cancel)()
        else:
            error = 'Unknown message; send {"type": "cancel"}.'
            await self.send_json({"type": "error", "error": error})

    def cancel(self) -> None:
        run = TrainingRun.objects.filter(
            persona_id=self.persona.pk, status__in=TrainingRun.ACTIVE
        ).first()
        if run is not None:
            cancel_training(run)
