"""From a path to a stream of messages, whatever the format and packaging."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from .detect import group_documents
from .errors import IngestionError
from .records import Message, MessageRow, ParseReport
from .sources import open_documents


def read_messages(
    path: str | os.PathLike, report: ParseReport, name: str | None = None
) -> Iterator[MessageRow]:
    """Yield every message of every chat behind `path` (as Messages or plain MessageRow tuples),
    filling `report` as it goes.

    `name`: the uploaded file name when `path` is a stored copy (it may carry the chat title).
    """
    label = name or Path(path).name
    with open_documents(path, name=name) as documents:
        for module, docs in group_documents(documents, label):
            if module.FORMAT not in report.formats:
                report.formats.append(module.FORMAT)
            try:
                yield from module.parse(docs, report)
            except IngestionError:
                raise
            except (
                ValueError,
                TypeError,
                KeyError,
                IndexError,
                AttributeError,
                RecursionError,
                OSError,
                OverflowError,
            ) as exc:
                # A parser bug or an input shape nobody anticipated: still the package's own error.
                raise IngestionError(
                    f"{label}: could not read the {module.FORMAT} export ({exc})"
                ) from exc


def iter_messages(path: str | os.PathLike, name: str | None = None) -> Iterator[Message]:
    """Raw messages as written in the export (kinds "text", "system", "media")."""
    return map(Message._make, read_messages(path, ParseReport(str(path)), name))
