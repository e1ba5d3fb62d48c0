"""Text files as batches of lines, for the line-based formats (WhatsApp, Signal, LINE).

`str.split` over a decoded 64 KiB block beats iterating a file line by line, and decoding byte
blocks ourselves beats a text file's read(n). The decoders are the ones a text file uses
(universal newlines, errors replaced), so the lines are the same as a text-mode read's.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator

from ..sources import Document

CHUNK_BYTES = 1 << 16  # small enough for the decoded text to stay in the CPU cache


def iter_line_batches(doc: Document) -> Iterator[list[str]]:
    """The document's lines without their ends, in file order, a list at a time."""
    decoder = io.IncrementalNewlineDecoder(
        codecs.getincrementaldecoder(doc.encoding)(errors="replace"), translate=True
    )
    with open(doc.path, "rb") as handle:
        tail = ""
        while True:
            block = handle.read(CHUNK_BYTES)
            lines = (tail + decoder.decode(block, final=not block)).split("\n")
            tail = lines.pop()
            yield lines
            if not block:
                break
        if tail:
            yield [tail]
