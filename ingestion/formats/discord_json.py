"""Discord channels as DiscordChatExporter writes them in JSON: `guild`, `channel`, then
`messages` (each with `type`, `timestamp`, `content`, `author` {`name`, `nickname`, `isBot`},
`attachments`, `stickers`, `reference`). The messages are streamed: one channel can hold millions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from ..errors import IngestionError
from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document
from .jsonstream import iter_members

FORMAT = "discord_json"
# What people write; every other type is Discord's own notice (joins, pins, calls, renames).
PEOPLE_TYPES = frozenset({"Default", "Reply", "0", "19"})
DIRECT_TYPES = frozenset({"DirectTextChat", "DirectGroupTextChat"})
STAMP_CACHE_LIMIT = 4096


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    return (
        head.startswith("{")
        and '"guild"' in head
        and '"channel"' in head
        and ('"messages"' in head or '"dateRange"' in head)
    )


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    for doc in documents:
        yield from _parse_document(doc, report)


def _parse_document(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    guild: dict = {}
    conversation: Conversation | None = None
    authors: set[str] = set()
    stamps: dict[str, datetime | None] = {}
    position = 0
    for key, value in iter_members(doc, "messages"):
        if key == "guild" and isinstance(value, dict):
            guild = value
        elif key == "channel" and isinstance(value, dict):
            conversation = _conversation(doc, guild, value, report)
        elif key == "messages":
            if conversation is None:
                raise IngestionError(f"{doc.name}: the channel comes after its messages")
            position += 1
            row = _row(doc, conversation, value, position, stamps, report)
            if row is None:
                continue
            if row[6] == "text" and row[1] not in authors:
                authors.add(row[1])
                conversation.participants.append(row[1])
            yield row


def _conversation(doc: Document, guild: dict, channel: dict, report) -> Conversation:
    name = str(channel.get("name") or "channel")
    kind = str(channel.get("type") or "")
    # A direct chat is named after the other person; a server channel after server and channel.
    title = name if kind in DIRECT_TYPES else f"#{name} ({guild.get('name') or 'Discord'})"
    return report.add_conversation(
        Conversation(
            id=str(channel.get("id") or title),
            title=title,
            source=doc.name,
            is_group=kind != "DirectTextChat",
            format=FORMAT,
        )
    )


def _row(doc, conversation, item, position, stamps, report) -> MessageRow | None:
    if not isinstance(item, dict) or not isinstance(item.get("author"), dict):
        report.skip(doc.name, None, f"message #{position}: no author")
        return None
    author = item["author"]
    name = author.get("nickname") or author.get("name")
    if not isinstance(name, str) or not name:
        report.skip(doc.name, None, f"message #{position}: an author without a name")
        return None
    text = item.get("content")
    text = text if isinstance(text, str) else ""
    kind: MessageKind = "text"
    if author.get("isBot") or str(item.get("type", "Default")) not in PEOPLE_TYPES:
        kind = "system"  # bots and Discord's notices are not people
    elif not text and (item.get("attachments") or item.get("stickers")):
        kind = "media"
    reference = item.get("reference")
    reply = reference.get("messageId") if isinstance(reference, dict) else None
    stamp_text = item.get("timestamp")
    stamp = stamps.get(stamp_text, False) if isinstance(stamp_text, str) else None
    if stamp is False:
        if len(stamps) > STAMP_CACHE_LIMIT:
            stamps.clear()
        stamp = stamps[stamp_text] = _stamp(stamp_text)
    return (
        stamp,
        name,
        text,
        conversation.id,
        doc.name,
        None,
        kind,
        str(reply) if reply else None,
        None,
    )


def _stamp(text: str) -> datetime | None:
    """Local time without a zone, as the other formats give it (zones cannot be compared with
    zone-less times when exports of several formats are read together)."""
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    try:
        return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp
    except (OverflowError, OSError):
        return None
