"""CSV files: a message log (author + text [+ time]) or pairs (context + response)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import datetime

from ..errors import IngestionError
from ..records import PROMPT_SPEAKER, RESPONSE_SPEAKER, Conversation, Message, ParseReport
from ..sources import Document

FORMAT = "csv"
AUTHOR = ("author", "sender", "from", "name", "user", "speaker")
TEXT = ("text", "message", "content", "body")
TIME = ("timestamp", "date", "time", "datetime", "sent_at", "created_at")
CONVERSATION = ("conversation", "chat", "thread", "conversation_id", "dialog")
CONTEXT = ("context", "question", "input", "prompt")
RESPONSE = ("response", "answer", "reply", "output")
DELIMITERS = ",;\t|"


def _dialect(head: str):
    try:
        return csv.Sniffer().sniff(head[:8192], delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lstrip("\ufeff").casefold() for h in header]

    def find(options):
        return next((names.index(o) for o in options if o in names), None)

    found = {
        "author": find(AUTHOR),
        "text": find(TEXT),
        "time": find(TIME),
        "conversation": find(CONVERSATION),
        "context": find(CONTEXT),
        "response": find(RESPONSE),
    }
    return {key: value for key, value in found.items() if value is not None}


def _layout(columns: dict[str, int]) -> str | None:
    if "context" in columns and "response" in columns:
        return "pairs"
    if "author" in columns and "text" in columns:
        return "log"
    return None


def looks_like(head: str) -> bool:
    lines = head.lstrip("\ufeff").splitlines()
    if not lines or head.lstrip().startswith(("{", "[", "<")):
        return False
    try:
        header = next(csv.reader([lines[0]], _dialect(head)))
    except (csv.Error, StopIteration):
        return False
    return _layout(_columns(header)) is not None


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    for doc in documents:
        yield from _parse_one(doc, report)


def _parse_one(doc: Document, report: ParseReport) -> Iterator[Message]:
    with doc.open_text(newline="") as handle:
        head = handle.read(8192)
        handle.seek(0)
        rows = csv.reader(handle, _dialect(head))
        try:
            header = next(rows)
        except (StopIteration, csv.Error) as exc:
            raise IngestionError(f"{doc.name}: no CSV header") from exc
        columns = _columns(header)
        layout = _layout(columns)
        if layout is None:
            raise IngestionError(f"{doc.name}: CSV header names no author/text or context/response")
        bad_times = 0
        try:
            for row in rows:
                number = rows.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < len(header):
                    report.skip(doc.name, number, f"a row with {len(row)} of {len(header)} cells")
                    continue
                conv_id = row[columns["conversation"]].strip() if "conversation" in columns else ""
                stamp = None
                if "time" in columns and row[columns["time"]].strip():
                    stamp = _time(row[columns["time"]])
                    bad_times += stamp is None
                if layout == "pairs":
                    conv_id = conv_id or f"row {number}"
                    _register(doc, report, conv_id, pair_format=True)
                    yield Message(
                        stamp, PROMPT_SPEAKER, row[columns["context"]], conv_id, doc.name, number
                    )
                    yield Message(
                        stamp, RESPONSE_SPEAKER, row[columns["response"]], conv_id, doc.name, number
                    )
                    continue
                author = row[columns["author"]].strip()
                if not author:
                    report.skip(doc.name, number, "a row without an author")
                    continue
                conversation = _register(doc, report, conv_id or doc.name, pair_format=False)
                if author not in conversation.participants:
                    conversation.participants.append(author)
                    conversation.is_group = len(conversation.participants) > 2
                yield Message(
                    stamp, author, row[columns["text"]], conversation.id, doc.name, number
                )
        except csv.Error as exc:
            report.skip(doc.name, rows.line_num, f"unreadable CSV from here on ({exc})")
        if bad_times:
            report.warn(f"{doc.name}: {bad_times} timestamps could not be read and were left empty")


def _register(doc: Document, report: ParseReport, conv_id: str, pair_format: bool) -> Conversation:
    return report.add_conversation(
        Conversation(
            id=conv_id,
            title=conv_id,
            source=doc.name,
            pair_format=pair_format,
            participants=[PROMPT_SPEAKER, RESPONSE_SPEAKER] if pair_format else [],
            format=FORMAT,
        )
    )


def _time(value: str) -> datetime | None:
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return None
    try:
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number)
    except (OverflowError, OSError, ValueError):
        return None
