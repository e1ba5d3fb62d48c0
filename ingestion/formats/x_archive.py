"""X (Twitter) archive: `data/direct-messages.js`, `data/direct-messages-group.js` and
`data/account.js`, each JSON behind a `window.YTD.<name>.partN = ` assignment.

The archive names people by account id only; `account.js` gives the owner's display name, and
everyone else keeps their id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from ..errors import IngestionError
from ..records import Conversation, MessageRow, ParseReport
from ..sources import Document

FORMAT = "x_archive"
MULTI_PAGE = True  # the files of one archive share its data/ folder
PREFIX_RE = re.compile(r"\s*window\.YTD\.(\w+)\.part\d+\s*=\s*")
DM_FILES = frozenset({"direct_messages", "direct_messages_group"})
# A message whose text is only the t.co link of its picture or video.
MEDIA_LINK_RE = re.compile(r"\s*https://t\.co/\w+\s*")


def looks_like(head: str) -> bool:
    found = PREFIX_RE.match(head.lstrip("\ufeff"))
    return found is not None and found[1] in DM_FILES | {"account"}


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    loaded = [(doc, *_load(doc)) for doc in documents]
    # The owner's name first, whatever order the files come in.
    names: dict[str, str] = {}
    for _, kind, data in loaded:
        if kind == "account":
            names.update(_owner(data))
    owner = next(iter(names), None)
    for doc, kind, data in loaded:
        if kind not in DM_FILES:
            continue
        if not isinstance(data, list):
            raise IngestionError(f"{doc.name}: an X archive file holds a JSON list")
        for position, item in enumerate(data):
            conversation = item.get("dmConversation") if isinstance(item, dict) else None
            if not isinstance(conversation, dict) or not isinstance(
                conversation.get("messages"), list
            ):
                report.skip(doc.name, None, f"conversation #{position}: no message list")
                continue
            yield from _conversation(
                doc, conversation, kind == "direct_messages_group", owner, names, report
            )


def _load(doc: Document) -> tuple[str, object]:
    text = doc.read_text().lstrip("\ufeff")
    found = PREFIX_RE.match(text)
    if found is None:
        raise IngestionError(f"{doc.name}: not an X archive data file (no window.YTD prefix)")
    try:
        return found[1], json.loads(text[found.end() :])
    except (json.JSONDecodeError, RecursionError) as exc:
        raise IngestionError(f"{doc.name}: broken JSON ({exc})") from exc


def _owner(data) -> dict[str, str]:
    for item in data if isinstance(data, list) else []:
        account = item.get("account") if isinstance(item, dict) else None
        if isinstance(account, dict) and account.get("accountId"):
            name = account.get("accountDisplayName") or account.get("username")
            return {str(account["accountId"]): str(name or account["accountId"])}
    return {}


def _conversation(
    doc: Document, data: dict, is_group: bool, owner: str | None, names: dict, report
) -> Iterator[MessageRow]:
    conv_id = str(data.get("conversationId") or f"conversation in {doc.name}")
    # A one-to-one conversation's id is its two members' ids: it is called by the other one.
    others = [part for part in conv_id.split("-") if part != owner] or [conv_id]
    title = f"group {conv_id}" if is_group else names.get(others[0], others[0])
    conversation = report.add_conversation(
        Conversation(id=conv_id, title=title, source=doc.name, is_group=is_group, format=FORMAT)
    )
    rows = []
    events = data["messages"]
    # The archive lists the newest event first.
    for position in range(len(events) - 1, -1, -1):
        row = _event(doc, events[position], conversation, names)
        if row is None:
            report.skip(doc.name, None, f"conversation {conv_id} event #{position}: unreadable")
        else:
            rows.append(row)
    rows.sort(key=lambda row: row[0])
    return iter(rows)


def _event(doc: Document, event, conversation: Conversation, names: dict) -> MessageRow | None:
    if not isinstance(event, dict) or len(event) != 1:
        return None
    ((kind, body),) = event.items()
    if not isinstance(body, dict):
        return None
    stamp = _time(body.get("createdAt"))
    if stamp is None:
        return None
    if kind != "messageCreate":
        # Joins, leaves and renames: system lines, and a rename names a group.
        if kind == "conversationNameUpdate" and body.get("name"):
            conversation.title = str(body["name"])
        # Members who joined count as participants: a group is then more than two people.
        joined = body.get("participantsSnapshot") or body.get("userIds") or []
        for member in joined if isinstance(joined, list) else []:
            name = names.get(str(member), str(member))
            if name not in conversation.participants:
                conversation.participants.append(name)
        text = f"{kind} {body.get('name') or ' '.join(map(str, joined))}".strip()
        return (stamp, "", text, conversation.id, doc.name, None, "system", None, None)
    sender = body.get("senderId")
    if not sender:
        return None
    author = names.get(str(sender), str(sender))
    if author not in conversation.participants:
        conversation.participants.append(author)
    text = _unescape(str(body.get("text") or ""))
    media = body.get("mediaUrls") and (not text or MEDIA_LINK_RE.fullmatch(text))
    return (
        stamp,
        author,
        text,
        conversation.id,
        doc.name,
        None,
        "media" if media else "text",
        None,
        None,
    )


def _time(value) -> datetime | None:
    """The archive's "2021-01-13T09:15:00.000Z" as a naive UTC datetime."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        return None
    # Naive like every other stamp of the export, so that they sort together.
    return stamp.astimezone(UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


def _unescape(text: str) -> str:
    """X writes message text HTML-escaped (`&amp;`, `&lt;`, `&gt;`)."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
