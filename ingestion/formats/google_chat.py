"""Google Chat from Google Takeout: `Google Chat/Groups/<space or DM>/messages.json` (messages
with `creator.name`, `text`, `created_date`) beside `group_info.json` (the space's name and
members)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from ..errors import IngestionError
from ..records import Conversation, MessageRow, ParseReport
from ..sources import Document
from .jsonfile import load_json

FORMAT = "google_chat"
MULTI_PAGE = True  # messages.json and group_info.json of one space share its folder
MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES.split(), 1)}
# "Wednesday, January 13, 2021 at 9:15:04 AM UTC" (newer exports put U+202F before AM/PM).
DATE_RE = re.compile(
    r"(?:\w+, )?(?P<month>[A-Z][a-z]+) (?P<day>\d{1,2}), (?P<year>\d{4}) at "
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?[ \u202f\u00a0](?P<half>[AP]M)"
    r"(?: \S+)?"
)


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return False
    messages = '"messages"' in head and '"creator"' in head and '"created_date"' in head
    group_info = '"members"' in head and '"user_type"' in head
    return messages or group_info


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    info = {}
    pages = []
    for doc in sorted(documents, key=lambda d: d.name):
        data = load_json(doc)
        if not isinstance(data, dict):
            raise IngestionError(f"{doc.name}: a Google Chat export file holds a JSON object")
        if isinstance(data.get("messages"), list):
            pages.append((doc, data["messages"]))
        else:
            info = data
    clock = _Clock()
    for doc, messages in pages:
        conversation = _conversation(doc, info, report)
        for position, item in enumerate(messages):
            row = _message(doc, item, conversation, clock)
            if row is None:
                report.skip(doc.name, None, f"message #{position}: no creator or created_date")
            else:
                yield row


def _conversation(doc: Document, info: dict, report: ParseReport) -> Conversation:
    folder = PurePosixPath(doc.name).parent.name or doc.name
    listed = info.get("members")
    members = [
        str(member.get("name"))
        for member in (listed if isinstance(listed, list) else [])
        if isinstance(member, dict) and member.get("name")
    ]
    # Direct messages have no name: they are called by their members.
    title = str(info.get("name") or ", ".join(members) or folder)
    return report.add_conversation(
        Conversation(
            id=folder,
            title=title,
            source=doc.name,
            participants=members,
            is_group=folder.startswith("Space") or bool(info.get("name")) or len(members) > 2,
            format=FORMAT,
        )
    )


def _message(doc, item, conversation: Conversation, clock) -> MessageRow | None:
    if not isinstance(item, dict) or not isinstance(item.get("creator"), dict):
        return None
    stamp = clock.read(item.get("created_date"))
    author = item["creator"].get("name")
    if stamp is None or not isinstance(author, str):
        return None
    text = item.get("text") if isinstance(item.get("text"), str) else ""
    if item.get("message_state") == "DELETED" or item["creator"].get("user_type") == "Bot":
        kind = "system"
    elif not text.strip():
        kind = "media" if item.get("attached_files") else "system"
    else:
        kind = "text"
        if author not in conversation.participants:
            conversation.participants.append(author)
    return (stamp, author, text, conversation.id, doc.name, None, kind, None, None)


class _Clock:
    """Takeout's spelled-out dates to datetimes (in the zone written, UTC by default), each
    distinct day parsed once."""

    def __init__(self):
        self.days: dict[str, datetime | None] = {}

    def read(self, value) -> datetime | None:
        if not isinstance(value, str):
            return None
        found = DATE_RE.fullmatch(value)
        if found is None:
            return None
        key = value[: found.start("hour")]
        day = self.days.get(key, False)
        if day is False:
            day = self.days[key] = self._day(found)
        hour, minute = int(found["hour"]), int(found["minute"])
        second = int(found["second"] or 0)
        if day is None or not 1 <= hour <= 12 or minute > 59 or second > 59:
            return None
        hour = hour % 12 + (12 if found["half"] == "PM" else 0)
        return day + timedelta(hours=hour, minutes=minute, seconds=second)

    @staticmethod
    def _day(found: re.Match) -> datetime | None:
        try:
            return datetime(int(found["year"]), MONTHS[found["month"]], int(found["day"]))
        except (KeyError, ValueError):
            return None
