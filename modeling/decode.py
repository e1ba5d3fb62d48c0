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
    def __init__(self, model: Seq2Seq, tokenizer: Tokenizer, config: ModelConfig,
                 xla: bool = False):
        self.model = model
        # XLA halves one stream's per-token time, but its CPU executables serialise when many
        # threads decode at once (20 concurrent chats: p95 first token 28 s with XLA, 70 ms
        # without), so servers decode without it; benchmarks/decode_speed.py measures both.
        self.xla = xla
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
    # Each call of a compiled function costs Python time per argument, so the per-token state
    # travels packed: `carry` [W, (2 * layers + 1) * H] holds every LSTM (h, c) and the
    # attention vector; `memory` [W, S, 2H + 1] the encoder outputs, attention keys and mask;
    # `history` [W, L] the tokens produced so far (the first `length` are valid).

    def _specs(self, width: int | None):
        hidden, cdt = self.config.hidden_size, self.model.cdt
        return (tf.TensorSpec([width, None], tf.int32), tf.TensorSpec([], tf.int32),
                tf.TensorSpec([width, (2 * self.config.num_layers + 1) * hidden], cdt),
                tf.TensorSpec([width, None, 2 * hidden + 1], cdt))

    def encode(self, source_ids: Sequence[int]):
        """-> (carry [1, F], memory [1, S, 2H + 1]) for the source."""
        if self._encode is None:
            self._encode = tf.function(self._encode_fn, jit_compile=self.xla).get_concrete_function(
                tf.TensorSpec([1, None], tf.int32))
        # Always the full length (padding is masked): one compiled encoder and step shape.
        source = np.zeros((1, max(self.config.max_source_len, len(source_ids))), np.int32)
        source[0, : len(source_ids)] = source_ids
        return self._encode(tf.constant(source))

    def _encode_fn(self, source):
        enc, keys, mask, states = self.model.encode(self._weights, source)
        attn = tf.zeros([1, self.config.hidden_size], self.model.cdt)
        carry = tf.concat([t for pair in states for t in pair] + [attn], -1)
        return carry, tf.concat([enc, keys, mask[:, :, None]], -1)

    def _log_probs(self, history, length, carry, memory, who, no_repeat):
        """Model step on the last token plus the masks every strategy applies: specials, an
        empty reply, repeated n-grams. -> (log-probs [W, V], new carry)."""
        hidden = self.config.hidden_size
        parts = tf.split(carry, 2 * self.config.num_layers + 1, axis=-1)
        states = [(parts[2 * i], parts[2 * i + 1]) for i in range(self.config.num_layers)]
        enc, keys, mask = memory[..., :hidden], memory[..., hidden:-1], memory[..., -1]
        last = tf.gather(history, tf.maximum(length - 1, 0), axis=1)
        tokens = tf.where(length > 0, last, BOS)
        who = tf.fill(tf.shape(tokens), who)
        log_probs, states, attn = self.model.step(self._weights, tokens, who, states,
                                                  parts[-1], enc, keys, mask)
        log_probs = log_probs + self._banned
        empty = tf.one_hot(EOS, tf.shape(log_probs)[1], on_value=NEG_INF, off_value=0.0)
        log_probs = tf.where(length > 0, log_probs, log_probs + empty)  # never an empty reply
        log_probs = ban_repeated_ngrams(log_probs, history, length, no_repeat)
        return log_probs, tf.concat([t for pair in states for t in pair] + [attn], -1)

    @property
    def select(self):
        """Greedy or sampled step for one sequence.

        (history, length, carry, memory, ints, floats) -> (token [1], history, length, carry)
        with ints = [addressee, no_repeat_ngram, sample?, top_k, seed, seed] and
        floats = [temperature, top_p].
        """
        if self._select is None:
            self._select = tf.function(self._select_fn, jit_compile=self.xla).get_concrete_function(
                *self._specs(1), tf.TensorSpec([6], tf.int32), tf.TensorSpec([2], tf.float32))
        return self._select

    def _select_fn(self, history, length, carry, memory, ints, floats):
        log_probs, carry = self._log_probs(history, length, carry, memory, ints[0], ints[1])
        token = tf.cond(
            ints[2] > 0,
            lambda: sample_tokens(log_probs, floats[0], ints[3], floats[1],
                                  tf.random.experimental.stateless_fold_in(ints[4:], length)),
            lambda: tf.argmax(log_probs, -1, output_type=tf.int32))
        return token, _append(history, length, token), length + 1, carry

    def beam_step(self, width: int):
        """Beam step: expands every beam, keeps the best `width` live ones (reordering their
        state) and returns the top 2 * width candidates so Python can collect finished ones.

        (history, length, carry, memory, scores [W], ints = [addressee, no_repeat_ngram]) ->
        (candidate beams, tokens, scores [2W], parents [W], tokens [W], scores [W], history,
        length, carry)
        """
        if width not in self._beams:
            self._beams[width] = tf.function(self._beam_fn, jit_compile=self.xla) \
                .get_concrete_function(*self._specs(width), tf.TensorSpec([width], tf.float32),
                                       tf.TensorSpec([2], tf.int32))
        return self._beams[width]

    def _beam_fn(self, history, length, carry, memory, scores, ints):
        width = scores.shape[0]
        log_probs, carry = self._log_probs(history, length, carry, memory, ints[0], ints[1])
        vocab = tf.shape(log_probs)[1]
        values, flat = top_k_by_argmax(tf.reshape(scores[:, None] + log_probs, [-1]),
                                       2 * width)
        beam, token = flat // vocab, flat % vocab
        live = tf.logical_and(tf.not_equal(token, EOS), values > NEG_INF)
        # The best `width` live candidates, in score order; dead ones pad when too few live.
        position = tf.range(2 * width)
        keep = tf.argsort(tf.where(live, position, position + 2 * width))[:width]
        parent, next_tokens = tf.gather(beam, keep), tf.gather(token, keep)
        next_scores = tf.where(tf.gather(live, keep), tf.gather(values, keep), NEG_INF)
        history = _append(tf.gather(history, parent), length, next_tokens)
        return (beam, token, values, parent, next_tokens, next_scores, history, length + 1,
                tf.gather(carry, parent))

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
        carry, memory = self.encode(source)
        step = self.select
        history, length = self._history(1, max_length), tf.constant(0)
        ints = tf.constant([who, int(options["no_repeat_ngram"]), int(sample),
                            int(options["top_k"]), int(seed) % 2**31, 0], tf.int32)
        floats = tf.constant([max(float(options["temperature"]), 1e-4),
                              float(options["top_p"])], tf.float32)
        for _ in range(max_length):
            token, history, length, carry = step(history, length, carry, memory, ints, floats)
            choice = int(token.numpy()[0])
            if choice == EOS:
                return
            yield choice

    def beam(self, source, who, max_length, options) -> list[int]:
        width = max(1, int(options["beam_width"]))
        alpha = float(options["length_penalty"])
        carry, memory = (tf.repeat(t, width, axis=0) for t in self.encode(source))
        step = self.beam_step(width)
        history, length = self._history(width, max_length), tf.constant(0)
        # All beams start identical: expand only the first.
        scores = tf.constant([0.0] + [NEG_INF] * (width - 1), tf.float32)
        ints = tf.constant([who, int(options["no_repeat_ngram"])], tf.int32)
        beams: list[list[int]] = [[] for _ in range(width)]
        finished: list[tuple[float, list[int]]] = []
        live_scores = np.zeros(width)
        for _ in range(max_length):
            (cand_beam, cand_token, cand_score, parent, tokens, scores, history, length,
             carry) = step(history, length, carry, memory, scores, ints)
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
                             (tf.constant(0), tf.broadcast_to(valid[None, :], [width, size])),
                             shape_invariants=(tf.TensorShape([]), tf.TensorShape([None, None])))
    following = tf.slice(doubled, [0, tf.maximum(n - 1, 0)], [-1, size])
    rows = tf.broadcast_to(tf.range(width)[:, None], [width, size])
    indices = tf.reshape(tf.stack([rows, following], -1), [-1, 2])
    updates = tf.reshape(tf.where(match, NEG_INF, math.inf), [-1])
    return tf.tensor_scatter_nd_min(log_probs, indices, updates)


def sample_tokens(log_probs, temperature, top_k, top_p, seed):
    """One token per row of log_probs [W, V]: top-k (0 = off) first, then the smallest set of
    the most likely tokens whose probability reaches top_p (nucleus; 1 = off).

    Both cut-offs are found by bisection over the logit value rather than by sorting the
    vocabulary (an XLA sort of 8,000 values costs several milliseconds on a CPU).
    """
    logits = log_probs / temperature
    vocab = tf.shape(logits)[1]
    k = tf.where(tf.logical_and(top_k > 0, top_k < vocab), top_k, vocab)
    cutoff = _bisect(logits, lambda kept: tf.reduce_sum(tf.cast(kept, tf.int32), -1) >= k)
    logits = tf.where(logits < cutoff, NEG_INF, logits)
    probs = tf.nn.softmax(logits)
    cutoff = _bisect(logits, lambda kept: tf.reduce_sum(tf.where(kept, probs, 0.0), -1)
                     >= tf.minimum(top_p, 1.0 - 1e-6))
    logits = tf.where(tf.logical_or(top_p >= 1.0, logits >= cutoff), logits, NEG_INF)
    return tf.cast(tf.random.stateless_categorical(logits, 1, seed)[:, 0], tf.int32)


def _bisect(logits, enough, steps: int = 30, span: float = 60.0):
    """The highest threshold t per row such that enough(logits >= t) holds -> [W, 1].

    Searched within `span` below the row maximum: anything lower has a probability under
    e^-60 relative to the best token and never matters.
    """
    hi = tf.reduce_max(logits, -1, keepdims=True)

    def halve(lo, hi):
        mid = (lo + hi) / 2
        ok = enough(logits >= mid)[:, None]
        return tf.where(ok, mid, lo), tf.where(ok, hi, mid)

    # A loop, not unrolled: XLA would fuse an unrolled chain into quadratic recomputation.
    lo, _ = tf.while_loop(lambda *_: True, halve, (hi - span, hi), maximum_iterations=steps)
    return lo


def top_k_by_argmax(values, k: int):
    """tf.math.top_k for a small static k over a 1-D tensor, by k argmax passes (XLA's
    sort-based TopK is far slower on a CPU). -> (values [k], indices [k])."""
    size = tf.shape(values)[0]

    def next_best(i, values, found_values, found_indices):
        index = tf.argmax(values, output_type=tf.int32)
        return (i + 1, tf.where(tf.range(size) == index, NEG_INF, values),
                found_values.write(i, values[index]), found_indices.write(i, index))

    # A loop, not unrolled: XLA would fuse an unrolled chain into quadratic recomputation.
    _, _, found_values, found_indices = tf.while_loop(
        lambda i, *_: i < k, next_best,
        (tf.constant(0), values, tf.TensorArray(values.dtype, k), tf.TensorArray(tf.int32, k)))
    return found_values.stack(), found_indices.stack()


def _append(history, length, tokens):
    at = tf.equal(tf.range(tf.shape(history)[1]), length)[None, :]
    return tf.where(at, tokens[:, None], history)


def _penalty(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha
