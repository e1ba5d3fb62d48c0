"""Slack workspace export (zip or folder): `users.json`, `channels.json` (and `groups.json`,
`dms.json`, `mpims.json` for private channels and direct messages), then one folder per channel
holding one JSON list of messages per day (`general/2021-01-13.json`).

Authors are named by `user_profile.real_name` (the users.json profile when a message has none);
messages with a `subtype` other than ordinary posts (joins, topic changes, bots) are system lines;
a thread's replies follow the message that started it, wherever their days are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath

from ..errors import IngestionError
from ..records import Conversation, MessageRow, ParseReport
from ..sources import Document
from .jsonfile import load_json

FORMAT = "slack"
MULTI_PAGE = True
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
CHANNEL_LISTS = {"channels.json": True, "groups.json": True, "mpims.json": True, "dms.json": False}
# Subtypes that are still someone's own words; every other subtype is a system line.
PEOPLE_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
MENTION_RE = re.compile(r"<@(\w+)(?:\|[^>]*)?>")
LINK_RE = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    if not head.startswith("["):
        return False
    day = '"ts"' in head and '"type"' in head and '"message"' in head
    users = '"team_id"' in head and '"real_name"' in head and '"profile"' in head
    channels = '"members"' in head and '"created"' in head and '"id"' in head
    return day or users or channels


def archive_root(name: str) -> str:
    """The export's top folder, which groups a workspace's files: a day file sits one below."""
    path = PurePosixPath(name)
    return str(path.parent.parent if DAY_RE.fullmatch(path.name) else path.parent)


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    names: dict[str, str] = {}
    channels: dict[str, tuple[bool, list]] = {}
    days: dict[str, list[Document]] = {}
    for doc in sorted(documents, key=lambda d: d.name):
        path = PurePosixPath(doc.name)
        if path.name == "users.json":
            names.update(_user_names(doc))
        elif path.name in CHANNEL_LISTS:
            channels.update(_channels(doc, CHANNEL_LISTS[path.name]))
        elif DAY_RE.fullmatch(path.name):
            days.setdefault(path.parent.name, []).append(doc)
    for channel, docs in days.items():
        yield from _channel(channel, docs, names, channels, report)


def _user_names(doc: Document) -> dict[str, str]:
    names = {}
    for user in _list(doc):
        if isinstance(user, dict) and user.get("id"):
            profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
            name = profile.get("real_name") or user.get("real_name") or user.get("name")
            names[str(user["id"])] = str(name or user["id"])
    return names


def _channels(doc: Document, is_channel: bool) -> dict[str, tuple[bool, list]]:
    """Folder name -> (whether it is a channel rather than a direct message, member ids)."""
    found = {}
    for item in _list(doc):
        if isinstance(item, dict) and item.get("id"):
            members = item.get("members") if isinstance(item.get("members"), list) else []
            found[str(item.get("name") or item["id"])] = (is_channel, members)
    return found


def _list(doc: Document) -> list:
    data = load_json(doc)
    if not isinstance(data, list):
        raise IngestionError(f"{doc.name}: a Slack export file holds a JSON list")
    return data


def _channel(channel, docs, names, channels, report) -> Iterator[MessageRow]:
    # Direct messages' folders are their ids ("D024BE91L"): they are called by their members.
    is_channel, members = channels.get(channel, (not channel.startswith("D"), []))
    people = ", ".join(names.get(str(member), str(member)) for member in members)
    conversation = report.add_conversation(
        Conversation(
            id=channel,
            title=f"#{channel}" if is_channel else people or channel,
            source=docs[0].name,
            is_group=is_channel,
            format=FORMAT,
        )
    )
    top: list[tuple[float, str, MessageRow]] = []
    replies: dict[str, list[tuple[float, str, MessageRow]]] = {}
    for doc in docs:
        for position, item in enumerate(_list(doc)):
            row = _message(doc, item, conversation, names)
            if row is None:
                report.skip(doc.name, None, f"message #{position}: no ts or not a message")
                continue
            entry = (float(item["ts"]), str(item["ts"]), row)
            if row[7] is not None:
                replies.setdefault(row[7], []).append(entry)
            else:
                top.append(entry)
    # Replies whose first message is not in the export stand where they were written.
    started = {ts for _, ts, _ in top}
    for thread in [t for t in replies if t not in started]:
        top.extend(replies.pop(thread))
    top.sort(key=lambda entry: entry[0])
    for _, ts, row in top:
        yield row
        for _, _, reply in sorted(replies.get(ts, ()), key=lambda entry: entry[0]):
            yield reply
    if not conversation.is_group and len(conversation.participants) > 2:
        conversation.is_group = True


def _message(doc, item, conversation: Conversation, names) -> MessageRow | None:
    """One message as a row whose reply_to is the ts of the thread's first message."""
    if not isinstance(item, dict) or item.get("type", "message") != "message":
        return None
    try:
        stamp = datetime.fromtimestamp(float(item["ts"]), UTC).replace(tzinfo=None)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
    thread = item.get("thread_ts")
    reply_to = str(thread) if thread and str(thread) != str(item["ts"]) else None
    text = _plain(str(item.get("text") or ""), names)
    user = str(item.get("user") or "")
    profile = item.get("user_profile")
    author = str(
        (profile.get("real_name") if isinstance(profile, dict) else None) or names.get(user, user)
    )
    subtype = item.get("subtype")
    if not isinstance(subtype, str | None) or subtype not in PEOPLE_SUBTYPES or not author:
        kind = "system"
    elif not text.strip():
        kind = "media" if item.get("files") else "system"
    else:
        kind = "text"
        if author not in conversation.participants:
            conversation.participants.append(author)
    return (
        stamp,
        author if kind != "system" else "",
        text,
        conversation.id,
        doc.name,
        None,
        kind,
        reply_to,
        None,
    )


def _plain(text: str, names: dict[str, str]) -> str:
    """Slack's markup as the reader saw it: `<@U1>` is @name, `<url|label>` its label, and
    `&amp;`, `&lt;`, `&gt;` are characters."""
    if "<" in text:
        text = MENTION_RE.sub(lambda m: "@" + names.get(m[1], m[1]), text)
        text = LINK_RE.sub(lambda m: m[2] or m[1], text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text
