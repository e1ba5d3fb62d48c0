"""Who speaks in an export, and which of them is probably the person uploading it."""

from __future__ import annotations

from collections import Counter


def suggest_identity(summaries: list[dict]) -> str | None:
    """The author present in the most conversations (ties: the most messages) across summaries."""
    presence: Counter[str] = Counter()
    volume: Counter[str] = Counter()
    for summary in summaries:
        pair_ids = {c["id"] for c in summary.get("conversation_list", []) if c.get("pair_format")}
        for conversation in summary.get("conversation_list", []):
            if conversation["id"] not in pair_ids:
                presence.update(set(conversation.get("participants", [])))
        if len(pair_ids) < len(summary.get("conversation_list", [])):
            volume.update(summary.get("participants", {}))
    if not presence:
        return None
    return max(presence, key=lambda name: (presence[name], volume[name], name))
