"""Android texts as "SMS Backup & Restore" saves them (`sms-20200120183000.xml`):

    <smses count="2">
      <sms address="+15550100" date="1579281000000" type="1" body="Hi" contact_name="Maya" />
      <mms address="+15550100~+15550111" date="..." msg_box="1" contact_name="Maya, Ravi">
        <parts><part ct="text/plain" text="Hello all" /></parts>
        <addrs><addr address="+15550100" type="137" /></addrs>
      </mms>
    </smses>

`type` (SMS) and `msg_box` (MMS) 1 is received, 2 is sent: sent messages are written by
"Me" (the phone's owner has no name in the file). Every address is one conversation; an MMS to
several addresses is a group of its own, its sender the address of type 137 ("from").
The XML is read as a stream by expat: memory stays flat, and a DTD (entity tricks) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from xml.parsers import expat

from ..errors import IngestionError
from ..records import Conversation, MessageKind, MessageRow, ParseReport
from ..sources import Document

FORMAT = "sms"
ME = "Me"
RECEIVED, SENT = "1", "2"
FROM = "137"  # PduHeaders.FROM: the sender among an MMS's addresses
CHUNK_BYTES = 1 << 16
NO_NAMES = frozenset({"", "(Unknown)", "null"})
# Phone numbers are written with and without spaces, dashes and brackets.
FORMATTING_RE = re.compile(r"[\s\-().]")


def looks_like(head: str) -> bool:
    head = head.lstrip("\ufeff \t\r\n")
    return head.startswith("<") and "<smses" in head


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[MessageRow]:
    for doc in documents:
        yield from _Backup(doc, report).rows()


def _number(address: str) -> str:
    return FORMATTING_RE.sub("", address) or address


class _Backup:
    """expat calls the handlers while a block of bytes is parsed; the rows they make are
    handed out after each block."""

    def __init__(self, doc: Document, report: ParseReport):
        self.doc = doc
        self.report = report
        self.ready: list[MessageRow] = []
        self.mms: dict | None = None  # the open <mms>: its attributes, texts, parts and sender
        self.names: dict[str, dict[str, str]] = {}  # per conversation: contact names by number
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._refuse_dtd

    def rows(self) -> Iterator[MessageRow]:
        with open(self.doc.path, "rb") as handle:
            try:
                while block := handle.read(CHUNK_BYTES):
                    self.parser.Parse(block, False)
                    yield from self.ready
                    self.ready.clear()
                self.parser.Parse(b"", True)
            except expat.ExpatError as exc:
                line = self.parser.ErrorLineNumber
                self.report.skip(self.doc.name, line, f"unreadable XML from here on ({exc})")
            yield from self.ready

    def _refuse_dtd(self, *_) -> None:
        raise IngestionError(f"{self.doc.name}: an SMS backup has no DTD; refused")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "sms":
            self._sms(attrs)
        elif tag == "mms":
            line = self.parser.CurrentLineNumber
            self.mms = {"attrs": attrs, "texts": [], "media": False, "sender": None, "line": line}
        elif self.mms is None:
            return
        elif tag == "part":
            kind = attrs.get("ct", "")
            if kind == "text/plain" and attrs.get("text", "null") != "null":
                self.mms["texts"].append(attrs["text"])
            elif kind != "application/smil":
                self.mms["media"] = True
        elif tag == "addr" and attrs.get("type") == FROM:
            self.mms["sender"] = attrs.get("address")

    def _end(self, tag: str) -> None:
        if tag == "mms" and self.mms is not None:
            self._finish_mms(self.mms)
            self.mms = None

    def _sms(self, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        box = attrs.get("type")
        address = attrs.get("address", "")
        if box not in (RECEIVED, SENT):
            self.report.skip(self.doc.name, line, f"a draft, queued or failed message (type {box})")
            return
        conversation = self._conversation([address], attrs.get("contact_name", ""), line)
        if conversation is None:
            return
        author = ME if box == SENT else conversation.title
        self._add(attrs, author, attrs.get("body", ""), "text", conversation, line)

    def _finish_mms(self, mms: dict) -> None:
        attrs, line = mms["attrs"], mms["line"]
        box = attrs.get("msg_box")
        if box not in (RECEIVED, SENT):
            self.report.skip(self.doc.name, line, f"a draft, queued or failed MMS (box {box})")
            return
        addresses = [a for a in attrs.get("address", "").split("~") if a.strip()]
        conversation = self._conversation(addresses, attrs.get("contact_name", ""), line)
        if conversation is None:
            return
        if box == SENT:
            author = ME
        else:
            sender = mms["sender"] or addresses[0]
            author = self.names[conversation.id].get(_number(sender), sender)
        text = "\n".join(mms["texts"])
        kind: MessageKind = "media" if mms["media"] and not text.strip() else "text"
        self._add(attrs, author, text, kind, conversation, line)

    def _conversation(self, addresses: list[str], contact_name: str, line: int):
        """One conversation per set of addresses, named after its contacts. A group's contact
        names come comma-separated in the order of its addresses."""
        numbers = sorted({_number(a) for a in addresses if a.strip()})
        if not numbers:
            self.report.skip(self.doc.name, line, "a message without an address")
            return None
        conv_id = "~".join(numbers)
        if conv_id in self.names:
            return self.report.conversations[conv_id]
        names = [n.strip() for n in contact_name.split(", ")] if len(addresses) > 1 else []
        if len(names) != len(addresses):
            names = [contact_name.strip()] * len(addresses)
        pairs = zip(addresses, names, strict=True)
        by_number = {_number(a): (n if n not in NO_NAMES else a.strip()) for a, n in pairs}
        self.names[conv_id] = by_number
        members = [by_number[n] for n in numbers]
        return self.report.add_conversation(
            Conversation(
                id=conv_id,
                title=", ".join(members),
                source=self.doc.name,
                is_group=len(numbers) > 1,
                # Known from the addresses before they write: a group's replies address all.
                participants=members,
                format=FORMAT,
            )
        )

    def _add(self, attrs, author: str, text: str, kind, conversation, line: int) -> None:
        try:
            stamp = datetime.fromtimestamp(int(attrs.get("date", "")) / 1000)
        except (ValueError, OverflowError, OSError):
            stamp = None
        if text == "null":
            text = ""  # how the app writes an empty body
        if author not in conversation.participants and kind == "text":
            conversation.participants.append(author)
        row = (stamp, author, text, conversation.id, self.doc.name, line, kind, None, None)
        self.ready.append(row)
