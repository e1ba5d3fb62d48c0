"""Signal Desktop chats as signal-export writes them, one folder per chat named after it:
`chat.md` (older exports `index.md`) with Markdown lines `[2019-12-24, 12:23] Name: text`
(newer: `[2019-12-24 12:23:45] Name: text`), and `data.json`, the same chat as JSON Lines.

Your own messages are written as "Me". Quotes of earlier messages, reactions, stickers and
attachment links are written inside a message's text; they are not what its author wrote, so
they are taken out (a message that was only an attachment or a sticker is media).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import PurePath

from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document
from .lines import iter_line_batches

FORMAT = "signal"
MULTI_PAGE = True  # chat.md and data.json of one chat share its folder: only one is read
HEADER_RE = re.compile(r"\[(\d{4}-\d{2}-\d{2})(,?) (\d{2}:\d{2})(:\d{2})?\] [^\n]*?: ")
HEAD_CACHE_LIMIT = 4096
# What signal-export writes into a message's text besides what its author wrote.
REACTIONS_RE = re.compile(r"\(- .*: .* -\)")
STICKER_RE = re.compile(r"\(\( .* \)\)")
ATTACHMENT_RE = re.compile(r"!?\[[^\]\n]*\]\(\.{1,2}/(?:media|exported_stickers)/[^)\s]*\) *")
DELETED = "(This message was deleted)"
CALL_RE = re.compile(r"(?:Incoming|Outgoing|Missed) (?:voice |video )?call\b")
GENERIC_STEMS = frozenset({"chat", "index", "data"})
JSONL_KEYS = ('"date": ', '"sender": ', '"body": ')


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    if head.startswith("{"):
        first = head.partition("\n")[0]
        return all(key in first for key in JSONL_KEYS) and '"messages"' not in first
    return _looks_like_markdown(head.splitlines()[:200])


def _looks_like_markdown(lines: list[str]) -> bool:
    """Bracketed ISO headers from the first line on, plus one of signal-export's marks:
    WhatsApp iOS writes the same brackets, but always with seconds, never with the two
    trailing spaces signal-export adds for Markdown line breaks, never with a blank line
    after every message, and with invisible U+200E marks on its system lines."""
    headers = [i for i, line in enumerate(lines) if HEADER_RE.match(line)]
    if not headers or headers[0] != 0 or any("\u200e" in line for line in lines):
        return False
    found = [HEADER_RE.match(lines[i]) for i in headers]
    old_layout = all(m[2] == "," and not m[4] for m in found)
    spaced = sum(lines[i].endswith("  ") for i in headers) * 2 >= len(headers)
    separated = sum(i + 1 < len(lines) and not lines[i + 1].strip() for i in headers)
    return old_layout or spaced or separated * 2 >= len(headers)


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    """One folder's documents: its JSON Lines file when there is one, else its Markdown."""
    jsonl = [doc for doc in documents if doc.head(4096).lstrip("\ufeff \t\r\n")[:1] == "{"]
    if jsonl:
        for doc in documents:
            if doc not in jsonl:
                report.warn(f"{doc.name}: not read, {jsonl[0].name} holds the same chat")
        for doc in jsonl:
            yield from _parse_jsonl(doc, report)
        return
    for doc in documents:
        yield from _parse_markdown(doc, report)


def _conversation(doc: Document, report: ParseReport) -> Conversation:
    path = PurePath(doc.name)
    title = path.stem
    if path.stem in GENERIC_STEMS:
        # The chat's name is its folder's; a file uploaded alone has lost it.
        title = path.parent.name or f"the Signal chat in {path.name}"
    return report.add_conversation(
        Conversation(id=title, title=title, source=doc.name, format=FORMAT)
    )


def _join(conversation: Conversation, author: str) -> None:
    conversation.participants.append(author)
    conversation.is_group = len(conversation.participants) > 2


def _parse_markdown(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    """Like the WhatsApp parser: the header is cut off with str.partition and its time looked
    up in a cache; lines without a header continue the message before them."""
    conversation = _conversation(doc, report)
    authors = set(conversation.participants)
    name, conv_id = doc.name, conversation.id
    stamps: dict[str, datetime | None] = {}
    pending: list | None = None  # [stamp, author, first line, line number, more lines]
    number = 0
    for lines in iter_line_batches(doc):
        for line in lines:
            number += 1
            head, sep, rest = line.partition("] ")
            # A header needs a name before ": " too; without one, a date is message text.
            header = sep and head[:1] == "[" and ": " in rest
            stamp = stamps.get(head, False) if header else False
            if stamp is False and header and HEADER_RE.match(line):
                if len(stamps) > HEAD_CACHE_LIMIT:
                    stamps.clear()  # bounded memory: exports are chronological
                stamp = stamps[head] = _stamp(head)
            if stamp is False:
                if pending is not None:
                    pending[4].append(line)
                elif line.strip("\ufeff \t"):
                    report.skip(name, number, "a line outside any message")
                continue
            if pending is not None:
                yield _row(pending, conv_id, name)
            author, _, text = rest.partition(": ")
            if stamp is None:
                report.skip(name, number, f"an impossible date or time in {head[1:]!r}")
                pending = None
                continue
            pending = [stamp, author, text, number, []]
            if author not in authors:
                authors.add(author)
                _join(conversation, author)
    if pending is not None:
        yield _row(pending, conv_id, name)


def _stamp(head: str) -> datetime | None:
    try:
        return datetime.fromisoformat(head[1:].replace(",", ""))
    except ValueError:
        return None


def _row(pending: list, conv_id: str, name: str) -> MessageRow:
    stamp, author, text, number, more = pending
    if more and not more[-1]:
        more.pop()  # the blank line signal-export prints after every message
    text = text.rstrip()
    if more or text[-1:] in ")]" or text[:1] in "(!":
        text, kind = _markdown_body(text, more)
    else:
        kind = "text"  # the common case: one line of plain text
    if kind == "text" and (text == DELETED or CALL_RE.match(text)):
        kind = "system"
    return (stamp, author, text, conv_id, name, number, kind, None, None)


def _markdown_body(first: str, more: list[str]) -> tuple[str, MessageKind]:
    """A message's own text: without the blank line signal-export prints after each message,
    the quote block before the text, reaction and sticker lines and attachment links."""
    lines = [first, *more]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and not lines[0].strip():
        # "[date] Name: " then "", "> quoted", ..., "" and the reply itself.
        start = 1
        while start < len(lines) and not lines[start].strip():
            start += 1
        while start < len(lines) and lines[start].startswith(">"):
            start += 1
        lines = lines[start:]
    media = False
    kept = []
    for line in lines:
        if REACTIONS_RE.fullmatch(line):
            continue
        if STICKER_RE.fullmatch(line):
            media = True
            continue
        kept.append(line.rstrip())
    text, attachments = ATTACHMENT_RE.subn("", "\n".join(kept))
    text = text.strip("\n").rstrip()
    if not text and (media or attachments):
        return "", "media"
    return text, "text"


def _parse_jsonl(doc: Document, report: ParseReport) -> Iterator[MessageRow]:
    """One JSON object a line. Lines are decoded a batch at a time as one JSON array (one call
    instead of one per line); a batch with a broken line is decoded line by line."""
    conversation = _conversation(doc, report)
    authors = set(conversation.participants)
    number = 0
    for lines in iter_line_batches(doc):
        first = number + 1
        number += len(lines)
        numbered = [(n, line) for n, line in enumerate(lines, first) if line.strip()]
        try:
            items = json.loads("[" + ",".join(line for _, line in numbered) + "]")
        except (json.JSONDecodeError, RecursionError):
            items = None
        if items is None or len(items) != len(numbered):  # lines that only make sense joined
            items = [_decode_line(doc, n, line, report) for n, line in numbered]
        for (n, _), item in zip(numbered, items, strict=True):
            row = _json_row(doc, conversation.id, n, item, report)
            if row is None:
                continue
            if row[6] == "text" and row[1] not in authors:
                authors.add(row[1])
                _join(conversation, row[1])
            yield row


def _decode_line(doc: Document, number: int, line: str, report: ParseReport):
    try:
        return json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        report.skip(doc.name, number, "a line that is not a JSON object")
        return None


def _json_row(doc, conv_id, number, item, report) -> MessageRow | None:
    if item is None:
        return None  # already reported
    if not isinstance(item, dict) or not isinstance(item.get("sender"), str):
        report.skip(doc.name, number, "a message without a sender")
        return None
    try:
        stamp = datetime.fromisoformat(item["date"])
    except (KeyError, TypeError, ValueError):
        report.skip(doc.name, number, "a message without a valid date")
        return None
    body = item.get("body")
    text = body.rstrip() if isinstance(body, str) else ""
    kind: MessageKind = "text"
    if item.get("deleted") or item.get("call") or text == DELETED or CALL_RE.match(text):
        kind = "system"
    elif not text and (item.get("attachments") or item.get("sticker")):
        kind = "media"
    return (stamp, item["sender"], text, conv_id, doc.name, number, kind, None, None)
