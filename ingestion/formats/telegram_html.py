"""Telegram Desktop HTML export: messages.html, messages2.html, ... in one folder per chat."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import PurePosixPath

from bs4 import BeautifulSoup, Tag

from ..records import Conversation, Message, ParseReport
from ..sources import Document

FORMAT = "telegram_html"
MULTI_PAGE = True
PAGE_RE = re.compile(r"messages(\d*)\.html?$")
DATE_TITLE_RE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})")


def looks_like(head: str) -> bool:
    return "<html" in head.lower() and 'class="history"' in head and "message" in head


def _page_number(doc: Document) -> tuple[int, str]:
    found = PAGE_RE.search(doc.name)
    return (int(found.group(1) or 1) if found else 0, doc.name)


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    pages = sorted(documents, key=_page_number)
    first = pages[0]
    conversation = None
    author = ""  # "joined" messages carry no name: they continue the previous sender
    for doc in pages:
        soup = BeautifulSoup(doc.read_text(), "lxml")
        if conversation is None:
            conversation = _conversation(first, soup, report)
        for node in soup.select("div.history > div.message"):
            message = _message(doc, node, conversation, author, report)
            if message is None:
                continue
            if message.kind != "system":
                author = message.author
                if author not in conversation.participants:
                    conversation.participants.append(author)
                    conversation.is_group = (
                        conversation.is_group or len(conversation.participants) > 2
                    )
            yield message


def _conversation(doc: Document, soup: BeautifulSoup, report: ParseReport) -> Conversation:
    header = soup.select_one("div.page_header div.text")
    folder = str(PurePosixPath(doc.name).parent)
    title = header.get_text(" ", strip=True) if header else folder
    return report.add_conversation(
        Conversation(id=title or "Telegram chat", title=title, source=doc.name, format=FORMAT)
    )


def _message(doc, node: Tag, conversation, previous_author: str, report) -> Message | None:
    classes = node.get("class") or []
    line = getattr(node, "sourceline", None)
    if "service" in classes:
        body = node.select_one("div.body")
        text = body.get_text(" ", strip=True) if body else ""
        return Message(None, "", text, conversation.id, doc.name, line, "system")
    body = node.find("div", class_="body", recursive=False)
    if body is None:
        report.skip(doc.name, line, "a message without a body")
        return None
    name = body.find("div", class_="from_name", recursive=False)
    author = name.get_text(" ", strip=True) if name else previous_author
    if not author:
        report.skip(doc.name, line, "a message without a sender")
        return None
    forwarded_from = None
    source = body
    forwarded = body.find("div", class_="forwarded", recursive=False)
    if forwarded is not None:
        origin = forwarded.find("div", class_="from_name", recursive=False)
        if origin is not None:
            details = origin.find("span", class_="details")
            if details is not None:
                details.extract()
            forwarded_from = origin.get_text(" ", strip=True)
        source = forwarded
    text_node = source.find("div", class_="text", recursive=False)
    text = _text(text_node) if text_node else ""
    media = source.find("div", class_="media_wrap", recursive=False) is not None
    reply = body.find("div", class_="reply_to", recursive=False)
    reply_to = None
    if reply is not None and (link := reply.find("a")) is not None:
        reply_to = str(link.get("href", "")).rpartition("message")[2] or None
    return Message(
        _date(body),
        author,
        text,
        conversation.id,
        doc.name,
        line,
        "media" if media and not text else "text",
        reply_to,
        forwarded_from,
    )


def _text(node: Tag) -> str:
    for br in node.find_all("br"):
        br.replace_with("\n")
    return node.get_text().strip()


def _date(body: Tag) -> datetime | None:
    stamp = body.find("div", class_="date", recursive=False)
    found = DATE_TITLE_RE.search(str(stamp.get("title", ""))) if stamp else None
    if not found:
        return None
    day, month, year, hour, minute, second = (int(x) for x in found.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
