"""Reply generation: greedy, beam search and sampling over one compiled decode step.

The step is a single concrete tf.function (XLA-compiled: one fused kernel per token instead of
dozens of small ops), fed the previous step's state tensors; Python only picks the next token.
"""

from __future__ import annotations

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


class Decoder:
    def __init__(self, model: Seq2Seq, tokenizer: Tokenizer, config: ModelConfig):
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.banned = np.array(tokenizer.special_ids, np.int64)
        # Read (cast, sliced, concatenated) once: the compiled functions capture these tensors
        # instead of re-deriving them from the variables on every token.
        self._weights = model.weights_for_graph()
        self._encode = tf.function(self._encode_fn)
        self._step = None

    @property
    def step(self):
        """The concrete decode step, traced on first use (loading stays cheap)."""
        if self._step is None:
            hidden, cdt = self.config.hidden_size, self.model.cdt
            state_spec = [tf.TensorSpec([None, hidden], cdt)] * (2 * self.config.num_layers)
            self._step = tf.function(self._step_fn, jit_compile=True).get_concrete_function(
                tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32), state_spec,
                tf.TensorSpec([None, hidden], cdt), tf.TensorSpec([None, None, hidden], cdt),
                tf.TensorSpec([None, None, hidden], cdt), tf.TensorSpec([None, None], cdt),
            )
        return self._step

    # ---- compiled parts ----------------------------------------------------------------------

    def _encode_fn(self, source):
        enc, keys, mask, states = self.model.encode(self._weights, source)
        flat = [t for pair in states for t in pair]
        return enc, keys, mask, flat

    def _step_fn(self, tokens, addressee, states, attn, enc, keys, mask):
        w = self._weights
        pairs = [(states[2 * i], states[2 * i + 1]) for i in range(len(states) // 2)]
        log_probs, new_states, attn = self.model.step(w, tokens, addressee, pairs, attn, enc,
                                                      keys, mask)
        return log_probs, [t for pair in new_states for t in pair], attn

    def encode(self, source_ids: Sequence[int]):
        # Always the full length (padding is masked): one encoder graph, and the XLA-compiled
        # step sees one shape per beam width.
        source = np.zeros((1, max(self.config.max_source_len, len(source_ids))), np.int32)
        source[0, : len(source_ids)] = source_ids
        return self._encode(tf.constant(source))

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
        rest = text.finish()
        if rest:
            yield rest

    def sequential(self, source, who, max_length, options, sample: bool) -> Iterator[int]:
        """Greedy or sampled decoding, yielding each token as soon as it is chosen."""
        rng = np.random.default_rng(options["seed"])
        enc, keys, mask, states = self.encode(source)
        attn = tf.zeros([1, self.config.hidden_size], self.model.cdt)
        token = tf.constant([BOS], tf.int32)
        who_t = tf.constant([who], tf.int32)
        produced: list[int] = []
        for _ in range(max_length):
            log_probs, states, attn = self.step(token, who_t, states, attn, enc, keys, mask)
            row = self._allowed(log_probs.numpy()[0], produced, options["no_repeat_ngram"])
            choice = _sample(row, options, rng) if sample else int(np.argmax(row))
            if choice == EOS:
                return
            produced.append(choice)
            yield choice
            token = tf.constant([choice], tf.int32)

    def beam(self, source, who, max_length, options) -> list[int]:
        width = max(1, int(options["beam_width"]))
        alpha = float(options["length_penalty"])
        enc, keys, mask, states = self.encode(source)
        enc, keys, mask = (tf.repeat(t, width, axis=0) for t in (enc, keys, mask))
        states = [tf.repeat(s, width, axis=0) for s in states]
        attn = tf.zeros([width, self.config.hidden_size], self.model.cdt)
        who_t = tf.fill([width], who)
        beams: list[list[int]] = [[] for _ in range(width)]
        scores = np.full(width, -np.inf)
        scores[0] = 0.0  # all beams start identical: expand only the first
        tokens = np.full(width, BOS, np.int32)
        finished: list[tuple[float, list[int]]] = []
        for _ in range(max_length):
            log_probs, states, attn = self.step(tf.constant(tokens), who_t, states, attn,
                                                enc, keys, mask)
            rows = log_probs.numpy()
            for b in range(width):
                rows[b] = self._allowed(rows[b], beams[b], options["no_repeat_ngram"])
            total = scores[:, None] + rows
            best = np.argsort(total, axis=None)[::-1][: 2 * width]
            keep_beam, keep_token, keep_score = [], [], []
            for flat in best:
                b, t = divmod(int(flat), rows.shape[1])
                if not np.isfinite(total[b, t]):
                    break
                if t == EOS:
                    finished.append((total[b, t] / _penalty(len(beams[b]) + 1, alpha), beams[b]))
                elif len(keep_beam) < width:
                    keep_beam.append(b)
                    keep_token.append(t)
                    keep_score.append(total[b, t])
            if len(finished) >= width or not keep_beam:
                break
            while len(keep_beam) < width:  # too few live candidates: pad with dead beams
                keep_beam.append(keep_beam[0])
                keep_token.append(keep_token[0])
                keep_score.append(-np.inf)
            beams = [beams[b] + [t] for b, t in zip(keep_beam, keep_token, strict=True)]
            scores = np.array(keep_score)
            tokens = np.array(keep_token, np.int32)
            index = tf.constant(keep_beam, tf.int32)
            states = [tf.gather(s, index) for s in states]
            attn = tf.gather(attn, index)
        if not finished:
            finished = [(s / _penalty(len(b), alpha), b) for s, b in zip(scores, beams,
                                                                          strict=True)]
        return max(finished, key=lambda item: item[0])[1]

    def _allowed(self, row: np.ndarray, produced: list[int], no_repeat: int) -> np.ndarray:
        row = row.copy()
        row[self.banned] = -np.inf
        if not produced:
            row[EOS] = -np.inf  # never an empty reply
        if no_repeat and len(produced) >= no_repeat - 1:
            row[_repeated_ngram_tokens(produced, no_repeat)] = -np.inf
        return row


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


def _repeated_ngram_tokens(produced: list[int], n: int) -> list[int]:
    if n == 1:
        return list(set(produced))
    prefix = tuple(produced[len(produced) - n + 1:])
    return [produced[i + n - 1] for i in range(len(produced) - n + 1)
            if tuple(produced[i:i + n - 1]) == prefix]


def _penalty(length: int, alpha: float) -> float:
    return ((5 + length) / 6) ** alpha


def _sample(row: np.ndarray, options: dict, rng: np.random.Generator) -> int:
    logits = row / max(float(options["temperature"]), 1e-4)
    top_k = int(options["top_k"])
    if 0 < top_k < logits.size:
        cutoff = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits < cutoff, -np.inf, logits)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    top_p = float(options["top_p"])
    if top_p < 1.0:
        order = np.argsort(probs)[::-1]
        cumulative = np.cumsum(probs[order])
        keep = order[: int(np.searchsorted(cumulative, top_p)) + 1]
        mask = np.zeros_like(probs)
        mask[keep] = probs[keep]
        probs = mask / mask.sum()
    return int(rng.choice(probs.size, p=probs))
