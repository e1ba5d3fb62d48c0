"""inspect(): what an export contains, as the `inspect_archive` command prints it."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from .errors import EmptyExport
from .participants import suggest_identity
from .reader import read_messages
from .records import ParseReport


def inspect(path: str | os.PathLike, name: str | None = None) -> dict:
    """Summarise one file, folder or archive; raises IngestionError when it cannot be read.

    `name`: the uploaded file name when `path` is a stored copy (it may carry the chat title).
    """
    report = ParseReport(str(path))
    participants: Counter[str] = Counter()
    per_conversation: dict[str, Counter[str]] = {}
    first = last = None
    total = 0
    for ts, author, _, conversation, _, _, kind, _, _ in read_messages(path, report, name):
        if kind != "text":
            continue
        total += 1
        participants[author] += 1
        per_conversation.setdefault(conversation, Counter())[author] += 1
        if ts is not None:
            first = ts if first is None or ts < first else first
            last = ts if last is None or ts > last else last
    if not total:
        found = f" (only {report.skipped} unreadable lines)" if report.skipped else ""
        raise EmptyExport(
            f"{name or Path(path).name}: the export contains no messages written by people{found}"
        )
    conversation_list = [
        {
            "id": conv.id,
            "title": conv.title,
            "participants": sorted(per_conversation.get(conv.id, {})),
            "messages": sum(per_conversation.get(conv.id, Counter()).values()),
            "is_group": conv.is_group,
            "pair_format": conv.pair_format,
            "source": conv.source,
        }
        for conv in report.conversations.values()
    ]
    summary = {
        "path": str(path),
        "format": "+".join(report.formats),
        "conversations": len(conversation_list),
        "messages": total,
        "participants": dict(participants.most_common()),
        "first": first.isoformat() if first else None,
        "last": last.isoformat() if last else None,
        "skipped": report.skipped,
        "warnings": list(report.warnings),
        "conversation_list": conversation_list,
    }
    summary["suggested_identity"] = suggest_identity([summary])
    return summary
