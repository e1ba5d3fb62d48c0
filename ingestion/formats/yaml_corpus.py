"""chatterbot-corpus YAML and the notebook's line-based list files (often not valid YAML)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import PurePath

import yaml

from ..errors import UnsupportedFormat
from ..records import PROMPT_SPEAKER, RESPONSE_SPEAKER, Conversation, Message, ParseReport
from ..sources import Document
from ..text import repair

FORMAT = "yaml"
START_MARK = "[START]"
PAIR_START_RE = re.compile(r"^- -(?:[ \t]+|$)")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A list written without its line breaks ("- - a - b") reaches YAML as one string.
FLATTENED_SPLIT_RE = re.compile(r"\s+-\s+")
PAIR_ITEM_RE = re.compile(r"^ {1,4}-(?:[ \t]+|$)")


def looks_like(head: str) -> bool:
    for line in head.lstrip("\ufeff").splitlines()[:20]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        return stripped.startswith(("categories:", "conversations:")) or bool(
            PAIR_START_RE.match(line)
        )
    return False


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    for doc in documents:
        yield from _parse_one(doc, report)


def _parse_one(doc: Document, report: ParseReport) -> Iterator[Message]:
    text = repair(doc.read_text())
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        report.warn(f"{doc.name}: not valid YAML, read line by line as the notebook did")
        yield from _parse_lines(doc, text, report)
        return
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        yield from _parse_chatterbot(doc, data, report)
    elif isinstance(data, list) and all(isinstance(item, list) for item in data):
        yield from _stream(doc, ((0, item) for item in data), report)
    else:
        raise UnsupportedFormat(f"{doc.name}: YAML without a chatterbot-corpus conversation list")


def _parse_chatterbot(doc: Document, data: dict, report: ParseReport) -> Iterator[Message]:
    categories = data.get("categories") or []
    category = (
        str(categories[0])
        if isinstance(categories, list) and categories
        else PurePath(doc.name).stem
    )
    for index, dialog in enumerate(data["conversations"], 1):
        if isinstance(dialog, str):
            report.warn(f"{doc.name}: conversation #{index} is one string; split at ' - '")
            dialog = FLATTENED_SPLIT_RE.split(dialog.lstrip("- "))
        if not isinstance(dialog, list):
            report.skip(doc.name, None, f"conversation #{index}: not a list")
            continue
        conv_id = str(index)
        report.add_conversation(_conversation(doc, conv_id, f"{category} #{index}"))
        # chatterbot semantics: each statement answers the previous one, speakers alternate.
        for position, item in enumerate(dialog):
            if item is None or isinstance(item, list | dict):
                report.skip(doc.name, None, f"conversation #{index}: item {position} is not text")
                continue
            author = PROMPT_SPEAKER if position % 2 == 0 else RESPONSE_SPEAKER
            yield Message(None, author, str(item), conv_id, doc.name)


def _conversation(doc: Document, conv_id: str, title: str) -> Conversation:
    return Conversation(
        id=conv_id,
        title=title,
        source=doc.name,
        participants=[PROMPT_SPEAKER, RESPONSE_SPEAKER],
        pair_format=True,
        format=FORMAT,
    )


def _stream(doc: Document, items, report: ParseReport) -> Iterator[Message]:
    """Notebook list layout: the first item of each list is the prompt side, the rest answer it.

    `[START]` items open a new conversation; without them the file is one conversation.
    """
    stem = PurePath(doc.name).stem
    number = 0
    conv_id = None
    for line, item in items:
        for position, value in enumerate(item):
            text = "" if value is None else str(value).strip()
            if text == START_MARK:
                number += 1
                conv_id = None
                continue
            if not text:
                continue
            if conv_id is None:
                number = max(number, 1)
                conv_id = str(number)
                report.add_conversation(_conversation(doc, conv_id, f"{stem} #{number}"))
            author = PROMPT_SPEAKER if position == 0 else RESPONSE_SPEAKER
            yield Message(None, author, text, conv_id, doc.name, line or None)


def _parse_lines(doc: Document, text: str, report: ParseReport) -> Iterator[Message]:
    yield from _stream(doc, _line_items(doc, text, report), report)


def _line_items(doc: Document, text: str, report: ParseReport):
    """Yield (line number, [items]) for each `- - ` list; `  - ` lines add items to it."""
    current: list[list[str]] | None = None
    start_line = 0
    in_conversations = not re.search(r"^conversations:", text, re.M)
    for number, line in enumerate(text.splitlines(), 1):
        if not in_conversations:
            in_conversations = line.startswith("conversations:")
            continue
        if PAIR_START_RE.match(line):
            if current:
                yield start_line, [_unquote("\n".join(parts)) for parts in current]
            current = [[PAIR_START_RE.sub("", line, count=1)]]
            start_line = number
        elif PAIR_ITEM_RE.match(line) and current is not None:
            current.append([PAIR_ITEM_RE.sub("", line, count=1)])
        elif current is not None and line.strip():
            current[-1].append(line.strip())  # continuation of a quoted multi-line item
        elif line.strip() and line.strip() != "---":
            report.skip(doc.name, number, "a line outside any `- - ` list")
    if current:
        yield start_line, [_unquote("\n".join(parts)) for parts in current]


def _unquote(item: str) -> str:
    item = item.strip()
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'":
        item = item[1:-1]
    return item
