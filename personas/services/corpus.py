"""A persona's training pairs: its parsed files, its identities, minus excluded conversations."""

from pathlib import PurePosixPath
from typing import TextIO

from ingestion import Pair, build_pairs, write_corpus
from personas.models import DataFile, Persona
from personas.services import storage


def excluded_ids(persona: Persona, data_file: DataFile) -> list[str]:
    """Conversation ids excluded in this file (stored as "<file id>:<conversation id>")."""
    prefix = f"{data_file.pk}:"
    return [
        item[len(prefix) :] for item in persona.excluded_conversations if item.startswith(prefix)
    ]


def _file_pairs(persona: Persona, data_file: DataFile) -> list[Pair]:
    suffix = PurePosixPath(data_file.file.name).suffix
    with storage.local_file(data_file.file.name, suffix) as path:
        return build_pairs(
            [path],
            me=tuple(persona.identities),
            exclude_conversations=excluded_ids(persona, data_file),
            # The original name may carry the chat title, which names the conversation.
            names=[data_file.original_name],
        )


def persona_pairs(persona: Persona) -> list[Pair]:
    """Every (context, response) pair the model trains on, in file upload order."""
    pairs: list[Pair] = []
    for data_file in persona.files.filter(status=DataFile.Status.PARSED):
        pairs.extend(_file_pairs(persona, data_file))
    return pairs


def preview_pairs(persona: Persona, n: int = 5) -> list[Pair]:
    """The first n pairs, exactly as the model will see them (after cleaning)."""
    pairs: list[Pair] = []
    for data_file in persona.files.filter(status=DataFile.Status.PARSED):
        pairs.extend(_file_pairs(persona, data_file)[: n - len(pairs)])
        if len(pairs) >= n:
            break
    return pairs


def write_persona_corpus(persona: Persona, fmt: str, out: TextIO) -> None:
    """The cleaned corpus for download: fmt is "yml" or "jsonl"."""
    write_corpus(persona_pairs(persona), fmt, out)
