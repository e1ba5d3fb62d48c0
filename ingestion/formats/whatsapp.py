"""WhatsApp "Export chat" text, Android and iOS layouts, any locale's date and clock style.

Built for speed (hundreds of thousands of lines per second): lines are split in large chunks, the
header is cut off with str.partition and looked up in a cache, and each distinct date and time
string is parsed only once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import chain
from pathlib import PurePath

from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document
from . import whatsapp_system
from .lines import iter_line_batches
from .whatsapp_system import Speakers, is_notice

FORMAT = "whatsapp"
_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
# Localized AM/PM words sit between the time and the separator: "PM", "p. m.", "vorm.", "ص".
_AMPM = r"[^\W\d_][^\s\]\-:]{0,7}(?:[ \u202f\u00a0][^\W\d_][^\s\]\-:]{0,3})?"
_TIME = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?"
# A header alone (the text before " - " or "] "), checked once per distinct header string.
HEAD_RE = re.compile(
    rf"[\u200e\u200f]*\[?(?P<date>{_DATE})\.?,?[ \u202f\u00a0](?P<time>{_TIME})"
    rf"(?:[ \u202f\u00a0]?(?P<ampm>{_AMPM}))?"
)
# A whole header line, for detection and sniffing the layout from the first lines.
HEADER_RE = re.compile(HEAD_RE.pattern + r"(?:\][ \u202f\u00a0]?| - )(?P<rest>.*)")
DATE_PART_RE = re.compile(r"[\u200e\u200f]*\[?(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\.?,?")
TIME_PART_RE = re.compile(
    rf"(\d{{1,2}})[:.](\d{{2}})(?:[:.](\d{{2}}))?(?:[ \u202f\u00a0]?({_AMPM}))?"
)
# Dates of header lines, for inferring the date order without parsing whole lines. The time
# after the date keeps out continuation lines that merely start with a date or version number.
LINE_DATE_RE = re.compile(rf"\n[\u200e\u200f]*\[?({_DATE})\.?,?[ \u202f\u00a0]\d{{1,2}}[:.]\d{{2}}")
SEPARATOR_RE = re.compile(r"[./-]")
# Positions of the year, month and day among a date's three numbers, per date order.
FIELDS = {"dmy": (2, 1, 0), "mdy": (2, 0, 1), "ymd": (0, 1, 2), "ydm": (0, 2, 1)}
ORDER_NAMES = {
    "dmy": "day-month-year",
    "mdy": "month-day-year",
    "ymd": "year-month-day",
    "ydm": "year-day-month",
}
FIRST_DAY = datetime(2009, 1, 1)  # WhatsApp's launch year: earlier dates are misreadings
CLOCK_SLACK = timedelta(days=1)  # clock and time-zone corrections step dates back this far
CHUNK_CHARS = 1 << 19
HEAD_CACHE_LIMIT = 4096  # exports are chronological: recent headers are the ones that repeat
HEAD_START = frozenset("0123456789[\u200e\u200f")
AM_WORDS = frozenset("am a.m. a.m vorm. vorm ص fm 上午 午前 sa π.μ. 오전 म.पू.".split())
PM_WORDS = frozenset("pm p.m. p.m nachm. nachm م em 下午 午後 ch μ.μ. 오후 म.उ.".split())
MEDIA_TEXTS = whatsapp_system.MEDIA_TEXTS
SYSTEM_TEXTS = whatsapp_system.SYSTEM_TEXTS
SPECIAL_TEXTS = MEDIA_TEXTS | SYSTEM_TEXTS
FILE_ATTACHED_RE = re.compile(
    r"\((?:file attached|Datei angehängt|archivo adjunto|fichier joint|arquivo anexado"
    r"|file allegato|bestand bijgevoegd)\)$"
)
CREATED_RE = re.compile(r"created group [\"“](.+?)[\"”]")
# A group's subject as its system lines give it: when created, and after each rename.
SUBJECT_RE = re.compile(
    r"(?:created group|changed the (?:subject|group name)(?: from [\"“].*?[\"”])? to)"
    r" [\"“](.+?)[\"”]"
)
GROUP_WORDS = ("group", "Gruppe", "grupo", "groupe", "gruppo", "groep", "групп", "grup")
GROUP_WORDS += ("ग्रुप", "المجموعة")
EDITED_SUFFIX = "\u200e<This message was edited>"
TITLE_RE = re.compile(
    r"^(?:WhatsApp Chat (?:with|mit|-)|Chat de WhatsApp con|Conversa do WhatsApp com"
    r"|Discussion WhatsApp avec|WhatsApp-chat met|Chat WhatsApp con)\s*(.+)$",
    re.I,
)


def looks_like(head: str) -> bool:
    """Exports start with a message header; long multi-line messages may follow."""
    lines = [line for line in head.lstrip("\ufeff").splitlines()[:100] if line.strip()]
    if not lines:
        return False
    if HEADER_RE.match(lines[0]):
        return True
    headers = sum(1 for line in lines if HEADER_RE.match(line))
    return headers >= max(2, len(lines) // 4)


def chat_title(doc: Document, headers: list[re.Match]) -> str:
    """The export's file name carries the chat title; a renamed file falls back to the content.
    Also the conversation's id, which exclusions are stored by: keep it stable."""
    stem = _file_stem(doc)
    found = TITLE_RE.match(stem)
    if found:
        return found.group(1).strip()
    for header in headers[:20]:
        author, sep, text = header["rest"].partition(": ")
        if sep and (text.startswith("\u200e") or is_notice(text, header["rest"])):
            return author.strip("\u200e")  # iOS opens with a system line "authored" by the chat
        if created := CREATED_RE.search(header["rest"]):
            return created.group(1)
    return stem.strip() or "WhatsApp chat"


def shown_title(doc: Document, headers: list[re.Match], title: str, is_group: bool) -> str:
    """What the chat is called on the pages (who the persona talks to): a group's latest
    subject when its file was renamed, and "the group in FILE" when it has none."""
    if TITLE_RE.match(_file_stem(doc)):
        return title
    subjects = [m.group(1) for header in headers if (m := SUBJECT_RE.search(header["rest"]))]
    if subjects:
        return subjects[-1]
    return group_title(doc) if is_group and title == _file_stem(doc).strip() else title


def _file_stem(doc: Document) -> str:
    parts = PurePath(doc.name).parts
    stem = PurePath(parts[-1]).stem
    if stem.lstrip("_") == "chat" and len(parts) > 1:
        stem = PurePath(parts[-2]).stem  # iOS: "WhatsApp Chat - NAME.zip" holding _chat.txt
    return stem


def group_title(doc: Document) -> str:
    return f"the group in {PurePath(doc.name).name}"


def _now_a_group(conversation: Conversation, doc: Document) -> None:
    """A chat found to be a group only while parsing: a title that was just the file's name
    becomes "the group in FILE" (the chat page lists it as someone to talk to)."""
    conversation.is_group = True
    if conversation.title == conversation.id == _file_stem(doc).strip():
        conversation.title = group_title(doc)


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    if len(documents) == 1:
        return parse_document(documents[0], report)  # one generator level less per message
    return chain.from_iterable(parse_document(doc, report) for doc in documents)


def _scan_dates(doc: Document) -> Iterator[str]:
    """Dates of header lines in file order, chunk by chunk (stop early once decided)."""
    with doc.open_text() as handle:
        tail = "\n"
        while chunk := handle.read(CHUNK_CHARS):
            chunk = tail + chunk
            cut = chunk.rfind("\n")
            yield from dict.fromkeys(LINE_DATE_RE.findall(chunk, 0, cut))
            tail = chunk[cut:]
        yield from LINE_DATE_RE.findall(tail + "\n")


def _date_order(doc: Document, twelve_hour: bool, report: ParseReport) -> str:
    """The order ("dmy", "mdy", "ymd" or "ydm") under which the header dates are real dates,
    never step back beyond clock corrections and fall in WhatsApp's lifetime. A line alone is
    ambiguous ("21-01-14"), a file rarely is. Dates are read until one order alone fits, usually
    within the first weeks of chat, so the whole file is read only when several fit to its end."""
    faults = dict.fromkeys(FIELDS, 0)
    previous: dict[str, datetime | None] = dict.fromkeys(FIELDS)
    separator = ""
    for text in _scan_dates(doc):
        numbers = [int(x) for x in SEPARATOR_RE.split(text)]
        separator = separator or SEPARATOR_RE.search(text).group()
        for order, last in previous.items():
            day = _midnight(numbers, order)
            if day is None or day < FIRST_DAY or (last and day < last - CLOCK_SLACK):
                faults[order] += 1
            previous[order] = day or last
        fitting = [order for order, count in faults.items() if not count]
        if len(fitting) == 1:
            return fitting[0]
    return _most_likely(faults, separator, twelve_hour, doc.name, report)


def _most_likely(faults, separator, twelve_hour, name, report) -> str:
    """Of the orders that fit the dates best, the one the locale hints favour; several fitting
    is reported, as the hints are only a guess."""
    fewest = min(faults.values())
    tied = [order for order in _by_likelihood(separator, twelve_hour) if faults[order] == fewest]
    if separator and len(tied) > 1:  # no separator: no dates, nothing read wrong
        fits = " and ".join(ORDER_NAMES[order] for order in tied)
        report.warn(
            f"{name}: the date order is ambiguous (the dates fit {fits}); "
            f"read as {ORDER_NAMES[tied[0]]}"
        )
    return tied[0]


def _by_likelihood(separator: str, twelve_hour: bool) -> tuple[str, ...]:
    """Date orders from most to least likely by the export's locale hints: a 12-hour clock is
    mostly the US's month-first, dashes mostly ISO's year-first, slashes and dots mostly a
    year-last locale; year-day-month is rare everywhere."""
    year_last = ("mdy", "dmy") if twelve_hour else ("dmy", "mdy")
    if separator == "-":
        return ("ymd", *year_last, "ydm")
    return (*year_last, "ymd", "ydm")


def _midnight(numbers: Sequence[int], order: str) -> datetime | None:
    """The date a header's three numbers stand for when read in `order`, None if there is none.
    Two-digit years are this century's: WhatsApp is younger than it."""
    year_at, month_at, day_at = FIELDS[order]
    year = numbers[year_at]
    try:
        return datetime(year + 2000 if year < 100 else year, numbers[month_at], numbers[day_at])
    except ValueError:
        return None


def parse_document(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    """Sniff the layout and date order, then return the line parser (a generator)."""
    head_lines = doc.head(256 * 1024).lstrip("\ufeff").splitlines()
    headers = [m for line in head_lines if (m := HEADER_RE.match(line))]
    twelve_hour = any(m["ampm"] for m in headers[:50])
    bracketed = sum(1 for m in headers[:50] if "[" in m.group()[:4]) * 2 > len(headers[:50])
    speakers = Speakers()
    authors = {}
    for m in headers:
        rest = m["rest"]
        cut = rest.find(": ")
        text = rest[cut + 2 :]
        if 0 < cut <= 80 and not text.startswith("\u200e") and text not in SPECIAL_TEXTS:
            author = rest[:cut]
            if author in speakers.people or not speakers.is_system(author, text, rest):
                authors[author] = None
    is_group = len(authors) > 2
    title = chat_title(doc, headers)
    conversation = report.add_conversation(
        Conversation(
            id=title,
            title=shown_title(doc, headers, title, is_group),
            source=doc.name,
            participants=list(authors),
            is_group=is_group,
            format=FORMAT,
        )
    )
    order = _date_order(doc, twelve_hour, report)
    marker = "] " if bracketed else " - "
    # The lines are read again from the top: who is a person is decided again in the same order.
    return _parse_lines(doc, marker, order, conversation, Speakers(), report)


def _parse_lines(doc, marker, order, conversation, speakers, report) -> Iterator[MessageRow]:
    """The hot loop: split off the header, look it up, split author from text. Messages are
    yielded as plain tuples (see Message) once their continuation lines are known."""
    stamp_of = _Clock(order, doc.name, report).stamp
    cache: dict[str, object] = {}
    name = doc.name
    conv_id = conversation.id
    authors = speakers.people  # grows as people are told apart from the chat's own voice
    participants = conversation.participants
    pending: MessageRow | None = None
    extra: list[str] = []
    lines_before = 0
    for lines in iter_line_batches(doc):
        first = lines_before + 1
        lines_before += len(lines)
        for number, line in enumerate(lines, first):
            head, sep, rest = line.partition(marker)
            stamp = cache.get(head, False) if sep else False
            if stamp is False and sep and head[:1] in HEAD_START:
                if len(cache) > HEAD_CACHE_LIMIT:
                    cache.clear()  # bounded memory
                stamp = cache[head] = stamp_of(head)
            if stamp is False:
                if pending is not None:
                    extra.append(line)
                elif line.strip("\ufeff \t\r"):
                    report.skip(name, number, "a line outside any message")
                continue
            if pending is not None:
                if extra:
                    pending = _continued(pending, extra)
                    extra = []
                yield pending
                pending = None
            if stamp is None:
                report.skip(name, number, f"an impossible date or time in {head.strip()!r}")
                continue
            author, sep, text = rest.partition(": ")
            if not sep or len(author) > 80:
                text = rest.strip("\u200e")
                pending = (stamp, "", text, conv_id, name, number, "system", None, None)
                if not conversation.is_group and any(w in rest for w in GROUP_WORDS):
                    _now_a_group(conversation, doc)
                continue
            kind = "text"
            if text in SPECIAL_TEXTS or text[-1:] in ")>" or text[:1] in "\u200e<":
                text, kind = _classify(text)
            if author not in authors and kind == "text":
                if speakers.is_system(author, text, rest):
                    # WhatsApp's own line written as someone's ("GROUP: Maya added Ravi").
                    author, text, kind = "", rest.strip("\u200e"), "system"
                elif author not in participants:
                    participants.append(author)
                    if len(participants) > 2 and not conversation.is_group:
                        _now_a_group(conversation, doc)
            pending = (stamp, author, text, conv_id, name, number, kind, None, None)
    if pending is not None:
        yield _continued(pending, extra) if extra else pending


def _continued(row: MessageRow, lines: list[str]) -> MessageRow:
    """A message with its continuation lines (multi-line messages)."""
    return (*row[:2], "\n".join([row[2], *lines]), *row[3:])


def _classify(text: str) -> tuple[str, MessageKind]:
    """The text without WhatsApp's marks, and whether it is a text, media or system line."""
    if text.endswith(EDITED_SUFFIX):
        text = text[: -len(EDITED_SUFFIX)]
    bare = text.strip("\u200e ")
    if bare in MEDIA_TEXTS or bare.startswith("<attached: ") or FILE_ATTACHED_RE.search(bare):
        return bare, "media"
    if bare in SYSTEM_TEXTS or text.startswith("\u200e"):
        # iOS marks every system line (and media line) with a leading U+200E.
        return bare, "system"
    return bare, "text"


class _Clock:
    """Header strings to datetimes; dates and times are each parsed once per distinct string
    (dates to midnight datetimes, times to timedeltas: a header then costs one addition)."""

    def __init__(self, order: str, name: str, report: ParseReport):
        self.order = order
        self.name = name
        self.report = report
        self.days: dict[str, datetime | None | bool] = {}
        self.times: dict[str, timedelta | None | bool] = {}
        self.unknown_words: set[str] = set()

    def stamp(self, head: str) -> datetime | None | bool:
        """A datetime, None for an impossible one, False when `head` is no header at all."""
        date, _, time = head.partition(" ")
        day = self.days.get(date, False)
        if day is False:
            day = self.days[date] = self._day(date)
        clock = self.times.get(time, False)
        if clock is False:
            clock = self.times[time] = self._time(time)
        if day is False or clock is False:
            return self._fallback(head)
        if day is None or clock is None:
            return None
        return day + clock

    def _fallback(self, head: str) -> datetime | None | bool:
        """Headers whose date and time are not split by the first space."""
        found = HEAD_RE.fullmatch(head)
        if found is None:
            return False
        day = self._day(found["date"])
        clock = self._time(found["time"] + " " + (found["ampm"] or ""))
        if day is None or clock is None or day is False or clock is False:
            return None
        return day + clock

    def _day(self, text: str) -> datetime | None | bool:
        found = DATE_PART_RE.fullmatch(text)
        if found is None:
            return False
        return _midnight([int(x) for x in found.groups()], self.order)

    def _time(self, text: str) -> timedelta | None | bool:
        found = TIME_PART_RE.fullmatch(text.strip())
        if found is None:
            return False
        hour, minute = int(found[1]), int(found[2])
        second = int(found[3] or 0)
        ampm = found[4]
        if ampm:
            word = ampm.lower().replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
            if word in AM_WORDS or word.replace(".", "") in AM_WORDS:
                hour = 0 if hour == 12 else hour
            elif word in PM_WORDS or word.replace(".", "") in PM_WORDS:
                hour = hour if hour == 12 else hour + 12
            elif word not in self.unknown_words:
                self.unknown_words.add(word)
                self.report.warn(f"{self.name}: unknown AM/PM word {ampm!r}, read as 24-hour")
        if hour > 23 or minute > 59 or second > 59:
            return None
        return timedelta(hours=hour, minutes=minute, seconds=second)
