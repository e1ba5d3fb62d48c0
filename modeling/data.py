"""Pairs -> token ids -> bucketed batches.

Encoder input: the last k context turns, each as a speaker token (<me>/<them>) and its
subword ids, joined by <sep>, keeping the most recent max_source_len tokens. The addressee
travels as a separate id (0 = anyone). Decoder input is <s> + reply, decoder output reply + </s>.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ingestion.records import Pair
from modeling.config import ModelConfig
from modeling.tokenizer import BOS, EOS, PAD, Tokenizer

ANYONE = 0
# Batches are padded to multiples of this so the compiled step sees few distinct shapes.
PAD_MULTIPLE = 8
# Speakers that mean "the persona" when a caller passes context by role instead of by name.
PERSONA_ROLES = frozenset({"me", "persona", "bot", "assistant", "you"})


@dataclass(frozen=True, slots=True)
class Example:
    source: tuple[int, ...]
    target: tuple[int, ...]
    addressee: int
    # Whitespace words the target's tokens cover, + 1 for the end of the turn when complete:
    # per-word perplexity divides by exactly the words that were scored.
    words: int
    # False when the reply was cut to max_target_len: no end of turn is scored or learned.
    complete: bool = True


@dataclass(frozen=True, slots=True)
class Batch:
    source: np.ndarray  # [B, S] int32, right-padded with PAD
    decoder_in: np.ndarray  # [B, T] int32
    decoder_out: np.ndarray  # [B, T] int32
    addressee: np.ndarray  # [B] int32
    words: int


def usable(pairs: Sequence[Pair]) -> list[Pair]:
    return [p for p in pairs if p.response.strip() and any(t.strip() for _, t in p.context)]


def persona_names(pairs: Sequence[Pair]) -> list[str]:
    """Context speakers who are the persona: most of their turns are also replies in that chat."""
    replies: dict[str, set[str]] = defaultdict(set)
    for pair in pairs:
        replies[pair.conversation].add(pair.response)
    mine: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for pair in pairs:
        for speaker, text in pair.context:
            total[speaker] += 1
            mine[speaker] += text in replies[pair.conversation]
    return sorted(s for s in total if mine[s] * 2 > total[s])


def addressee_table(pairs: Sequence[Pair], size: int) -> list[str]:
    """Row 0 is "anyone"; the most frequent addressees fill the remaining rows."""
    counts = Counter(p.addressee for p in pairs if p.addressee)
    return ["<anyone>"] + [name for name, _ in counts.most_common(size - 1)]


def addressee_id(addressees: Sequence[str], name: str | None) -> int:
    if name and name in addressees[1:]:
        return addressees.index(name)
    return ANYONE


def word_count(text: str) -> int:
    return len(text.split()) + 1


def is_persona(speaker: str, me: frozenset[str] | set[str]) -> bool:
    return speaker in me or speaker.lower() in PERSONA_ROLES


def encode_context(
    tokenizer: Tokenizer,
    context: Sequence[tuple[str, str]],
    me: frozenset[str] | set[str],
    config: ModelConfig,
    retrieved: str | None = None,
) -> list[int]:
    """The last turns, most recent tokens kept. A retrieved reply goes first, as a turn of the
    persona's (at most a third of the source), so the encoder ends on the message to answer."""
    ids: list[int] = []
    for speaker, text in context[-config.context_turns:]:
        if ids:
            ids.append(tokenizer.sep)
        ids.append(tokenizer.me if is_persona(speaker, me) else tokenizer.them)
        ids.extend(tokenizer.encode(text))
    if not retrieved:
        return ids[-config.max_source_len:]
    reference = [tokenizer.me, *tokenizer.encode(retrieved)][: config.max_source_len // 3]
    return [*reference, tokenizer.sep, *ids[-(config.max_source_len - len(reference) - 1):]]


def encode_target(
    tokenizer: Tokenizer, text: str, config: ModelConfig
) -> tuple[tuple[int, ...], int, bool]:
    """(token ids, words they cover + 1 if complete, complete): a reply longer than
    max_target_len is cut at the last word boundary that fits, so only whole words count."""
    ids = tokenizer.encode(text)
    limit = config.max_target_len - 1
    if len(ids) <= limit:
        return tuple(ids), word_count(text), True
    starts = tokenizer.word_starts
    cut = next((i for i in range(limit, 0, -1) if starts[ids[i]]), limit)
    kept = ids[:cut]
    return tuple(kept), max(1, sum(starts[i] for i in kept)), False


def make_examples(
    pairs: Sequence[Pair],
    tokenizer: Tokenizer,
    me: Sequence[str],
    addressees: Sequence[str],
    config: ModelConfig,
    retrieved: Sequence[str | None] = (),
) -> list[Example]:
    """retrieved: per pair, the reply retrieval found for its context (modeling.retrieval)."""
    names = frozenset(me)
    examples = []
    for i, p in enumerate(pairs):
        target, words, complete = encode_target(tokenizer, p.response, config)
        found = retrieved[i] if retrieved else None
        source = tuple(encode_context(tokenizer, p.context, names, config, found))
        examples.append(
            Example(source, target, addressee_id(addressees, p.addressee), words, complete)
        )
    return examples


def split_pairs(
    pairs: Sequence[Pair], fraction: float, seed: int
) -> tuple[list[Pair], list[Pair]]:
    """Held-out split by whole conversations when there are enough of them, else by pair."""
    if fraction <= 0 or len(pairs) < 2:
        return list(pairs), []
    rng = np.random.default_rng(seed)
    conversations = sorted({p.conversation for p in pairs})
    if len(conversations) >= 5:
        order = rng.permutation(len(conversations))
        held: set[str] = set()
        target = fraction * len(pairs)
        sizes = Counter(p.conversation for p in pairs)
        count = 0
        for index in order:
            if count >= target:
                break
            name = conversations[index]
            if count + sizes[name] <= 2 * target or count == 0:
                held.add(name)
                count += sizes[name]
        if 0 < count < len(pairs):
            return ([p for p in pairs if p.conversation not in held],
                    [p for p in pairs if p.conversation in held])
    n_held = max(1, int(round(fraction * len(pairs))))
    index = set(rng.permutation(len(pairs))[:n_held].tolist())
    return ([p for i, p in enumerate(pairs) if i not in index],
            [p for i, p in enumerate(pairs) if i in index])


def make_batches(
    examples: Sequence[Example],
    batch_size: int,
    rng: np.random.Generator | None,
    pool: int = 50,
) -> list[Batch]:
    """Length bucketing: within pools of `pool` batches, examples of similar length batch together.

    With an rng the examples and the batch order are shuffled (one epoch's order); without,
    the order is deterministic (validation).
    """
    order = rng.permutation(len(examples)) if rng is not None else np.arange(len(examples))
    batches: list[Batch] = []
    chunk = batch_size * pool
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk],
                      key=lambda i: (len(examples[i].source), len(examples[i].target)))
        for b in range(0, len(part), batch_size):
            batches.append(collate([examples[i] for i in part[b:b + batch_size]]))
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def collate(examples: Sequence[Example]) -> Batch:
    size = len(examples)
    source_len = _round_up(max(len(e.source) for e in examples))
    target_len = _round_up(max(len(e.target) + e.complete for e in examples))
    source = np.full((size, source_len), PAD, np.int32)
    dec_in = np.full((size, target_len), PAD, np.int32)
    dec_out = np.full((size, target_len), PAD, np.int32)
    for row, e in enumerate(examples):
        source[row, : len(e.source)] = e.source
        # A cut reply continues past its last token: its end of turn is neither fed nor scored.
        out = (*e.target, EOS) if e.complete else e.target
        dec_in[row, : len(out)] = (BOS, *out[:-1])
        dec_out[row, : len(out)] = out
    addressee = np.array([e.addressee for e in examples], np.int32)
    return Batch(source, dec_in, dec_out, addressee, sum(e.words for e in examples))


def dataset(batches: Sequence[Batch]) -> tf.data.Dataset:
    """A tf.data pipeline over prepared batches, prefetching while the step runs."""

    def generate() -> Iterator[tuple[np.ndarray, ...]]:
        for b in batches:
            yield b.source, b.decoder_in, b.decoder_out, b.addressee

    spec = (
        tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32),
    )
    return tf.data.Dataset.from_generator(generate, output_signature=spec).prefetch(2)


def fingerprint(pairs: Sequence[Pair]) -> str:
    digest = hashlib.sha256()
    for p in pairs:
        digest.update(json.dumps(p.to_dict(), sort_keys=True).encode())
    return digest.hexdigest()


def _round_up(n: int) -> int:
    return max(PAD_MULTIPLE, -(-n // PAD_MULTIPLE) * PAD_MULTIPLE)
