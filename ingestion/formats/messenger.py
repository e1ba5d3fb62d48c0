"""Facebook Messenger and Instagram JSON (`message_1.json`, ...), whose text is latin-1 mojibake."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import PurePath

from ..errors import IngestionError
from ..records import Conversation, Message, ParseReport
from ..sources import Document
from ..text import repair
from .jsonfile import load_json

FORMAT = "messenger"
MULTI_PAGE = True  # message_1.json, message_2.json, ... of one thread share a folder
MEDIA_KEYS = ("photos", "videos", "audio_files", "gifs", "sticker", "files", "share")
SYSTEM_TYPES = frozenset({"Call", "Subscribe", "Unsubscribe"})
# The placeholder text written in place of an attachment: "Maya sent a photo.", "... an attachment."
PLACEHOLDER_RE = re.compile(r" sent (?:an? )?[\w ]{1,30}\.$")


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    return head.startswith("{") and '"sender_name"' in head and '"timestamp_ms"' in head


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    threads: dict[str, list[Message]] = {}
    for doc in sorted(documents, key=lambda d: d.name):
        data = load_json(doc)
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            raise IngestionError(f"{doc.name}: a Messenger export holds a `messages` list")
        conversation = _conversation(doc, data, report)
        messages = threads.setdefault(conversation.id, [])
        for position, item in enumerate(data["messages"]):
            message = _message(doc, item, conversation, position, report)
            if message is not None:
                messages.append(message)
    for messages in threads.values():
        # Exports list the newest message first, and pages may come in any order.
        messages.sort(key=lambda m: m.timestamp or datetime.min)
        yield from messages


def _conversation(doc: Document, data: dict, report: ParseReport) -> Conversation:
    names = [
        repair(str(p.get("name"))) for p in data.get("participants") or [] if isinstance(p, dict)
    ]
    title = repair(str(data.get("title") or ", ".join(names) or PurePath(doc.name).parent.name))
    conv_id = str(data.get("thread_path") or title)
    return report.add_conversation(
        Conversation(
            id=conv_id,
            title=title,
            source=doc.name,
            participants=names,
            is_group=data.get("thread_type") == "RegularGroup" or len(names) > 2,
            format=FORMAT,
        )
    )


def _message(doc, item, conversation: Conversation, position: int, report) -> Message | None:
    if not isinstance(item, dict) or not isinstance(item.get("sender_name"), str):
        report.skip(doc.name, None, f"message #{position}: no sender_name")
        return None
    try:
        stamp = datetime.fromtimestamp(int(item["timestamp_ms"]) / 1000)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        report.skip(doc.name, None, f"message #{position}: no valid timestamp_ms")
        return None
    text = repair(item["content"]) if isinstance(item.get("content"), str) else ""
    if item.get("is_unsent") or item.get("type") in SYSTEM_TYPES:
        kind = "system"
    elif any(item.get(key) for key in MEDIA_KEYS) and (
        not text or item.get("photos") or PLACEHOLDER_RE.search(text)
    ):
        kind = "media"
    else:
        kind = "text"
    return Message(stamp, repair(item["sender_name"]), text, conversation.id, doc.name, None, kind)
