"""Reply generation: greedy, beam search and sampling over compiled decode steps.

Each step is one concrete, XLA-compiled tf.function that runs the model for one token, masks
forbidden tokens (specials, repeated n-grams) and picks the next token(s) itself; its state
tensors feed straight into the next call, so per token only the chosen id crosses to Python.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from modeling.config import ModelConfig
from modeling.data import PERSONA_ROLES, addressee_id, encode_context
from modeling.model import Seq2Seq
from modeling.tokenizer import BOS, EOS, IncrementalDecoder, Tokenizer

STRATEGIES = ("greedy", "beam", "sample")
DEFAULTS: dict[str, Any] = {
    "max_length": None,  # None = the model's max_target_len
    "no_repeat_ngram": 3,  # 0 disables
    "beam_width": 4,
    "length_penalty": 0.6,  # GNMT alpha; 0 = raw log-probability
    "temperature": 0.8,
    "top_k": 0,  # 0 disables
    "top_p": 0.9,  # 1 disables
    "seed": None,
}
NEG_INF = float("-inf")


class Decoder:
    def __init__(self, model: Seq2Seq, tokenizer: Tokenizer, config: ModelConfig):
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        # Read (cast, sliced, concatenated) once: the compiled functions capture these tensors
        # instead of re-deriving them from the variables on every token.
        self._weights = model.weights_for_graph()
        banned = np.zeros(tokenizer.vocab_size, np.float32)
        banned[list(tokenizer.special_ids)] = NEG_INF
        self._banned = tf.constant(banned)
        self._encode = None
        self._select = None
        self._beams: dict[int, Any] = {}

    # ---- compiled parts (traced on first use, so loading stays cheap) ------------------------

    def _state_specs(self, width: int | None):
        hidden, cdt = self.config.hidden_size, self.model.cdt
        return ([tf.TensorSpec([width, hidden], cdt)] * (2 * self.config.num_layers),
                tf.TensorSpec([width, hidden], cdt), tf.TensorSpec([width, None, hidden], cdt),
                tf.TensorSpec([width, None, hidden], cdt), tf.TensorSpec([width, None], cdt))

    def encode(self, source_ids: Sequence[int]):
        if self._encode is None:
            self._encode = tf.function(self._encode_fn, jit_compile=True).get_concrete_function(
                tf.TensorSpec([1, None], tf.int32))
        # Always the full length (padding is masked): one compiled encoder and step shape.
        source = np.zeros((1, max(self.config.max_source_len, len(source_ids))), np.int32)
        source[0, : len(source_ids)] = source_ids
        return self._encode(tf.constant(source))

    def _encode_fn(self, source):
        enc, keys, mask, states = self.model.encode(self._weights, source)
        attn = tf.zeros([1, self.config.hidden_size], self.model.cdt)
        return [t for pair in states for t in pair], attn, enc, keys, mask

    def _log_probs(self, tokens, who, history, length, states, attn, enc, keys, mask, no_repeat):
        """Model step plus the masks every strategy applies: specials, empty reply, n-grams."""
        pairs = [(states[2 * i], states[2 * i + 1]) for i in range(len(states) // 2)]
        log_probs, pairs, attn = self.model.step(self._weights, tokens, who, pairs, attn, enc,
                                                 keys, mask)
        log_probs = log_probs + self._banned
        empty = tf.one_hot(EOS, tf.shape(log_probs)[1], on_value=NEG_INF, off_value=0.0)
        log_probs = tf.where(length > 0, log_probs, log_probs + empty)  # never an empty reply
        log_probs = ban_repeated_ngrams(log_probs, history, length, no_repeat)
        return log_probs, [t for pair in pairs for t in pair], attn

    @property
    def select(self):
        """Greedy or sampled step for one sequence: -> (token [1], history, length, states...)."""
        if self._select is None:
            states, attn, enc, keys, mask = self._state_specs(1)
            scalar = tf.TensorSpec([], tf.int32)
            self._select = tf.function(self._select_fn, jit_compile=True).get_concrete_function(
                tf.TensorSpec([1], tf.int32), tf.TensorSpec([1], tf.int32),
                tf.TensorSpec([1, None], tf.int32), scalar, states, attn, enc, keys, mask,
                scalar, tf.TensorSpec([], tf.bool), tf.TensorSpec([3], tf.float32),
                tf.TensorSpec([2], tf.int32))
        return self._select

    def _select_fn(self, token, who, history, length, states, attn, enc, keys, mask, no_repeat,
                   sample, sampling, seed):
        log_probs, states, attn = self._log_probs(token, who, history, length, states, attn,
                                                  enc, keys, mask, no_repeat)
        token = tf.cond(
            sample,
            lambda: sample_tokens(log_probs, sampling,
                                  tf.random.experimental.stateless_fold_in(seed, length)),
            lambda: tf.argmax(log_probs, -1, output_type=tf.int32))
        return token, _append(history, length, token), length + 1, states, attn

    def beam_step(self, width: int):
        """Beam step: expands every beam, keeps the best `width` live ones (reordering the
        state), and returns the top 2*width candidates so Python can collect finished ones."""
        if width not in self._beams:
            states, attn, enc, keys, mask = self._state_specs(width)
            vector = tf.TensorSpec([width], tf.int32)
            self._beams[width] = tf.function(self._beam_fn, jit_compile=True) \
                .get_concrete_function(
                    vector, vector, tf.TensorSpec([width, None], tf.int32),
                    tf.TensorSpec([], tf.int32), tf.TensorSpec([width], tf.float32), states,
                    attn, enc, keys, mask, tf.TensorSpec([], tf.int32))
        return self._beams[width]

    def _beam_fn(self, tokens, who, history, length, scores, states, attn, enc, keys, mask,
                 no_repeat):
        width = tokens.shape[0]
        log_probs, states, attn = self._log_probs(tokens, who, history, length, states, attn,
                                                  enc, keys, mask, no_repeat)
        vocab = tf.shape(log_probs)[1]
        total = tf.reshape(scores[:, None] + log_probs, [-1])
        values, flat = tf.math.top_k(total, 2 * width)
        beam, token = flat // vocab, flat % vocab
        live = tf.logical_and(tf.not_equal(token, EOS), values > NEG_INF)
        # The best `width` live candidates, in score order; dead ones pad when too few live.
        position = tf.range(2 * width)
        keep = tf.argsort(tf.where(live, position, position + 2 * width))[:width]
        parent, next_tokens = tf.gather(beam, keep), tf.gather(token, keep)
        next_scores = tf.where(tf.gather(live, keep), tf.gather(values, keep), NEG_INF)
        states = [tf.gather(s, parent) for s in states]
        history = _append(tf.gather(history, parent), length, next_tokens)
        return (beam, token, values, parent, next_tokens, next_scores, history, length + 1,
                states, tf.gather(attn, parent))

    # ---- public --------------------------------------------------------------------------------

    def source_ids(self, context: Sequence[tuple[str, str] | str], me: Sequence[str]) -> list[int]:
        turns = as_turns(context)
        names = frozenset(me) | {s for s, _ in turns if s.lower() in PERSONA_ROLES}
        return encode_context(self.tokenizer, turns, names, self.config)

    def generate(self, context, me: Sequence[str], table: Sequence[str], addressee: str | None,
                 strategy: str = "greedy", **opts: Any) -> Iterator[str]:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
        unknown = set(opts) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown generation option(s): {', '.join(sorted(unknown))}")
        options = {**DEFAULTS, **{k: v for k, v in opts.items() if v is not None}}
        max_length = int(options["max_length"] or self.config.max_target_len)
        source = self.source_ids(context, me)
        who = addressee_id(table, addressee)
        return self._stream(source, who, strategy, max_length, options)

    def _stream(self, source, who, strategy, max_length, options) -> Iterator[str]:
        text = IncrementalDecoder(self.tokenizer)
        if strategy == "beam":
            tokens: Iterator[int] = iter(self.beam(source, who, max_length, options))
        else:
            tokens = self.sequential(source, who, max_length, options, strategy == "sample")
        for token in tokens:
            piece = text.push(token)
            if piece:
                yield piece
        text.finish()  # an incomplete byte sequence at the end is dropped

    def _history(self, width: int, max_length: int) -> tf.Tensor:
        # One buffer size for every max_length up to the model's: one compiled shape.
        return tf.zeros([width, max(max_length, self.config.max_target_len)], tf.int32)

    def sequential(self, source, who, max_length, options, sample: bool) -> Iterator[int]:
        """Greedy or sampled decoding, yielding each token as soon as it is chosen."""
        seed = options["seed"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31))
        states, attn, enc, keys, mask = self.encode(source)
        step = self.select
        token = tf.constant([BOS], tf.int32)
        who_t = tf.constant([who], tf.int32)
        history, length = self._history(1, max_length), tf.constant(0)
        constants = (
            tf.constant(int(options["no_repeat_ngram"])), tf.constant(sample),
            tf.constant([max(float(options["temperature"]), 1e-4), int(options["top_k"]),
                         float(options["top_p"])], tf.float32),
            tf.constant([int(seed) % 2**31, 0], tf.int32))
        for _ in range(max_length):
            token, history, length, states, attn = step(token, who_t, history, length, states,
                                                        attn, enc, keys, mask, *constants)
            choice = int(token.numpy()[0])
            if choice == EOS:
                return
            yield choice

    def beam(self, source, who, max_length, options) -> list[int]:
        width = max(1, int(options["beam_width"]))
        alpha = float(options["length_penalty"])
        states, attn, enc, keys, mask = self.encode(source)
        states = [tf.repeat(s, width, axis=0) for s in states]
        attn, enc, keys, mask = (tf.repeat(t, width, axis=0) for t in (attn, enc, keys, mask))
        step = self.beam_step(width)
        tokens = tf.fill([width], BOS)
        who_t = tf.fill([width], who)
        history, length = self._history(width, max_length), tf.constant(0)
        # All beams start identical: expand only the first.
        scores = tf.constant([0.0] + [NEG_INF] * (width - 1), tf.float32)
        no_repeat = tf.constant(int(options["no_repeat_ngram"]))
        beams: list[list[int]] = [[] for _ in range(width)]
        finished: list[tuple[float, list[int]]] = []
        live_scores = np.zeros(width)
        for _ in range(max_length):
            (cand_beam, cand_token, cand_score, parent, tokens, scores, history, length, states,
             attn) = step(tokens, who_t, history, length, scores, states, attn, enc, keys,
                          mask, no_repeat)
            for b, t, score in zip(cand_beam.numpy(), cand_token.numpy(), cand_score.numpy(),
                                   strict=True):
                if t == EOS and score > NEG_INF:
                    finished.append((score / _penalty(len(beams[b]) + 1, alpha), beams[b]))
            new_scores = scores.numpy()
            if len(finished) >= width or not np.isfinite(new_scores).any():
                break
            beams = [beams[p] + [int(t)] for p, t in zip(parent.numpy(), tokens.numpy(),
                                                         strict=True)]
            live_scores = new_scores
        if not finished:
            finished = [(s / _penalty(len(b), alpha), b) for s, b in zip(live_scores, beams,
                                                                          strict=True)]
        return max(finished, key=lambda item: item[0])[1]


def as_turns(context: Sequence[tuple[str, str] | str]) -> list[tuple[str, str]]:
    """Plain strings alternate speakers backwards from the last one, which is the other person."""
    if isinstance(context, str):
        context = [context]
    turns = []
    for back, item in enumerate(reversed(list(context))):
        if isinstance(item, str):
            turns.append(("them" if back % 2 == 0 else "me", item))
        else:
            speaker, text = item
            turns.append((str(speaker), str(text)))
    return turns[::-1]


def ban_repeated_ngrams(log_probs, history, length, n):
    """-inf for every token that would repeat an n-gram of the produced tokens.

    history [W, L] holds the produced tokens (the first `length` are valid); n <= 0 disables.
    An n-gram starting at i repeats when history[i:i+n-1] equals the last n-1 tokens: its next
    token history[i+n-1] is banned.
    """
    width, size = tf.shape(history)[0], tf.shape(history)[1]
    doubled = tf.concat([history, history], 1)  # shifted windows stay in bounds
    starts = tf.range(size)
    valid = tf.logical_and(n > 0, starts + n - 1 < length)
    prefix = length - n + 1

    def body(k, match):
        window = tf.slice(doubled, [0, k], [-1, size])
        last = tf.gather(history, tf.maximum(prefix + k, 0), axis=1)
        return k + 1, tf.logical_and(match, tf.equal(window, last[:, None]))

    _, match = tf.while_loop(lambda k, _: k < n - 1, body,
                             (tf.constant(0), tf.broadcast_to(valid[None, :], [width, size])))
    following = tf.slice(doubled, [0, tf.maximum(n - 1, 0)], [-1, size])
    rows = tf.broadcast_to(tf.range(width)[:, None], [width, size])
    indices = tf.reshape(tf.stack([rows, following], -1), [-1, 2])
    updates = tf.reshape(tf.where(match, NEG_INF, math.inf), [-1])
    return tf.tensor_scatter_nd_min(log_probs, indices, updates)


def sample_tokens(log_probs, sampling, seed):
    """One token per row from log_probs [W, V] with sampling = [temperature, top_k, top_p]:
    top-k first, then the smallest set of the most likely reaching top_p (nucleus)."""
    logits = log_probs / sampling[0]
    vocab = tf.shape(logits)[1]
    ranked = tf.sort(logits, direction="DESCENDING")
    top_k = tf.cast(sampling[1], tf.int32)
    k = tf.where(tf.logical_and(top_k > 0, top_k < vocab), top_k, vocab)
    ranked = tf.where(tf.range(vocab)[None, :] < k, ranked, NEG_INF)
    before = tf.cumsum(tf.nn.softmax(ranked), axis=-1, exclusive=True)
    kept = tf.where(sampling[2] < 1.0, tf.reduce_sum(tf.cast(before < sampling[2], tf.int32), -1),
                    k)
    cutoff = tf.gather(ranked, tf.maximum(kept, 1) - 1, axis=1, batch_dims=1)
    logits = tf.where(logits < cutoff[:, None], NEG_INF, logits)
    return tf.cast(tf.random.stateless_categorical(logits, 1, seed)[:, 0], tf.int32)


def _append(history, length, tokens):
    at = tf.equal(tf.range(tf.shape(history)[1]), length)[None, :]
    return tf.where(at, tokens[:, None], history)


def _penalty(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha
