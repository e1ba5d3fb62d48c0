"""Writing pairs out: chatterbot-corpus YAML (the notebook's intermediate format) or JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TextIO

import yaml

from .records import Pair

# Pairs written per chunk when streaming: a chunk stays small whatever the corpus's size.
CHUNK_PAIRS = 500


def iter_corpus(
    pairs: Iterable[Pair], fmt: str, category: str = "persona"
) -> Iterator[str]:
    """The corpus as text chunks, reading `pairs` as it goes (a download can stream them).
    `yml`: each pair becomes a [message, response] conversation; `jsonl`: one pair per line."""
    if fmt == "jsonl":
        for batch in batched(pairs, CHUNK_PAIRS):
            yield "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in batch)
    elif fmt in ("yml", "yaml"):
        yield _yaml({"categories": [category]})
        conversations = ([p.context[-1][1], p.response] for p in pairs if p.context)
        empty = True
        for batch in batched(conversations, CHUNK_PAIRS):
            # A block sequence of items continues the same "conversations:" list.
            yield ("conversations:\n" if empty else "") + _yaml(list(batch))
            empty = False
        if empty:
            yield _yaml({"conversations": []})
    else:
        raise ValueError(f"unknown corpus format {fmt!r}; use 'yml' or 'jsonl'")


def batched(items: Iterable, size: int) -> Iterator[tuple]:
    """itertools.batched, which Python 3.11 lacks."""
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch


def _yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def write_corpus(pairs: Iterable[Pair], fmt: str, out: TextIO, category: str = "persona") -> None:
    """The whole corpus (see iter_corpus) written to `out`."""
    for chunk in iter_corpus(pairs, fmt, category):
        out.write(chunk)
