"""ConvAI2 (NeurIPS 2018) human-evaluation dialogs: a JSON list of `{dialog: [...], ...}`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from ..errors import IngestionError
from ..records import Conversation, Message, ParseReport
from ..sources import Document
from .jsonfile import load_json

FORMAT = "convai2"


def looks_like(head: str) -> bool:
    return (
        head.lstrip("\ufeff \t\r\n").startswith("[") and '"dialog"' in head and ('"sender' in head)
    )


def parse(documents: Sequence[Document], report: ParseReport) -> Iterator[Message]:
    for doc in documents:
        yield from _parse_dialogs(doc, load_json(doc), report)


def _parse_dialogs(doc: Document, dialogs, report: ParseReport) -> Iterator[Message]:
    if not isinstance(dialogs, list):
        raise IngestionError(f"{doc.name}: ConvAI2 files hold a JSON list of dialogs")
    for index, dialog in enumerate(dialogs, 1):
        if not isinstance(dialog, dict) or not isinstance(dialog.get("dialog"), list):
            report.skip(doc.name, None, f"dialog #{index}: no `dialog` list")
            continue
        conv_id = str(dialog.get("dialog_id") or index)
        started = _time(dialog.get("start_time"))
        sides = sorted(
            {str(u.get("sender_class")) for u in dialog["dialog"] if isinstance(u, dict)} - {"None"}
        )
        report.add_conversation(
            Conversation(
                id=conv_id,
                title=f"dialog {conv_id}",
                source=doc.name,
                participants=sides,
                pair_format=True,
                format=FORMAT,
            )
        )
        for position, utterance in enumerate(dialog["dialog"]):
            if not isinstance(utterance, dict) or not isinstance(utterance.get("text"), str):
                report.skip(doc.name, None, f"dialog #{index} utterance {position}: no text")
                continue
            side = utterance.get("sender_class") or utterance.get("sender")
            if not isinstance(side, str):
                report.skip(doc.name, None, f"dialog #{index} utterance {position}: no sender")
                continue
            # The files carry no per-utterance time; the dialog start dates every utterance.
            yield Message(started, side, utterance["text"], conv_id, doc.name)


def _time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
