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


def suggest_identities(summaries: list[dict]) -> list[tuple[list[int], str]]:
    """One suggestion per group of related files: files are related when they share an author
    (one person's chats with different people), and files that share nobody may be chats of
    different people, so each group gets its own suggestion. Returns (indices, name) pairs."""
    groups: list[tuple[set[str], list[int]]] = []
    for index, summary in enumerate(summaries):
        authors = {
            name
            for conversation in summary.get("conversation_list", [])
            if not conversation.get("pair_format")
            for name in conversation.get("participants", [])
        }
        joined = [group for group in groups if group[0] & authors]
        names = authors.union(*(group[0] for group in joined))
        indices = sorted([index, *(i for group in joined for i in group[1])])
        groups = [group for group in groups if group not in joined] + [(names, indices)]
    suggestions = []
    for _, indices in sorted(groups, key=lambda group: group[1][0]):
        name = suggest_identity([summaries[i] for i in indices])
        if name:
            suggestions.append((indices, name))
    return suggestions
