"""Reading a JSON object whose one big array is streamed item by item (memory flat in the file
size), for exports that put every message of a channel into one document."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import IngestionError
from ..sources import Document

CHUNK_CHARS = 1 << 18
MAX_ITEM_CHARS = 1 << 24  # one value bigger than this is a broken file, not a message
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class _Reader:
    """A sliding window over the text: values are decoded in C with raw_decode, and more text is
    read only when a value runs past the end of what was read."""

    def __init__(self, doc: Document, handle):
        self.doc = doc
        self.handle = handle
        self.text = ""
        self.at = 0
        self.done = False

    def _more(self) -> bool:
        if self.done:
            return False
        chunk = self.handle.read(CHUNK_CHARS)
        self.done = not chunk
        self.text = self.text[self.at :] + chunk
        self.at = 0
        return bool(chunk)

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self.at < len(self.text) and self.text[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.text) or not self._more():
                return self.text[self.at : self.at + 1]

    def expect(self, characters: str) -> str:
        found = self.peek()
        if not found or found not in characters:
            self._fail(f"expected one of {characters!r}")
        self.at += 1
        return found

    def value(self):
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.at)
            except json.JSONDecodeError as exc:
                if len(self.text) - self.at > MAX_ITEM_CHARS or not self._more():
                    self._fail(exc.msg)
                continue
            except RecursionError:
                self._fail("nested too deeply")
            # A number at the window's end may continue in the next chunk: read on first.
            if end < len(self.text) or self.done:
                self.at = end
                return value
            self._more()

    def _fail(self, why: str):
        raise IngestionError(f"{self.doc.name}: broken JSON ({why})")


def iter_members(doc: Document, streamed: str) -> Iterator[tuple[str, object]]:
    """(key, value) for each member of the document's top-level object, in file order; the
    items of the array under `streamed` come one at a time as (streamed, item)."""
    with doc.open_text() as handle:
        reader = _Reader(doc, handle)
        if reader.peek() == "\ufeff":
            reader.at += 1
        reader.expect("{")
        if reader.peek() == "}":
            return
        while True:
            key = reader.value()
            if not isinstance(key, str):
                reader._fail("an object key that is not a string")
            reader.expect(":")
            if key == streamed and reader.peek() == "[":
                reader.at += 1
                if reader.peek() == "]":
                    reader.at += 1
                else:
                    while True:
                        yield key, reader.value()
                        if reader.expect(",]") == "]":
                            break
            else:
                yield key, reader.value()
            if reader.expect(",}") == "}":
                return
