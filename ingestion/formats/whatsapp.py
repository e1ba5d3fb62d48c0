"""WhatsApp "Export chat" text, Android and iOS layouts, any locale's date and clock style.

Built for speed (hundreds of thousands of lines per second): lines are split in large chunks, the
header is cut off with str.partition and looked up in a cache, and each distinct date and time
string is parsed only once.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import chain
from pathlib import PurePath

from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document

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
# Dates at line starts, for inferring day/month order without parsing whole lines.
LINE_DATE_RE = re.compile(rf"\n[\u200e\u200f]*\[?({_DATE})[,. ]")
CHUNK_CHARS = 1 << 19
CHUNK_BYTES = 1 << 16  # small enough for the decoded text to stay in the CPU cache
HEAD_CACHE_LIMIT = 4096  # exports are chronological: recent headers are the ones that repeat
HEAD_START = frozenset("0123456789[\u200e\u200f")
AM_WORDS = frozenset("am a.m. a.m vorm. vorm ص fm 上午 午前 sa π.μ. 오전 म.पू.".split())
PM_WORDS = frozenset("pm p.m. p.m nachm. nachm م em 下午 午後 ch μ.μ. 오후 म.उ.".split())
MEDIA_TEXTS = frozenset(
    """<Media omitted>|<Medien ausgelassen>|<Multimedia omitido>|<Médias omis>|<Mídia oculta>
    |<Media weggelaten>|<Media omessi>|<Мультимедиа опущено>|<Medya dahil edilmedi>
    |<Media tidak disertakan>|image omitted|video omitted|audio omitted|sticker omitted
    |GIF omitted|document omitted|Contact card omitted|imagen omitida|video omitido
    |audio omitido|sticker omitido|Bild weggelassen|Video weggelassen|Audio weggelassen
    |Sticker weggelassen|image absente|vídeo omitido|imagem ocultada|null""".replace("\n", "")
    .replace("    ", "")
    .split("|")
)
SYSTEM_TEXTS = frozenset(
    """This message was deleted|You deleted this message|This message was deleted.
    |You deleted this message.|Missed voice call|Missed video call|Diese Nachricht wurde gelöscht.
    |Du hast diese Nachricht gelöscht.|Se eliminó este mensaje.|Eliminaste este mensaje.
    |Ce message a été supprimé.|Vous avez supprimé ce message.|Essa mensagem foi apagada
    |Você apagou esta mensagem|Questo messaggio è stato eliminato""".replace("\n", "")
    .replace("    ", "")
    .split("|")
)
SPECIAL_TEXTS = MEDIA_TEXTS | SYSTEM_TEXTS
FILE_ATTACHED_RE = re.compile(
    r"\((?:file attached|Datei angehängt|archivo adjunto|fichier joint|arquivo anexado"
    r"|file allegato|bestand bijgevoegd)\)$"
)
CREATED_RE = re.compile(r"created group [\"“](.+?)[\"”]")
GROUP_WORDS = ("group", "Gruppe", "grupo", "groupe", "gruppo", "groep")
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
    """The export's file name carries the chat title; a renamed file falls back to the content."""
    parts = PurePath(doc.name).parts
    stem = PurePath(parts[-1]).stem
    if stem.lstrip("_") == "chat" and len(parts) > 1:
        stem = PurePath(parts[-2]).stem  # iOS: "WhatsApp Chat - NAME.zip" holding _chat.txt
    found = TITLE_RE.match(stem)
    if found:
        return found.group(1).strip()
    for header in headers[:20]:
        author, sep, text = header["rest"].partition(": ")
        if sep and text.startswith("\u200e"):
            return author.strip("\u200e")  # iOS opens with a system line "authored" by the chat
        if created := CREATED_RE.search(header["rest"]):
            return created.group(1)
    return stem.strip() or "WhatsApp chat"


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    if len(documents) == 1:
        return parse_document(documents[0], report)  # one generator level less per message
    return chain.from_iterable(parse_document(doc, report) for doc in documents)


def _iter_lines(doc: Document) -> Iterator[list[str]]:
    """Lines in batches: str.split in C beats iterating a file line by line, and decoding byte
    blocks ourselves beats a text file's read(n), which decodes 8 KiB at a time and joins. The
    decoders are the ones a text file uses (universal newlines, errors replaced): same text."""
    decoder = io.IncrementalNewlineDecoder(
        codecs.getincrementaldecoder(doc.encoding)(errors="replace"), translate=True
    )
    with open(doc.path, "rb") as handle:
        tail = ""
        while True:
            block = handle.read(CHUNK_BYTES)
            lines = (tail + decoder.decode(block, final=not block)).split("\n")
            tail = lines.pop()
            yield lines
            if not block:
                break
        if tail:
            yield [tail]


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
    """Pick "ymd", "dmy" or "mdy": the first date with a part over 12 decides (files are
    chronological); when none has one, the whole file is ambiguous and order of dates decides."""
    triples = []
    for date in _scan_dates(doc):
        parts = re.split(r"[./-]", date)
        if len(parts[0]) == 4:
            return "ymd"
        if int(parts[0]) > 12:
            return "dmy"
        if int(parts[1]) > 12:
            return "mdy"
        if len(triples) < 10_000:
            triples.append(parts)
    if not triples:
        return "dmy"

    def disorder(order: str) -> int:
        keys = [_date_key(t, order) for t in triples]
        return sum(1 for a, b in zip(keys, keys[1:], strict=False) if b < a)

    dmy, mdy = disorder("dmy"), disorder("mdy")
    choice = "dmy" if dmy < mdy else "mdy" if mdy < dmy else ("mdy" if twelve_hour else "dmy")
    report.warn(f"{doc.name}: day/month order is ambiguous; read as {choice}")
    return choice


def _date_key(t: list[str], order: str) -> tuple[int, int, int]:
    a, b, c = (int(x) for x in t)
    year = c + 2000 if c < 100 else c
    return (year, b, a) if order == "dmy" else (year, a, b)


def parse_document(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    """Sniff the layout and date order, then return the line parser (a generator)."""
    head_lines = doc.head(256 * 1024).lstrip("\ufeff").splitlines()
    headers = [m for line in head_lines if (m := HEADER_RE.match(line))]
    twelve_hour = any(m["ampm"] for m in headers[:50])
    bracketed = sum(1 for m in headers[:50] if "[" in m.group()[:4]) * 2 > len(headers[:50])
    authors = {}
    for m in headers:
        cut = m["rest"].find(": ")
        if 0 < cut <= 80 and not m["rest"][cut + 2 :].startswith("\u200e"):
            authors[m["rest"][:cut]] = None
    title = chat_title(doc, headers)
    conversation = report.add_conversation(
        Conversation(
            id=title,
            title=title,
            source=doc.name,
            participants=list(authors),
            is_group=len(authors) > 2,
            format=FORMAT,
        )
    )
    order = _date_order(doc, twelve_hour, report)
    return _parse_lines(doc, "] " if bracketed else " - ", order, conversation, report)


def _parse_lines(doc, marker, order, conversation, report) -> Iterator[MessageRow]:
    """The hot loop: split off the header, look it up, split author from text. Messages are
    yielded as plain tuples (see Message) once their continuation lines are known."""
    stamp_of = _Clock(order, doc.name, report).stamp
    cache: dict[str, object] = {}
    name = doc.name
    conv_id = conversation.id
    authors = set(conversation.participants)
    pending: MessageRow | None = None
    extra: list[str] = []
    lines_before = 0
    for lines in _iter_lines(doc):
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
                    conversation.is_group = True
                continue
            kind = "text"
            if text in SPECIAL_TEXTS or text[-1:] in ")>" or text[:1] in "\u200e<":
                text, kind = _classify(text)
            pending = (stamp, author, text, conv_id, name, number, kind, None, None)
            if author not in authors and kind == "text":
                authors.add(author)
                conversation.participants.append(author)
                if len(authors) > 2:
                    conversation.is_group = True
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
        parts = list(found.groups())
        key = _date_key(parts, self.order) if self.order != "ymd" else tuple(int(x) for x in parts)
        try:
            return datetime(*key)
        except ValueError:
            return None

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
