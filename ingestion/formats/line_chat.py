"""LINE chat history `.txt` ("Export chat history"), English and Japanese apps.

    [LINE] Chat history with Maya            [LINE] Mayaとのトーク履歴
    Saved on: 2020/01/20 18:30               保存日時：2020/01/20 18:30

    2020/01/17(Fri)                          2020/01/17(金)
    09:15<TAB>Maya<TAB>Good morning!         09:15<TAB>Maya<TAB>おはよう

A message with line breaks is written in double quotes over several lines. Lines with a time
but no sender are the app's own (someone joined, a message was unsent).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath

from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document
from .lines import iter_line_batches

FORMAT = "line"
TITLE_RE = re.compile(
    r"\[LINE\] (?:Chat history (?P<kind>with|in) (?P<en>.+)"
    r"|(?P<ja>.+?)(?P<with>との|の)トーク履歴)$"
)
# Date lines: "2020/01/17(Fri)", "2020.01.17 Friday", Android's "Fri, 01/17/2020".
DATE_RE = re.compile(
    r"(?:(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?:\s*\(\w+\)|\s+\w+)?"
    r"|\w{2,9}, (?P<m2>\d{1,2})/(?P<d2>\d{1,2})/(?P<y2>\d{4}))"
)
# "09:15", "9:15 PM", "午後9:15".
TIME_RE = re.compile(r"(?P<pre>午前|午後)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?: ?(?P<post>[AaPp][Mm]))?")
MESSAGE_LINE_RE = re.compile(r"(?:午前|午後)?\d{1,2}:\d{2}(?: ?[AaPp][Mm])?\t")
MEDIA_TEXTS = frozenset(
    "[Photo] [Sticker] [Video] [File] [Voice message] [Album] [Contact] [Location] [Note]"
    " [GIF] [写真] [スタンプ] [動画] [ファイル] [ボイスメッセージ] [アルバム] [連絡先]"
    " [位置情報] [ノート]".replace("] [", "]|[").split("|")
)
SYSTEM_RE = re.compile(
    r"☎|(?:Missed call|Canceled call|Call time|Unsent a message|不在着信|キャンセル|通話時間"
    r"|メッセージの送信を取り消しました)"
)
TIME_CACHE_LIMIT = 4096


def looks_like(head: str) -> bool:
    lines = head.lstrip("\ufeff").splitlines()[:60]
    if lines and lines[0].startswith("[LINE] "):
        return True
    # A renamed or trimmed export: a date line followed by tab-separated message lines.
    dated = any(DATE_RE.fullmatch(line.strip()) for line in lines)
    messages = sum(1 for line in lines if MESSAGE_LINE_RE.match(line))
    return dated and messages >= 2


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    for doc in documents:
        yield from _parse_document(doc, report)


def _conversation(doc: Document, first_line: str, report: ParseReport) -> Conversation:
    found = TITLE_RE.match(first_line.lstrip("\ufeff").strip())
    if found:
        title = (found["en"] or found["ja"]).strip()
        is_group = found["kind"] == "in" or found["with"] == "の"
    else:
        title, is_group = PurePath(doc.name).stem, False
    return report.add_conversation(
        Conversation(id=title, title=title, source=doc.name, is_group=is_group, format=FORMAT)
    )


def _parse_document(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    conversation = _conversation(doc, doc.head(512).partition("\n")[0], report)
    authors = set(conversation.participants)
    name, conv_id = doc.name, conversation.id
    clock = _Clock()
    day: datetime | None = None
    pending: list | None = None  # [stamp, author, text, line number, more lines]
    blank = False  # a blank line before a date line ends the message; before text it is text
    number = 0
    for lines in iter_line_batches(doc):
        for line in lines:
            number += 1
            stamp_text, tab, rest = line.partition("\t")
            offset = clock.offset(stamp_text) if tab else None
            if offset is None and tab and MESSAGE_LINE_RE.match(line):
                if pending is not None:
                    yield _row(pending, conv_id, name)
                pending = None
                report.skip(name, number, f"an impossible time {stamp_text!r}")
                continue
            if offset is not None and day is not None:
                if pending is not None:
                    yield _row(pending, conv_id, name)
                author, tab, text = rest.partition("\t")
                if not tab:
                    author, text = "", rest  # the app's own line: "Maya joined the group."
                elif author not in authors:
                    authors.add(author)
                    conversation.participants.append(author)
                    conversation.is_group = conversation.is_group or len(authors) > 2
                pending = [day + offset, author, text, number, []]
                blank = False
                continue
            if (blank or pending is None) and (found := DATE_RE.fullmatch(line.strip())):
                day = _day(found)
                if day is None:
                    report.skip(name, number, f"an impossible date {line.strip()!r}")
                blank = False
                continue
            if not line.strip():
                if blank and pending is not None:
                    pending[4].append("")
                blank = True
                continue
            if pending is not None:
                if blank:
                    pending[4].append("")
                pending[4].append(line)
            elif number > 2 or not line.startswith(("[LINE]", "Saved on", "保存日時", "\ufeff")):
                report.skip(name, number, "a line outside any message")
            blank = False
    if pending is not None:
        yield _row(pending, conv_id, name)


def _day(found: re.Match) -> datetime | None:
    year, month = found["y"] or found["y2"], found["m"] or found["m2"]
    try:
        return datetime(int(year), int(month), int(found["d"] or found["d2"]))
    except ValueError:
        return None


def _row(pending: list, conv_id: str, name: str) -> MessageRow:
    stamp, author, text, number, more = pending
    while more and not more[-1]:
        more.pop()  # blank lines before the next date line
    if more:
        text = "\n".join([text, *more])
        if len(text) > 1 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1].replace('""', '"')  # the quotes around a multi-line message
    kind: MessageKind = "text"
    if not author or SYSTEM_RE.match(text):
        kind = "system"
    elif text in MEDIA_TEXTS:
        kind = "media"
    return (stamp, author, text, conv_id, name, number, kind, None, None)


class _Clock:
    """Times of day as offsets from midnight, each distinct string parsed once."""

    def __init__(self) -> None:
        self.offsets: dict[str, timedelta | None] = {}

    def offset(self, text: str) -> timedelta | None:
        found = self.offsets.get(text, False)
        if found is False:
            if len(self.offsets) > TIME_CACHE_LIMIT:
                self.offsets.clear()
            found = self.offsets[text] = _offset(text)
        return found


def _offset(text: str) -> timedelta | None:
    found = TIME_RE.fullmatch(text)
    if found is None:
        return None
    hour, minute = int(found["h"]), int(found["mi"])
    half = found["pre"] or (found["post"] or "").lower()
    if half in ("午前", "am"):
        hour = 0 if hour == 12 else hour
    elif half in ("午後", "pm"):
        hour = hour if hour == 12 else hour + 12
    if hour > 23 or minute > 59:
        return None
    return timedelta(hours=hour, minutes=minute)
