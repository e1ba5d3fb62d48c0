"""Chatting with a persona: a bounded cache of loaded models and streamed, saved replies.
Conversation state lives in the database, so any web process can continue any chat."""

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.utils import timezone

from modeling.options import DEFAULT_STRATEGY, STRATEGIES
from personas.models import ChatMessage, Conversation, ModelVersion, Persona
from personas.services import storage

logger = logging.getLogger(__name__)

# Decoding options a client may set, with the range each is clamped to.
OPTION_RANGES: dict[str, tuple[type, float, float]] = {
    "temperature": (float, 0.05, 2.0),
    "top_k": (int, 0, 200),
    "top_p": (float, 0.05, 1.0),
    "beam_width": (int, 1, 8),
    "length_penalty": (float, 0.0, 2.0),
    "no_repeat_ngram": (int, 0, 6),
    "max_length": (int, 1, 64),
}
TITLE_CHARS = 60
EMPTY_REPLY = "…"


class NoModel(Exception):
    """The persona has no model that can be loaded; the message says what to do."""


_cache: "OrderedDict[int, object]" = OrderedDict()
_cache_lock = threading.Lock()
_load_locks: dict[int, threading.Lock] = {}
# Persona id -> its model being loaded ahead of the first message (see warm()).
_warming: dict[int, Future] = {}


def get_chatbot(model_version: ModelVersion):
    """The loaded model of a version, from a bounded LRU cache keyed by version id (so a newly
    activated version is loaded on first use, without a restart). Raises ArtifactError."""
    # Imported here so that commands which never chat do not load TensorFlow.
    from modeling.artifact import load
    from modeling.hardware import serve_one_op_at_a_time

    serve_one_op_at_a_time()

    key = model_version.pk
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        load_lock = _load_locks.setdefault(key, threading.Lock())
    with load_lock:  # one load per version even when many chats ask at once
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        chatbot = load(storage.local_dir(model_version.artifact_path))
        chatbot.warm_up()  # compile once here, not in each of the first concurrent replies
        with _cache_lock:
            _cache[key] = chatbot
            while len(_cache) > max(1, settings.MODEL_CACHE_SIZE):
                _cache.popitem(last=False)
            _load_locks.pop(key, None)
    return chatbot


def needs_loading(persona: Persona) -> bool:
    """Whether the persona has an active model that this process has not loaded (no database
    query)."""
    with _cache_lock:
        return persona.active_model_id is not None and persona.active_model_id not in _cache


def warm(persona: Persona, pool: Executor) -> Future | None:
    """Load the persona's model on `pool` now, before anyone sends a message. Sockets that open
    while it loads share one future, so they do not each hold a pool thread waiting for the
    load. None when the model is loaded already (or there is none)."""
    if not needs_loading(persona):
        return None
    with _cache_lock:
        future = _warming.get(persona.pk)
        if future is not None:
            return future
        future = _warming[persona.pk] = pool.submit(_load_for_chat, persona.pk)
    future.add_done_callback(lambda _: _warming.pop(persona.pk, None))
    return future


def _load_for_chat(persona_id: int) -> None:
    """Runs on a pool thread. Never raises: a persona without a loadable model is explained
    when a message is sent."""
    try:
        choose_model(Persona.objects.get(pk=persona_id))
    except (Persona.DoesNotExist, NoModel):
        pass
    except Exception:
        logger.exception("Loading the model of persona %s failed", persona_id)
    finally:
        connections.close_all()  # this thread's connections only


def cached_version_ids() -> list[int]:
    with _cache_lock:
        return list(_cache)


def forget(version_ids) -> None:
    """Drop versions from the cache (their files are being deleted)."""
    with _cache_lock:
        for key in version_ids:
            _cache.pop(key, None)


@dataclass(frozen=True)
class ModelChoice:
    chatbot: object
    model_version: ModelVersion
    # Set when the active model could not be loaded and an older one answers instead.
    notice: str = ""


def choose_model(persona: Persona) -> ModelChoice:
    """The active model, else (when its files are damaged) the newest older one that loads."""
    from modeling.errors import ArtifactError

    active_id = Persona.objects.filter(pk=persona.pk).values_list("active_model", flat=True).first()
    versions = list(persona.versions.order_by("-version"))
    if not versions:
        raise NoModel(f"{persona.name} has no trained model yet. Train it first.")
    active = next((v for v in versions if v.pk == active_id), versions[0])
    candidates = [active] + [v for v in versions if v.version < active.version]
    for version in candidates:
        try:
            chatbot = get_chatbot(version)
        except ArtifactError:
            logger.warning("Model %s of %s could not be loaded", version.version, persona.pk)
            continue
        notice = ""
        if version != active:
            notice = (
                f"Model version {active.version} could not be loaded, so version "
                f"{version.version} answers instead."
            )
        return ModelChoice(chatbot, version, notice)
    raise NoModel(f"The model files of {persona.name} are damaged. Train it again.")


def decode_options(strategy: str, raw: dict) -> dict:
    """Validated decoding options: unknown strategies are refused, numbers are clamped."""
    if strategy not in STRATEGIES:
        raise ValueError(f"Unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")
    options = {}
    for name, (kind, low, high) in OPTION_RANGES.items():
        value = raw.get(name)
        if value is None or value == "":
            continue
        # Read as a float first: JSON's 1e999 and Infinity are floats that int() cannot
        # convert (OverflowError), and NaN compares false with every bound.
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number.") from None
        if not math.isfinite(number):
            raise ValueError(f"{name} must be a number.")
        options[name] = kind(min(high, max(low, number)))
    return options


def context_turns(conversation: Conversation, k: int, me: str) -> list[tuple[str, str]]:
    """The last k turns as (speaker, text): the persona speaks as `me`, the other side as the
    conversation's addressee."""
    them = conversation.addressee or "User"
    latest = conversation.messages.order_by("-created_at", "-id")[:k]
    return [
        (me if m.role == ChatMessage.Role.PERSONA else them, m.text) for m in reversed(latest)
    ]


def _persona_speaker(chatbot) -> str:
    """A name the model counts as the persona itself when it reads the context."""
    return next(iter(chatbot.persona_names), "me")


def earlier_attempt(conversation: Conversation, text: str) -> ChatMessage | None:
    """For a message sent again after its connection dropped: the user message saved by the
    first attempt if it was never answered (the server died mid-reply), or the reply if that
    attempt was answered after the client had gone. None when the first attempt left nothing."""
    latest = list(conversation.messages.order_by("-created_at", "-id")[:2])
    roles = [m.role for m in latest]
    if roles[:1] == [ChatMessage.Role.USER] and latest[0].text == text:
        return latest[0]
    if roles == [ChatMessage.Role.PERSONA, ChatMessage.Role.USER] and latest[1].text == text:
        return latest[0]
    return None


class ReplyStream:
    """Iterates the reply's text increments as they are decoded. The user message is saved
    when the stream is made; the persona's reply only once it is complete. A resent message
    reuses what its first attempt saved: nothing is saved twice."""

    def __init__(
        self, conversation: Conversation, text: str, strategy: str, options: dict, resend: bool
    ):
        self.conversation = conversation
        self._parts: list[str] = []
        self.message: ChatMessage | None = None
        self.choice: ModelChoice | None = None
        earlier = earlier_attempt(conversation, text) if resend else None
        if earlier is not None and earlier.role == ChatMessage.Role.PERSONA:
            self.message, self._parts = earlier, [earlier.text]  # the stream is over
            return
        self.choice = choose_model(conversation.persona)
        if earlier is None:
            ChatMessage.objects.create(
                conversation=conversation, role=ChatMessage.Role.USER, text=text
            )
        if not conversation.title:
            conversation.title = text.strip().splitlines()[0][:TITLE_CHARS] if text.strip() else ""
        conversation.save(update_fields=["title", "updated_at"])
        chatbot = self.choice.chatbot
        k = chatbot.config.context_turns
        context = context_turns(conversation, k, _persona_speaker(chatbot))
        self._increments = chatbot.generate(
            context, addressee=conversation.addressee or None, strategy=strategy, **options
        )

    @property
    def notice(self) -> str:
        return self.choice.notice if self.choice else ""

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.message is not None:
            raise StopIteration
        try:
            increment = next(self._increments)
        except StopIteration:
            if not "".join(self._parts).strip():
                self._parts = [EMPTY_REPLY]
                self._save()
                return EMPTY_REPLY
            self._save()
            raise
        self._parts.append(increment)
        return increment

    def _save(self) -> None:
        self.message = ChatMessage.objects.create(
            conversation=self.conversation, role=ChatMessage.Role.PERSONA, text=self.text
        )
        Conversation.objects.filter(pk=self.conversation.pk).update(updated_at=timezone.now())

    @property
    def text(self) -> str:
        return "".join(self._parts)


def reply_stream(
    conversation: Conversation, text: str, strategy: str = DEFAULT_STRATEGY,
    resend: bool = False, **options,
) -> ReplyStream:
    """Start a reply: raises NoModel, or ValueError for a bad strategy or option. `resend`
    marks a message sent again after a dropped connection (see earlier_attempt())."""
    return ReplyStream(conversation, text, strategy, decode_options(strategy, options), resend)
