"""Chat exports in, clean training pairs out. Pure Python: never imports Django."""

from .cleaning import CleaningPolicy
from .errors import EmptyExport, IngestionError, UnsafeArchive, UnsupportedFormat
from .export import iter_corpus, write_corpus
from .pairs import build_pairs, iter_pairs
from .participants import suggest_identities, suggest_identity
from .reader import iter_messages
from .records import Conversation, Message, Pair, Turn
from .summary import inspect
from .turns import iter_turns

__all__ = [
    "CleaningPolicy",
    "Conversation",
    "EmptyExport",
    "IngestionError",
    "Message",
    "Pair",
    "Turn",
    "UnsafeArchive",
    "UnsupportedFormat",
    "build_pairs",
    "inspect",
    "iter_messages",
    "iter_pairs",
    "iter_turns",
    "suggest_identities",
    "suggest_identity",
    "iter_corpus",
    "write_corpus",
]
