"""Writing pairs out: chatterbot-corpus YAML (the notebook's intermediate format) or JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

import yaml

from .records import Pair


def write_corpus(pairs: Iterable[Pair], fmt: str, out: TextIO, category: str = "persona") -> None:
    """`yml`: each pair becomes a [message, response] conversation; `jsonl`: one pair per line."""
    if fmt == "jsonl":
        for pair in pairs:
            out.write(json.dumps(pair.to_dict(), ensure_ascii=False) + "\n")
    elif fmt in ("yml", "yaml"):
        conversations = [[pair.context[-1][1], pair.response] for pair in pairs if pair.context]
        yaml.safe_dump(
            {"categories": [category], "conversations": conversations},
            out,
            allow_unicode=True,
            sort_keys=False,
            width=1000,
        )
    else:
        raise ValueError(f"unknown corpus format {fmt!r}; use 'yml' or 'jsonl'")
