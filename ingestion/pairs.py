"""Training pairs: a few previous turns as context, the identity's turn as the response."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path

from .cleaning import CleaningPolicy
from .formats import convai2
from .reader import read_messages
from .records import RESPONSE_SPEAKER, Conversation, Message, Pair, ParseReport
from .turns import MERGE_GAP, SESSION_GAP, TurnRow, turn_rows

# Parsers may yield plain MessageRow tuples: fields by position.
CONVERSATION = Message._fields.index("conversation")


def _names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.strip().casefold() for name in names if name and name.strip())


def iter_pairs(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    me: Iterable[str] = (),
    *,
    policy: CleaningPolicy | None = None,
    context_turns: int = 3,
    exclude_conversations: Iterable[str] = (),
    convai2_side: str = "Bot",
    merge_gap: timedelta = MERGE_GAP,
    session_gap: timedelta = SESSION_GAP,
    names: Sequence[str | None] = (),
    everyone: bool = False,
) -> Iterator[Pair]:
    """Stream pairs file by file; memory stays bounded by one conversation's context window.

    `names`: uploaded file names, one per path, when the paths are stored copies.
    `everyone`: for general corpora without a persona: every turn that answers another speaker
    is a response, and its context names speakers by role, "me" (the responder) and "them".
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    identity = _names([me] if isinstance(me, str) else me)
    excluded = frozenset(exclude_conversations)
    for index, path in enumerate(paths):
        report = ParseReport(str(path))
        name = names[index] if index < len(names) else None
        label = name or Path(path).name
        messages = read_messages(path, report, name)
        if excluded:
            messages = (
                m
                for m in messages
                if m[CONVERSATION] not in excluded and f"{label}:{m[CONVERSATION]}" not in excluded
            )
        turns = turn_rows(messages, policy, merge_gap=merge_gap, session_gap=session_gap)
        if everyone:
            yield from _everyone_pairs(turns, report, context_turns)
        else:
            yield from _pairs_from_turns(turns, report, identity, context_turns, convai2_side)


def build_pairs(
    paths: Iterable[str | os.PathLike] | str | os.PathLike, me: Iterable[str] = (), **options
) -> list[Pair]:
    """All pairs of the given files, as a list; `options` are those of `iter_pairs`
    (policy, context_turns, exclude_conversations, convai2_side, merge_gap, session_gap, names,
    everyone).
    In pair formats the responder side is the identity."""
    return list(iter_pairs(paths, me, **options))


def _responders(conversation: Conversation, identity, convai2_side: str) -> frozenset[str]:
    if not conversation.pair_format:
        return identity
    side = convai2_side if conversation.format == convai2.FORMAT else RESPONSE_SPEAKER
    return _names([side])


def _addressee(conversation: Conversation, responders, last_speaker: str) -> str | None:
    if conversation.pair_format:
        return None
    # Aliases of the identity count as one person: a chat with one other speaker is 1:1.
    others = {p for p in conversation.participants if p.casefold() not in responders}
    if len(others) == 1:
        return others.pop()
    return conversation.title if conversation.is_group else last_speaker


def _pairs_from_turns(
    turns: Iterable[TurnRow], report: ParseReport, identity, context_turns: int, convai2_side: str
) -> Iterator[Pair]:
    window: deque[tuple[str, str]] = deque(maxlen=max(context_turns, 1))
    last_mine = False  # whether the newest turn in the window is the identity's
    current = None
    session = -1
    responders = identity
    conversation = Conversation("", "", "")
    addressee_for: tuple | None = None
    addressee = None
    source = report.path
    is_mine: dict[str, bool] = {}  # author -> whether the name is one of the responders
    for author, text, conversation_id, start, _, turn_session in turns:
        if conversation_id != current or turn_session != session:
            window.clear()
            if conversation_id != current:
                current = conversation_id
                conversation = report.conversations.get(current) or Conversation(
                    current, current, ""
                )
                responders = _responders(conversation, identity, convai2_side)
                is_mine = {}
                addressee_for = None
                source = conversation.source or report.path
            session = turn_session
        mine = is_mine.get(author)
        if mine is None:
            mine = is_mine[author] = author.casefold() in responders
        if mine and window and not last_mine:
            # Participants can still grow while a file streams: recompute only when they do.
            known = (len(conversation.participants), conversation.is_group, window[-1][0])
            if known != addressee_for:
                addressee_for = known
                addressee = _addressee(conversation, responders, window[-1][0])
            yield Pair(tuple(window), text, addressee, source, current, start)
        window.append((author, text))
        last_mine = mine


def _everyone_pairs(turns: Iterable[TurnRow], report: ParseReport, context_turns: int):
    window: deque[tuple[str, str]] = deque(maxlen=max(context_turns, 1))
    current = None
    session = -1
    for author, text, conversation_id, start, _, turn_session in turns:
        if conversation_id != current or turn_session != session:
            window.clear()
            current, session = conversation_id, turn_session
        if window and window[-1][0] != author:
            context = tuple(("me" if s == author else "them", t) for s, t in window)
            source = getattr(report.conversations.get(current), "source", "") or report.path
            yield Pair(context, text, None, source, current, start)
        window.append((author, text))
