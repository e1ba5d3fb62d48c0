"""Telegram Desktop JSON export: `result.json` of one chat or of the whole account."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from ..errors import IngestionError
from ..records import Conversation, Message, ParseReport
from ..sources import Document
from .jsonfile import load_json

FORMAT = "telegram_json"
MEDIA_KEYS = ("photo", "file", "media_type", "sticker_emoji", "location_information", "poll")


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return False
    single = '"messages"' in head and ('"from_id"' in head or '"date_unixtime"' in head)
    whole = '"chats"' in head and ('"personal_information"' in head or '"list"' in head)
    return single or whole or ('"type": "personal_chat"' in head)


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    for doc in documents:
        data = load_json(doc)
        if not isinstance(data, dict):
            raise IngestionError(f"{doc.name}: a Telegram export is a JSON object")
        if isinstance(data.get("chats"), dict):
            chats = list(data["chats"].get("list") or [])
            chats += list((data.get("left_chats") or {}).get("list") or [])
        else:
            chats = [data]
        for index, chat in enumerate(chats, 1):
            if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
                report.skip(doc.name, None, f"chat #{index}: no message list")
                continue
            yield from _parse_chat(doc, chat, index, report)


def entity_text(value) -> str:
    """`text` is a string or a list of strings and entity objects ({"type", "text"})."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, str | dict)
        )
    return ""


def _parse_chat(doc: Document, chat: dict, index: int, report: ParseReport) -> Iterator[Message]:
    kind = str(chat.get("type") or "")
    title = str(
        chat.get("name") or ("Saved Messages" if kind == "saved_messages" else f"chat {index}")
    )
    conv_id = str(chat.get("id") or title)
    conversation = report.add_conversation(
        Conversation(
            id=conv_id,
            title=title,
            source=doc.name,
            is_group="group" in kind or "channel" in kind,
            format=FORMAT,
        )
    )
    for position, item in enumerate(chat["messages"]):
        if not isinstance(item, dict):
            report.skip(doc.name, None, f"chat {title!r} message #{position}: not an object")
            continue
        stamp = _date(item)
        text = entity_text(item.get("text"))
        reply = item.get("reply_to_message_id")
        if item.get("type") == "service":
            actor = str(item.get("actor") or "")
            action = str(item.get("action") or "service")
            yield Message(
                stamp, actor, text or f"{actor} {action}".strip(), conv_id, doc.name, None, "system"
            )
            continue
        author = item.get("from")
        if not isinstance(author, str) or not author:
            author = str(item.get("from_id") or "")
        if not author:
            report.skip(doc.name, None, f"chat {title!r} message #{position}: no sender")
            continue
        if author not in conversation.participants:
            conversation.participants.append(author)
        media = any(item.get(key) for key in MEDIA_KEYS)
        forwarded = item.get("forwarded_from")
        yield Message(
            stamp,
            author,
            text,
            conv_id,
            doc.name,
            None,
            "media" if media and not text.strip() else "text",
            str(reply) if reply is not None else None,
            str(forwarded) if forwarded else None,
        )


def _date(item: dict) -> datetime | None:
    value = item.get("date")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    unix = item.get("date_unixtime")
    try:
        return datetime.fromtimestamp(int(unix)) if unix is not None else None
    except (ValueError, OverflowError, OSError):
        return None
