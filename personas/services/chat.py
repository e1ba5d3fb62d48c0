"""Chatting with a persona: a bounded cache of loaded models and streamed, saved replies.
Conversation state lives in the database, so any web process can continue any chat."""

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
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
# Replies sampled again (each with its own seed) when a reply would repeat one given to another
# message of the conversation.
REPEAT_RETRIES = 3
# The latest messages a reply is checked against for repeats: bounds the rows read per reply
# in a conversation that has gone on for days.
REPEAT_WINDOW = 1000


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


def normalized(text: str) -> str:
    """A reply as the repetition guard compares it: case and whitespace do not count."""
    return " ".join(text.casefold().split())


def replies_to_other_messages(conversation: Conversation, text: str) -> set[str]:
    """The persona's replies (normalized) so far in the conversation to messages other than
    `text`: answering the same message the same way again is fine, a different one is not."""
    asked = normalized(text)
    latest = conversation.messages.order_by("-created_at", "-id").values_list("role", "text")
    given: set[str] = set()
    message = None
    for role, said in reversed(latest[:REPEAT_WINDOW]):
        if role == ChatMessage.Role.USER:
            message = normalized(said)
        elif message is not None and message != asked:
            given.add(normalized(said))
    return given


def without_repeats(attempts: Iterable[Iterator[str]], given: set[str]) -> Iterator[str]:
    """The increments of the first attempt whose reply is not in `given` (else of the last
    attempt). Increments stream as they come, except while the text so far could still turn out
    to be a repeat: those are held back until it cannot, or the attempt ends."""
    for attempt in attempts:
        held: list[str] = []
        for increment in attempt:
            held.append(increment)
            so_far = normalized("".join(held))
            if not any(reply.startswith(so_far) for reply in given):
                # The normalized text only grows, so it can never become a repeat again.
                yield from held
                yield from attempt
                return
        last = held
        if normalized("".join(held)) not in given:
            break
        logger.info("A reply repeated an earlier one to another message; sampling again")
    else:
        logger.info("Every try repeated an earlier reply; giving the last one")
    yield from last


def provenance_text(pair) -> str:
    """Where a quoted reply was said: "from your chat with Mom, 2019-04-16"."""
    where = f"your chat with {pair.addressee}" if pair.addressee else f"your chats in {pair.source}"
    when = f", {pair.timestamp.date().isoformat()}" if pair.timestamp else ""
    return f"from {where}{when}"


def is_owners_own(conversation: Conversation) -> bool:
    """The owner chatting in their own chat (not through one of their share links)."""
    owner_id = conversation.persona.owner_id
    return conversation.share_link_id is None and conversation.user_id == owner_id


class ReplyStream:
    """Iterates the reply's text increments as they are decoded. The user message is saved
    when the stream is made; the persona's reply only once it is complete. A resent message
    reuses what its first attempt saved: nothing is saved twice. The reply comes from the
    persona's reply mode, and is never one the persona gave to another message of the
    conversation when sampling again finds another."""

    def __init__(
        self, conversation: Conversation, text: str, strategy: str, options: dict, resend: bool
    ):
        self.conversation = conversation
        self._parts: list[str] = []
        self.message: ChatMessage | None = None
        self.choice: ModelChoice | None = None
        # The training pair whose real reply is being given, while the attempt being streamed
        # is a quote.
        self.quoted = None
        earlier = earlier_attempt(conversation, text) if resend else None
        if earlier is not None and earlier.role == ChatMessage.Role.PERSONA:
            self.message, self._parts = earlier, [earlier.text]  # the stream is over
            return
        self.choice = choose_model(conversation.persona)
        given = replies_to_other_messages(conversation, text)
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
        attempts = self._attempts(
            chatbot, context, conversation.persona.reply_mode, strategy, options
        )
        self._increments = without_repeats(attempts, given)

    def _attempts(self, chatbot, context, mode: str, strategy: str, options: dict):
        """The reply in the persona's mode, then REPEAT_RETRIES sampled ones."""
        addressee = self.conversation.addressee or None
        # In quote mode the reply may be exactly a training pair's (modeling.artifact.Chatbot).
        increments, self.quoted = chatbot.answer(context, addressee, strategy, mode, **options)
        yield increments
        # Quoting again would give the same reply: the retries read it as blend does.
        mode = "blend" if mode == "quote" else mode
        for seed in range(1, REPEAT_RETRIES + 1):
            self.quoted = None
            yield chatbot.generate(context, addressee, "sample", mode, **{**options, "seed": seed})

    @property
    def notice(self) -> str:
        return self.choice.notice if self.choice else ""

    @property
    def provenance(self) -> str:
        """Where a quoted reply was said, for the owner in their own chat only: the people the
        owner talks to, and when, are not for those the persona is shared with."""
        if self.quoted is None or not is_owners_own(self.conversation):
            return ""
        return provenance_text(self.quoted)

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
