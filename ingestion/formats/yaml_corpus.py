"""chatterbot-corpus YAML and the notebook's line-based list files (often not valid YAML)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import PurePath

import yaml

from ..errors import IngestionError, UnsupportedFormat
from ..records import PROMPT_SPEAKER, RESPONSE_SPEAKER, Conversation, Message, ParseReport
from ..sources import Document
from ..text import repair

FORMAT = "yaml"
START_MARK = "[START]"
PAIR_START_RE = re.compile(r"^- -(?:[ \t]+|$)")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# YAML aliases (&a / *a) repeat a node without repeating its text: the text a file may expand
# to is capped at this multiple of its own size (plus a little for tiny files), so that a 1 MB
# file cannot become a 500 MB corpus. Files without aliases never come near it.
MAX_EXPANSION = 4
EXPANSION_SLACK_CHARS = 10_000
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
        data = _load(doc, text)
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


def _load(doc: Document, text: str):
    """yaml.load in its two steps, with the expansion checked on the node graph in between:
    aliases are still shared nodes there, while constructing copies merge keys' entries."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        limit = MAX_EXPANSION * len(text) + EXPANSION_SLACK_CHARS
        if _expanded_chars(doc, node) > limit:
            raise IngestionError(
                f"{doc.name}: its YAML aliases (&name / *name) expand it to more than "
                f"{MAX_EXPANSION} times its own size; the file is refused."
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _expanded_chars(doc: Document, root: yaml.Node) -> int:
    """Characters of the document with every alias written out, computed without writing
    them out: each node's size is computed once (post-order, no recursion) and counted at every
    reference. A container counts 1 beside its children."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
        elif key in on_path:
            raise IngestionError(f"{doc.name}: a YAML alias refers to itself; the file is refused.")
        elif key not in sizes:
            if isinstance(node, yaml.ScalarNode):
                sizes[key] = len(node.value)
                continue
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


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
