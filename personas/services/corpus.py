"""A persona's training pairs: its parsed files, its identities, minus excluded conversations."""

from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from pathlib import PurePosixPath

from ingestion import Pair, iter_corpus, iter_pairs
from personas.models import DataFile, Persona
from personas.services import storage


def excluded_ids(persona: Persona, data_file: DataFile) -> list[str]:
    """Conversation ids excluded in this file (stored as "<file id>:<conversation id>")."""
    prefix = f"{data_file.pk}:"
    return [
        item[len(prefix) :] for item in persona.excluded_conversations if item.startswith(prefix)
    ]


# Characters of each message an example pair shows on the page.
PREVIEW_CHARS = 280


def _file_pairs(persona: Persona, data_file: DataFile) -> Iterator[Pair]:
    suffix = PurePosixPath(data_file.file.name).suffix
    with storage.local_file(data_file.file.name, suffix) as path:
        yield from iter_pairs(
            [path],
            me=tuple(persona.identities),
            exclude_conversations=excluded_ids(persona, data_file),
            # The original name may carry the chat title, which names the conversation.
            names=[data_file.original_name],
        )


def iter_persona_pairs(persona: Persona) -> Iterator[Pair]:
    """Every (context, response) pair the model trains on, in file upload order, read as
    they are consumed."""
    for data_file in persona.files.filter(status=DataFile.Status.PARSED):
        yield from _file_pairs(persona, data_file)


def persona_pairs(persona: Persona) -> list[Pair]:
    return list(iter_persona_pairs(persona))


def _clip(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def preview_pairs(persona: Persona, n: int = 5) -> list[Pair]:
    """The first n pairs as the model will see them (after cleaning), each message cut to
    PREVIEW_CHARS for the page. Reading stops once n pairs are found."""
    return [
        replace(
            pair,
            context=tuple((speaker, _clip(text)) for speaker, text in pair.context),
            response=_clip(pair.response),
        )
        for pair in islice(iter_persona_pairs(persona), n)
    ]


def stream_persona_corpus(persona: Persona, fmt: str) -> Iterator[str]:
    """The cleaned corpus as text chunks, for a download that never holds it whole."""
    return iter_corpus(iter_persona_pairs(persona), fmt)
