"""Typed records that flow out of the ingestion package."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

# Speaker names used by pair formats (YAML corpora, pair CSV), matching ConvAI2's sender classes.
PROMPT_SPEAKER = "Human"
RESPONSE_SPEAKER = "Bot"

MessageKind = str  # "text" | "system" | "media"


class Message(NamedTuple):
    """One message as written in the export.

    A tuple, so that the WhatsApp parser, which meets hundreds of thousands of messages a second,
    can yield plain tuples in this field order (a MessageRow, a fifth of the cost to build) and the
    pipeline can unpack either kind; `iter_messages` hands out Message records.
    """

    timestamp: datetime | None
    author: str
    text: str
    conversation: str
    source: str
    line: int | None = None
    kind: MessageKind = "text"
    reply_to: str | None = None
    forwarded_from: str | None = None


# Message's fields in order: what parsers yield.
MessageRow = tuple[
    datetime | None, str, str, str, str, int | None, MessageKind, str | None, str | None
]


@dataclass(slots=True)
class Conversation:
    """A chat inside one file: its id is stable per file so exclusions can refer to it."""

    id: str
    title: str
    source: str
    is_group: bool = False
    participants: list[str] = field(default_factory=list)
    # Pair formats (YAML corpora, ConvAI2, pair CSV) have prompt/response sides instead of people.
    pair_format: bool = False
    format: str = ""


@dataclass(slots=True)
class Turn:
    """Consecutive messages of one author merged together."""

    author: str
    text: str
    conversation: str
    start: datetime | None
    end: datetime | None
    session: int = 0


@dataclass(slots=True)
class Pair:
    """A training example (not frozen: a frozen dataclass costs three times as much to build)."""

    context: tuple[tuple[str, str], ...]  # (speaker, text), oldest first; the last one is answered
    response: str  # the persona's turn (cleaned)
    addressee: str | None  # other participant of a 1:1 chat, or the group title; None = anyone
    source: str  # file name
    conversation: str  # conversation id (as in conversation_list ids)
    timestamp: datetime | None = None

    def to_dict(self) -> dict:
        """The JSON form (JSON Lines export, saved splits, fingerprints)."""
        return {
            "context": [list(item) for item in self.context],
            "response": self.response,
            "addressee": self.addressee,
            "source": self.source,
            "conversation": self.conversation,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Pair:
        stamp = data.get("timestamp")
        return cls(
            context=tuple((str(s), str(t)) for s, t in data["context"]),
            response=str(data["response"]),
            addressee=data.get("addressee"),
            source=str(data.get("source", "")),
            conversation=str(data.get("conversation", "")),
            timestamp=datetime.fromisoformat(stamp) if stamp else None,
        )


@dataclass(slots=True)
class ParseReport:
    """What a parser found besides the messages: conversations, skipped lines, warnings."""

    path: str
    formats: list[str] = field(default_factory=list)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    def skip(self, source: str, line: int | None, why: str) -> None:
        self.skipped += 1
        # Keep warnings readable for huge broken files: the count stays exact.
        if len(self.warnings) < 200:
            where = f"{source}:{line}" if line is not None else source
            self.warnings.append(f"{where}: skipped {why}")

    def warn(self, text: str) -> None:
        if len(self.warnings) < 200:
            self.warnings.append(text)

    def add_conversation(self, conversation: Conversation) -> Conversation:
        return self.conversations.setdefault(conversation.id, conversation)
