"""Merging consecutive messages into turns and splitting conversations into sessions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import starmap

from .cleaning import CleaningPolicy
from .records import MessageRow, Turn

MERGE_GAP = timedelta(minutes=5)
SESSION_GAP = timedelta(hours=6)
# A Turn's fields in order (author, text, conversation, start, end, session): the pair builder
# reads these directly, as a tuple costs a fraction of a dataclass to build.
TurnRow = tuple[str, str, str, datetime | None, datetime | None, int]


def iter_turns(
    messages: Iterable[MessageRow],
    policy: CleaningPolicy | None = None,
    *,
    merge_gap: timedelta = MERGE_GAP,
    session_gap: timedelta = SESSION_GAP,
) -> Iterator[Turn]:
    """Cleaned turns; without timestamps, consecutive messages of one author always merge."""
    return starmap(Turn, turn_rows(messages, policy, merge_gap=merge_gap, session_gap=session_gap))


def turn_rows(
    messages: Iterable[MessageRow],
    policy: CleaningPolicy | None = None,
    *,
    merge_gap: timedelta = MERGE_GAP,
    session_gap: timedelta = SESSION_GAP,
) -> Iterator[TurnRow]:
    """The turns of `iter_turns` as TurnRow tuples.

    Cleaning runs once per turn on the joined text (masks and spacing work the same on a join),
    and turns that clean down to nothing are dropped. This loop runs once per message of every
    upload, so it is kept flat on purpose.
    """
    policy = policy or CleaningPolicy()
    keeps, clean = policy.keeps, policy.clean
    author = conversation = None
    texts: list[str] = []
    start = end = None
    session = 0
    for ts, speaker, text, chat, _, _, kind, _, forwarded_from in messages:
        if (kind != "text" or forwarded_from) and not keeps(kind, forwarded_from):
            continue
        if not text:
            continue
        if chat != conversation:
            if texts and (joined := clean(" ".join(texts))):
                yield (author, joined, conversation, start, end, session)
            texts = []
            conversation, author, session, start, end = chat, None, 0, ts, ts
        if speaker == author and (ts is None or end is None or ts - end <= merge_gap):
            texts.append(text)
            if ts is not None:
                end = ts
            continue
        if texts and (joined := clean(" ".join(texts))):
            yield (author, joined, conversation, start, end, session)
        if ts is not None and end is not None and ts - end > session_gap:
            session += 1
        author, texts, start, end = speaker, [text], ts, ts
    if texts and (joined := clean(" ".join(texts))):
        yield (author, joined, conversation, start, end, session)
