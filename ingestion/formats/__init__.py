"""One module per export format; each exposes `parse(documents, report) -> Iterator[Message]`."""
