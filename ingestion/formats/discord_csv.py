"""Discord channels as DiscordChatExporter writes them in CSV:
`AuthorID,Author,Date,Content,Attachments,Reactions` (older versions: no AuthorID, no Reactions).

The date is written in the exporting computer's short format ("1/17/2020 5:45 PM",
"17.01.2020 17:45", older versions "17-Jan-20 05:45 PM"). The CSV has no message types and no
bot flag: Discord's notices are known by the fixed texts the exporter writes for them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath

from ..errors import IngestionError
from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document

FORMAT = "discord_csv"
HEADERS = (("authorid", "author", "date", "content"), ("author", "date", "content", "attachments"))
# Before Discord's 2023 user names, names carried a "#1234" tag; the JSON gives them without.
TAG_RE = re.compile(r"#\d{4}$")
NOTICE_RE = re.compile(
    r"Pinned a message\.|Joined the server\.|Started a thread\.|Changed the channel icon\."
    r"|Changed the channel name(?:: .*)?\.?|Started a call that lasted [\d,.]+ minutes\."
    r"|Added .+ to the group\.|Removed .+ from the group\.|Left the group\."
    r"|(?:Added|Removed) a recipient\."
)
DATE_RE = re.compile(r"(\d{1,4})[./-](\d{1,2}|[A-Za-z]{3})[./-](\d{1,4})")
TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")
FILE_NAME_RE = re.compile(r"(?P<server>.+?) - (?P<channel>.+) \[(?P<id>\d+)\]")
MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
CACHE_LIMIT = 4096


def _header(line: str) -> tuple[str, ...]:
    cells = next(csv.reader([line.lstrip("\ufeff")]), [])
    return tuple(cell.strip().casefold() for cell in cells)


def looks_like(head: str) -> bool:
    header = _header(head.lstrip("\ufeff \t\r\n").partition("\n")[0])
    return any(header[: len(names)] == names for names in HEADERS)


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    for doc in documents:
        yield from _parse_document(doc, report)


def _conversation(doc: Document, report: ParseReport) -> Conversation:
    """Named like the JSON's conversation when the file keeps the exporter's name
    "SERVER - CHANNEL [CHANNEL ID].csv" (so exclusions hold for both forms)."""
    stem = PurePath(doc.name).stem
    found = FILE_NAME_RE.fullmatch(stem)
    if found is None:
        return report.add_conversation(
            Conversation(id=stem, title=stem, source=doc.name, format=FORMAT)
        )
    server, channel = found["server"], found["channel"]
    title = channel if server == "Direct Messages" else f"#{channel} ({server})"
    return report.add_conversation(
        Conversation(id=found["id"], title=title, source=doc.name, format=FORMAT)
    )


def _parse_document(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    conversation = _conversation(doc, report)
    authors: set[str] = set()
    with doc.open_text(newline="") as handle:
        rows = csv.reader(handle)
        try:
            header = [cell.strip().casefold().lstrip("\ufeff") for cell in next(rows, [])]
        except csv.Error as exc:
            raise IngestionError(f"{doc.name}: no CSV header") from exc
        columns = ("author", "date", "content", "attachments")
        if not all(name in header for name in columns):
            raise IngestionError(f"{doc.name}: not a DiscordChatExporter CSV header")
        at = {name: header.index(name) for name in columns}
        width = max(at.values()) + 1
        clock = _Clock()
        try:
            for row in rows:
                if len(row) < width:
                    if any(cell.strip() for cell in row):
                        report.skip(doc.name, rows.line_num, f"a row with {len(row)} cells")
                    continue
                author = TAG_RE.sub("", row[at["author"]].strip())
                if not author:
                    report.skip(doc.name, rows.line_num, "a row without an author")
                    continue
                text = row[at["content"]]
                kind: MessageKind = "text"
                if NOTICE_RE.fullmatch(text):
                    kind = "system"
                elif not text.strip() and row[at["attachments"]].strip():
                    kind = "media"
                elif author not in authors:
                    authors.add(author)
                    conversation.participants.append(author)
                    conversation.is_group = len(authors) > 2
                stamp = clock.stamp(row[at["date"]])
                number = rows.line_num
                yield (stamp, author, text, conversation.id, doc.name, number, kind, None, None)
        except csv.Error as exc:
            report.skip(doc.name, rows.line_num, f"unreadable CSV from here on ({exc})")
        if clock.bad:
            report.warn(f"{doc.name}: {clock.bad} dates could not be read and were left empty")


class _Clock:
    """Date strings to datetimes; dates and times are each parsed once per distinct string."""

    def __init__(self) -> None:
        self.days: dict[str, datetime | None] = {}
        self.times: dict[str, timedelta | None] = {}
        self.bad = 0

    def stamp(self, text: str) -> datetime | None:
        date, _, time = text.strip().partition(" ")
        day = self.days.get(date, False)
        if day is False:
            if len(self.days) > CACHE_LIMIT:
                self.days.clear()
            day = self.days[date] = _day(date, time)
        offset = self.times.get(time, False)
        if offset is False:
            if len(self.times) > CACHE_LIMIT:
                self.times.clear()
            offset = self.times[time] = _offset(time)
        if day is None or offset is None:
            stamp = _iso(text)
            self.bad += stamp is None
            return stamp
        return day + offset


def _iso(text: str) -> datetime | None:
    """Exports made with a custom ISO date format; local time without a zone."""
    try:
        stamp = datetime.fromisoformat(text.strip())
        return stamp.astimezone().replace(tzinfo=None) if stamp.tzinfo else stamp
    except (ValueError, OverflowError, OSError):
        return None


def _day(date: str, time: str) -> datetime | None:
    """Year first when four digits lead; else day first, unless the first number cannot be a
    day, or it cannot be a month, or a 12-hour clock says the US's month-first short date."""
    found = DATE_RE.fullmatch(date)
    if found is None:
        return None
    first, middle, last = found.groups()
    try:
        if len(first) == 4:
            year, month, day = int(first), int(middle), int(last)
        elif middle.isalpha():
            year, month, day = int(last), MONTHS.get(middle.lower(), 0), int(first)
        else:
            a, b, year = int(first), int(middle), int(last)
            clock = TIME_RE.fullmatch(time)
            month_first = b > 12 or (a <= 12 and "/" in date and bool(clock and clock[4]))
            month, day = (a, b) if month_first else (b, a)
        return datetime(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        return None


def _offset(time: str) -> timedelta | None:
    found = TIME_RE.fullmatch(time)
    if found is None:
        return None
    hour, minute, second = int(found[1]), int(found[2]), int(found[3] or 0)
    half = (found[4] or "").lower().replace(".", "")
    if half == "am":
        hour = 0 if hour == 12 else hour
    elif half == "pm":
        hour = hour if hour == 12 else hour + 12
    if hour > 23 or minute > 59 or second > 59:
        return None
    return timedelta(hours=hour, minutes=minute, seconds=second)
