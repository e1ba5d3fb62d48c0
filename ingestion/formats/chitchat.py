"""The chitchat-dataset corpus (MIT, PyPI `chitchat-dataset`): a JSON object of conversations.

`{id: {"messages": [[{"text", "timestamp", "sender"}, ...], ...], ...}}`: each inner list is
one turn of several messages by one sender (an anonymous id), with ISO timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from ..errors import IngestionError
from ..records import Conversation, Message, ParseReport
from ..sources import Document
from .jsonfile import load_json

FORMAT = "chitchat"


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    return (
        head.startswith("{")
        and '"messages"' in head
        and '"sender"' in head
        and '"timestamp"' in head
        and '"sender_name"' not in head  # Messenger's pages also hold `messages`
    )


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    for doc in documents:
        data = load_json(doc)
        if not isinstance(data, dict):
            raise IngestionError(f"{doc.name}: a chitchat corpus holds a JSON object")
        for conv_id, conversation in data.items():
            turns = conversation.get("messages") if isinstance(conversation, dict) else None
            if not isinstance(turns, list):
                report.skip(doc.name, None, f"conversation {conv_id}: no `messages` list")
                continue
            yield from _conversation(doc, str(conv_id), turns, report)


def _conversation(doc: Document, conv_id: str, turns: list, report: ParseReport):
    messages = [
        _message(doc, conv_id, item, report)
        for turn in turns
        if isinstance(turn, list)
        for item in turn
    ]
    messages = [m for m in messages if m is not None]
    report.add_conversation(
        Conversation(
            id=conv_id,
            title=f"chat {conv_id[:8]}",
            source=doc.name,
            participants=sorted({m.author for m in messages}),
            format=FORMAT,
        )
    )
    yield from messages


def _message(doc: Document, conv_id: str, item, report: ParseReport) -> Message | None:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        report.skip(doc.name, None, f"conversation {conv_id}: a message without text")
        return None
    sender = item.get("sender")
    if not isinstance(sender, str) or not sender:
        report.skip(doc.name, None, f"conversation {conv_id}: a message without sender")
        return None
    return Message(_time(item.get("timestamp")), sender, item["text"], conv_id, doc.name)


def _time(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None
