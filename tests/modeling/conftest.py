"""Tiny corpora and one shared tiny trained model for the modeling tests."""

from __future__ import annotations

import pytest

from ingestion.records import Pair
from modeling.config import make_config
from modeling.train import train

ME = "Sam"


def chat_pairs(conversations: int = 6, per_conversation: int = 6) -> list[Pair]:
    """Multi-turn chats where Sam answers Ann or Bob; Sam's earlier turns appear in context."""
    pairs = []
    for c in range(conversations):
        friend = "Ann" if c % 2 == 0 else "Bob"
        history: list[tuple[str, str]] = []
        for i in range(per_conversation):
            message = f"hey {friend.lower()} here, number {i} ok? 😀"
            reply = f"yo {friend.lower()} {i} 👍" if friend == "Ann" else f"Hello Bob, {i}."
            history.append((friend, message))
            pairs.append(Pair(context=tuple(history[-3:]), response=reply, addressee=friend,
                              source="test.txt", conversation=f"chat-{c}"))
            history.append((ME, reply))
    return pairs


def tiny_config(**overrides):
    values = dict(epochs=3, embedding_dim=16, hidden_size=32, vocab_size=200, batch_size=8,
                  max_minutes=None, warmup_steps=1)
    return make_config("quick", **{**values, **overrides})


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory):
    """One tiny model trained once and shared by the decode/artifact/evaluate tests."""
    out = tmp_path_factory.mktemp("tiny-model")
    result = train(chat_pairs(), out, tiny_config(epochs=4, learning_rate=1e-2))
    return result.artifact_dir
