"""iMessage as `imessage-exporter --format txt` writes it: one file per chat, each message a
timestamp line, a sender line ("Me" for the owner) and its text, then a blank line.

Tapbacks ("Reactions:"/"Tapbacks:" and the lines under them), the edit history of edited
messages (only their last wording is kept), reply copies indented under the message they answer
and the exporter's notes are not the sender's words and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath

from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document

FORMAT = "imessage"
MONTHS = {
    name: number
    for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)
}
# "May 17, 2022  5:29:42 PM", then "(Read by them after 1 hour)" or, for a rename, its words.
STAMP_RE = re.compile(
    r"(?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}), (?P<year>\d{4}) {1,2}"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2}):(?P<second>\d{2}) (?P<half>[AP]M)(?P<rest>.*)"
)
TAPBACK_RE = re.compile(
    r"(?:Reactions|Tapbacks):|(?:Loved|Liked|Disliked|Laughed|Emphasized|Questioned|Reacted .{1,8})"
    r" by .+|Sticker from .+"
)
EDITED_RE = re.compile(r"Edited .{1,60}? later: ")
NOTES = frozenset(
    {
        "This message responded to an earlier message.",
        "Attachment missing!",
        "SharePlay Message",
        "Ended",
    }
)
DELETED_RE = re.compile(r"(?:Me|You|They|.{1,60}) deleted a message\.")
ATTACHMENT_RE = re.compile(
    r"\S*\.(?:jpe?g|png|gif|heic|webp|mov|mp4|m4a|caf|amr|pdf|vcf|pluginPayloadAttachment)",
    re.I,
)
SENT_WITH = "Sent with "


def looks_like(head: str) -> bool:
    for line in head.lstrip("\ufeff").splitlines():
        if line.strip():
            found = STAMP_RE.fullmatch(line)
            return bool(found and found["month"] in MONTHS)
    return False


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    for doc in documents:
        yield from _parse_document(doc, report)


def _parse_document(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    title = PurePath(doc.name).stem
    conversation = report.add_conversation(
        Conversation(id=title, title=title, source=doc.name, format=FORMAT)
    )
    clock = _Clock()
    stamp = author = None
    start = 0
    body: list[str] = []
    blank_before = True
    skipping = False  # inside a message whose date is impossible: skipped as one
    with doc.open_text() as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            found = (
                STAMP_RE.fullmatch(line)
                if blank_before and line[:3] in MONTHS and line[4:5].isdigit()
                else None
            )
            blank_before = not line.strip()
            if found is None:
                if skipping:
                    continue
                if author is not None:
                    body.append(line)
                elif stamp is not None:
                    author = line.strip()  # the sender line
                elif not blank_before:
                    report.skip(doc.name, number, "a line outside any message")
                continue
            if stamp is not None:
                yield from _message(doc, conversation, stamp, author, body, start, report)
            stamp, author, body, start = clock.read(found), None, [], number
            skipping = stamp is None
            if stamp is None:
                report.skip(doc.name, number, f"an impossible date in {line[:30]!r}")
            elif found["rest"] and not found["rest"].startswith(" (Read by"):
                # "You renamed the conversation to X": a line of its own, no sender.
                yield (
                    stamp,
                    "",
                    found["rest"].strip(),
                    conversation.id,
                    doc.name,
                    number,
                    "system",
                    None,
                    None,
                )
                stamp = None
    if stamp is not None:
        yield from _message(doc, conversation, stamp, author, body, start, report)


def _message(doc, conversation, stamp, author, body, number, report) -> Iterator[MessageRow]:
    if not author:
        report.skip(doc.name, number, "a message without a sender line")
        return
    text, kind = _text(body)
    if kind == "text":
        if not text:
            return  # only a tapback or an exporter's note
        if author not in conversation.participants:
            conversation.participants.append(author)
            conversation.is_group = len(conversation.participants) > 2
    yield (stamp, author, text, conversation.id, doc.name, number, kind, None, None)


def _text(body: list[str]) -> tuple[str, MessageKind]:
    """The sender's words and the message's kind, without tapbacks, notes and edit history."""
    lines = []
    media = False
    for line in body:
        if line.startswith("    ") or line in NOTES or TAPBACK_RE.fullmatch(line):
            continue  # a reply's copy, an exporter's note, a tapback
        if line.startswith(SENT_WITH) and len(line) < 40:
            continue  # the bubble effect it was sent with
        if ATTACHMENT_RE.fullmatch(line):
            media = True
            continue
        edited = EDITED_RE.match(line)
        if edited:
            lines = [line[edited.end() :]]  # only the last wording counts
            continue
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and STAMP_RE.match(lines[0]) and len(lines) == 1:
        lines = [STAMP_RE.match(lines[0])["rest"].strip()]  # an edited message's first wording
    text = "\n".join(lines).strip()
    if DELETED_RE.fullmatch(text):
        return text, "system"
    if media and not text:
        return "", "media"
    return text, "text"


class _Clock:
    """Header stamps to datetimes, each distinct day parsed once."""

    def __init__(self):
        self.days: dict[tuple[str, str, str], datetime | None] = {}

    def read(self, found: re.Match) -> datetime | None:
        key = (found["month"], found["day"], found["year"])
        day = self.days.get(key, False)
        if day is False:
            day = self.days[key] = self._day(*key)
        hour, minute, second = int(found["hour"]), int(found["minute"]), int(found["second"])
        if day is None or not 1 <= hour <= 12 or minute > 59 or second > 59:
            return None
        hour = hour % 12 + (12 if found["half"] == "PM" else 0)
        return day + timedelta(hours=hour, minutes=minute, seconds=second)

    @staticmethod
    def _day(month: str, day: str, year: str) -> datetime | None:
        try:
            return datetime(int(year), MONTHS[month], int(day))
        except (KeyError, ValueError):
            return None
