"""Reply generation: greedy, sampling and beam search in compiled decode loops.

Per reply one tf.function encodes the source (modeling.decode_step.encode). Then a tf.function
runs a tf.while_loop of one-token steps (modeling.decode_step.step), each masking forbidden
tokens (specials, an empty reply, repeated n-grams) and choosing the next token in the graph,
so Python pays a call's fixed cost (0.3-0.8 ms, about a step's worth) once per block of tokens
instead of once per token. Greedy and sampled decoding return the first token alone, so the
first piece streams at once, then blocks of up to BLOCK tokens, each streamed as soon as its
call returns; the state tensors of one call feed the next. Beam search runs to the end in one
call: its reply is only known whole at the end anyway.

No XLA: with the loop in the graph, plain graphs decode as fast per token as the former
XLA-compiled step did (about 1 ms for the reference shape, most of it reading the 10 MB of
weights), without seconds of compilation, XLA's slow sort-based top-k on a CPU, or its
executables stalling when many chats decode at once (20 concurrent chats: p95 first token
28 s). benchmarks/decode_speed.py measures latency, CPU time and concurrency.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf

from modeling.config import ModelConfig
from modeling.data import Example, addressee_id, encode_context
from modeling.decode_step import Memory, State, encode, step, step_weights
from modeling.model import Seq2Seq
from modeling.options import DEFAULT_STRATEGY, DEFAULTS, STRATEGIES
from modeling.perplexity import PerplexityMeter
from modeling.tokenizer import BOS, EOS, PAD, IncrementalDecoder, Tokenizer

# The reply "them" would get to an empty message: what the anti-language-model term of
# reranking scores a candidate against (p(reply) without a context, Li et al. 2016).
EMPTY_CONTEXT = (("them", ""),)
# Reranking's length normalisation: at beam search's 0.6 the base model's reranked replies were
# a third as long as real ones (5.5 words against 17), at 1 they are 10.
RERANK_LENGTH_ALPHA = 1.0
# Tokens per call after the first: a call's fixed cost (0.3-0.8 ms) is then small per token,
# and chunks still stream about 16 ms apart.
BLOCK = 16
NEG_INF = float("-inf")


class Decoder:
    """Decodes with the weights the model has when the Decoder is made."""

    def __init__(self, model: Seq2Seq, tokenizer: Tokenizer, config: ModelConfig):
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.weights = step_weights(model)
        # Added to the logits, row min(length, 1): specials are never chosen, and EOS not
        # first either (never an empty reply).
        forbidden = np.zeros((2, tokenizer.vocab_size), np.float32)
        forbidden[:, list(tokenizer.special_ids)] = NEG_INF
        forbidden[0, EOS] = NEG_INF
        self._forbidden = tf.constant(forbidden)
        self._encode = None
        self._sequences: dict[bool, Any] = {}
        self._beams: dict[int, Any] = {}
        self._scorer: ReplyScorer | None = None

    @property
    def scorer(self) -> ReplyScorer:
        if self._scorer is None:
            self._scorer = ReplyScorer(self.model)
        return self._scorer

    # ---- compiled parts (traced on first use, so loading stays cheap) ------------------------

    def _state_spec(self, width: int) -> State:
        row = tf.TensorSpec([width, self.config.hidden_size], tf.float32)
        layers = (row,) * self.config.num_layers
        return State(layers, layers, row)

    def _memory_spec(self) -> Memory:
        hidden = self.config.hidden_size
        return Memory(
            tf.TensorSpec([None, hidden], tf.float32),
            tf.TensorSpec([None, hidden], tf.float32),
            tf.TensorSpec([None], tf.float32),
            tf.TensorSpec([1, 4 * hidden], tf.float32),
        )

    def encode(self, source_ids: Sequence[int], who: int) -> tuple[Memory, State]:
        """The reply's Memory and one-row initial State for the source."""
        if self._encode is None:
            self._encode = _concrete(
                lambda source, who: encode(self.model, self.weights, source, who),
                tf.TensorSpec([1, None], tf.int32),
                tf.TensorSpec([], tf.int32),
            )
        return self._encode(tf.constant([list(source_ids) or [PAD]], tf.int32), tf.constant(who))

    def _forbid(self, logits, produced, length, no_repeat):
        """-inf for the tokens not to choose next: specials, EOS first (never an empty reply)
        and repeated n-grams."""
        logits = logits + tf.gather(self._forbidden, tf.minimum(length, 1))
        return ban_repeated_ngrams(logits, produced, length, no_repeat)

    def sequence_block(self, sample: bool):
        """Greedy or sampled steps for one sequence, up to `steps` and stopping after EOS.

        (memory, state, produced, length, steps, ints, floats) -> (tokens [n], state, produced,
        length) with ints = [no_repeat_ngram, top_k, seed, seed] and
        floats = [temperature, top_p].
        """
        if sample not in self._sequences:
            self._sequences[sample] = _concrete(
                lambda *args: self._sequence_fn(sample, *args),
                self._memory_spec(),
                self._state_spec(1),
                Produced(*[tf.TensorSpec([1, None], tf.int32)] * 2),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([4], tf.int32),
                tf.TensorSpec([2], tf.float32),
            )
        return self._sequences[sample]

    def _sequence_fn(self, sample, memory, state, produced, length, steps, ints, floats):
        def body(token, state, produced, length):
            logits, state = step(self.weights, memory, token, state)
            logits = self._forbid(logits, produced, length, ints[0])
            if sample:
                seed = tf.random.experimental.stateless_fold_in(ints[2:], length)
                token = sample_tokens(logits, floats[0], ints[1], floats[1], seed)
            else:
                token = tf.argmax(logits, -1, output_type=tf.int32)
            return token, state, extend(produced, length, token), length + 1

        start, stop = length, length + steps
        last = tf.where(length > 0, produced.tokens[:, tf.maximum(length - 1, 0)], BOS)
        _, state, produced, length = tf.while_loop(
            lambda token, _, __, length: tf.logical_and(length < stop, token[0] != EOS),
            body,
            (last, state, produced, length),
            parallel_iterations=1,
        )
        return produced.tokens[0, start:length], state, produced, length

    def beam_search(self, width: int):
        """Beam search to the end: (memory, state, max_length, no_repeat_ngram, length_penalty)
        -> the best reply's tokens."""
        if width not in self._beams:
            self._beams[width] = _concrete(
                lambda *args: self._beam_fn(width, *args),
                self._memory_spec(),
                self._state_spec(1),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([], tf.float32),
            )
        return self._beams[width]

    def _beam_fn(self, width, memory, state, max_length, no_repeat, alpha):
        vocab = self.weights.output.shape[1]
        position = tf.range(2 * width)

        def body(length, tokens, state, produced, scores, finished, best, best_tokens, best_length):
            logits, state = step(self.weights, memory, tokens, state)
            log_probs = self._forbid(tf.nn.log_softmax(logits), produced, length, no_repeat)
            values, flat = tf.math.top_k(tf.reshape(scores[:, None] + log_probs, [-1]), 2 * width)
            beam, token = flat // vocab, flat % vocab
            # Candidates ending here are finished replies; the best length-normalised one wins
            # (the earliest among equals).
            ended = tf.logical_and(tf.equal(token, EOS), values > NEG_INF)
            normalised = tf.where(ended, values / _penalty(length + 1, alpha), NEG_INF)
            pick = tf.argmax(normalised, output_type=tf.int32)
            better = normalised[pick] > best
            best = tf.where(better, normalised[pick], best)
            best_tokens = tf.where(better, produced.tokens[beam[pick]], best_tokens)
            best_length = tf.where(better, length, best_length)
            finished += tf.reduce_sum(tf.cast(ended, tf.int32))
            # The best `width` live candidates go on, in score order; dead ones pad when too
            # few live.
            live = tf.logical_and(tf.not_equal(token, EOS), values > NEG_INF)
            keep = tf.argsort(tf.where(live, position, position + 2 * width))[:width]
            parent, tokens = tf.gather(beam, keep), tf.gather(token, keep)
            scores = tf.where(tf.gather(live, keep), tf.gather(values, keep), NEG_INF)
            state, produced = (
                tf.nest.map_structure(lambda t: tf.gather(t, parent), x) for x in (state, produced)
            )
            return (
                length + 1,
                tokens,
                state,
                extend(produced, length, tokens),
                scores,
                finished,
                best,
                best_tokens,
                best_length,
            )

        def more(length, tokens, state, produced, scores, finished, *_):
            return tf.logical_and(
                tf.logical_and(length < max_length, finished < width),
                tf.reduce_any(scores > NEG_INF),
            )

        produced = Produced.empty(width, max_length)
        start = (
            tf.constant(0),
            tf.fill([width], BOS),
            tf.nest.map_structure(lambda t: tf.repeat(t, width, axis=0), state),
            produced,
            # All beams start identical: expand only the first.
            tf.constant([0.0] + [NEG_INF] * (width - 1)),
            tf.constant(0),
            tf.constant(NEG_INF),
            produced.tokens[0],
            tf.constant(0),
        )
        length, _, _, produced, scores, finished, _, best_tokens, best_length = tf.while_loop(
            more, body, start, parallel_iterations=1
        )
        # None finished within max_length: the best live beam, all being equally long.
        done = finished > 0
        best_live = produced.tokens[tf.argmax(scores, output_type=tf.int32)]
        reply = tf.where(done, best_tokens, best_live)
        return reply[: tf.where(done, best_length, length)]

    # ---- public --------------------------------------------------------------------------------

    def source_ids(
        self, context: Sequence[tuple[str, str] | str], me: Sequence[str],
        retrieved: str | None = None,
    ) -> list[int]:
        return encode_context(self.tokenizer, as_turns(context), frozenset(me), self.config,
                              retrieved)

    def generate(
        self,
        context,
        me: Sequence[str],
        table: Sequence[str],
        addressee: str | None,
        strategy: str = DEFAULT_STRATEGY,
        retrieved: str | None = None,
        **opts: Any,
    ) -> Iterator[str]:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
        unknown = set(opts) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown generation option(s): {', '.join(sorted(unknown))}")
        options = {**DEFAULTS, **{k: v for k, v in opts.items() if v is not None}}
        max_length = int(options["max_length"] or self.config.max_target_len)
        source = self.source_ids(context, me, retrieved)
        who = addressee_id(table, addressee)
        return self._stream(source, who, strategy, max_length, options)

    def _stream(self, source, who, strategy, max_length, options) -> Iterator[str]:
        text = IncrementalDecoder(self.tokenizer)
        if strategy == "beam":
            tokens: Iterator[int] = iter(self.beam(source, who, max_length, options))
        elif strategy == "rerank":
            tokens = iter(self.rerank(source, who, max_length, options))
        else:
            tokens = self.sequential(source, who, max_length, options, strategy == "sample")
        for token in tokens:
            piece = text.push(token)
            if piece:
                yield piece
        text.finish()  # an incomplete byte sequence at the end is dropped

    def sequential(self, source, who, max_length, options, sample: bool) -> Iterator[int]:
        """Greedy or sampled decoding, yielding each block's tokens as soon as it returns."""
        seed = options["seed"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31))
        memory, state = self.encode(source, who)
        run = self.sequence_block(sample)
        produced, length = Produced.empty(1, max_length), tf.constant(0)
        ints = tf.constant(
            [int(options["no_repeat_ngram"]), int(options["top_k"]), int(seed) % 2**31, 0], tf.int32
        )
        floats = tf.constant(
            [max(float(options["temperature"]), 1e-4), float(options["top_p"])], tf.float32
        )
        done, steps = 0, 1  # the first token alone: the first piece shows at once
        while done < max_length:
            steps = min(steps, max_length - done)
            tokens, state, produced, length = run(
                memory, state, produced, length, tf.constant(steps), ints, floats
            )
            for token in tokens.numpy().tolist():
                if token == EOS:
                    return
                yield token
            done, steps = done + steps, BLOCK

    def beam(self, source, who, max_length, options) -> list[int]:
        memory, state = self.encode(source, who)
        run = self.beam_search(max(1, int(options["beam_width"])))
        return (
            run(
                memory,
                state,
                tf.constant(max_length),
                tf.constant(int(options["no_repeat_ngram"])),
                tf.constant(float(options["length_penalty"])),
            )
            .numpy()
            .tolist()
        )


    def rerank(self, source, who, max_length, options) -> list[int]:
        """The greedy reply and sampled ones, rescored by mutual information with the context:
        (log p(reply | context) - anti_lm * log p(reply)) / GNMT length penalty of alpha
        RERANK_LENGTH_ALPHA. Generic replies that fit any message lose to ones that fit this one
        (Li et al. 2016)."""
        seed = options["seed"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31))
        found = [list(self.sequential(source, who, max_length, options, sample=False))]
        for i in range(1, max(1, int(options["candidates"]))):
            sampled = {**options, "seed": (int(seed) + i) % 2**31}
            found.append(list(self.sequential(source, who, max_length, sampled, sample=True)))
        candidates = [c for i, c in enumerate(found) if c and c not in found[:i]]
        if len(candidates) < 2:
            return candidates[0] if candidates else []
        empty = encode_context(self.tokenizer, EMPTY_CONTEXT, frozenset(), self.config)
        scores = self.scorer.log_likelihoods(source, who, candidates, max_length)
        prior = self.scorer.log_likelihoods(empty, who, candidates, max_length)
        lengths = np.array([len(c) for c in candidates], np.float32)
        penalty = ((5.0 + lengths) / 6.0) ** RERANK_LENGTH_ALPHA
        total = (scores - float(options["anti_lm"]) * prior) / penalty
        return candidates[int(np.argmax(total))]


class ReplyScorer:
    """log p(reply | source) for a few candidate replies at once, teacher-forced."""

    def __init__(self, model: Seq2Seq):
        self.meter = PerplexityMeter(model)

    def log_likelihoods(self, source, who, candidates, max_length) -> np.ndarray:
        examples = [
            # A candidate that ran to max_length was cut: its end is not scored.
            Example(tuple(source) or (PAD,), tuple(c), who, 1, len(c) < max_length)
            for c in candidates
        ]
        return -self.meter.reply_nll(examples)


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


class Produced(NamedTuple):
    """The tokens produced so far, W rows of L, and how far each position repeats the end."""

    tokens: tf.Tensor  # [W, L]: the first `length` are produced; PAD (never produced) after
    # [W, L]: at p, the length of the longest common suffix of tokens[:p] and tokens[:length]
    repeats: tf.Tensor

    @staticmethod
    def empty(width: int, size: int) -> Produced:
        return Produced(*[tf.zeros([width, size], tf.int32)] * 2)


def extend(produced: Produced, length, tokens) -> Produced:
    """Appends tokens [W] at `length`. The suffix tokens[:p] repeats the new end by one more
    than tokens[:p-1] repeated the old end when tokens[p-1] is the new token, else not at all
    (rolling puts the never-produced last slot, PAD, at p = 0)."""
    follows = tf.equal(tf.roll(produced.tokens, 1, axis=1), tokens[:, None])
    repeats = tf.where(follows, tf.roll(produced.repeats, 1, axis=1) + 1, 0)
    return Produced(_append(produced.tokens, length, tokens), repeats)


def ban_repeated_ngrams(log_probs, produced: Produced, length, n):
    """-inf for every token that would repeat an n-gram of the produced tokens (n <= 0: none).

    Token p follows an earlier copy of the last n-1 tokens when the n-1 tokens before p equal
    them, i.e. repeats[p] >= n - 1: choosing it again would repeat that n-gram. Kept up to date
    by `extend`, so this is a few ops on [W, L] per step, with no loop over n.
    """
    shape = tf.shape(produced.tokens)
    match = tf.logical_and(
        tf.logical_and(produced.repeats >= n - 1, n > 0), tf.range(shape[1]) < length
    )
    rows = tf.broadcast_to(tf.range(shape[0])[:, None], shape)
    indices = tf.reshape(tf.stack([rows, produced.tokens], -1), [-1, 2])
    updates = tf.reshape(tf.where(match, NEG_INF, math.inf), [-1])
    return tf.tensor_scatter_nd_min(log_probs, indices, updates)


def sample_tokens(logits, temperature, top_k, top_p, seed, attempts: int = 1000):
    """One token per row of logits [W, V] (-inf = forbidden) at `temperature`: from the top_k
    most likely (0 = all), then from the smallest set of the most likely whose probability
    reaches top_p (nucleus; 1 = all).

    The nucleus is sampled by rejection rather than by sorting the vocabulary (a sort of 8,000
    values costs about 1 ms on a CPU): a token drawn from the whole distribution is in the
    nucleus exactly when the tokens more likely than it hold less than top_p, so redrawing
    until it is samples the nucleus with the right probabilities, in under 1 / top_p draws on
    average.
    """
    logits = logits / temperature
    vocab = tf.shape(logits)[1]
    logits = tf.cond(
        tf.logical_and(top_k > 0, top_k < vocab),
        lambda: tf.where(logits < tf.math.top_k(logits, top_k).values[:, -1:], NEG_INF, logits),
        lambda: logits,
    )
    probs = tf.nn.softmax(logits)
    cumulative = tf.cumsum(probs, axis=-1)

    def draw(attempt):  # inverse CDF: the first token whose cumulative probability passes u
        seed_at = tf.random.experimental.stateless_fold_in(seed, attempt)
        u = tf.random.stateless_uniform([tf.shape(logits)[0], 1], seed_at) * cumulative[:, -1:]
        drawn = tf.searchsorted(cumulative, u, side="right", out_type=tf.int32)[:, 0]
        return tf.minimum(drawn, vocab - 1)

    def in_nucleus(tokens):
        drawn = tf.gather(logits, tokens, batch_dims=1)[:, None]
        above = tf.reduce_sum(tf.where(logits > drawn, probs, 0.0), -1)
        return tf.logical_or(above < top_p, top_p >= 1.0)

    def redraw(attempt, tokens, accepted):
        again = draw(attempt)
        return (
            attempt + 1,
            tf.where(accepted, tokens, again),
            tf.logical_or(accepted, in_nucleus(again)),
        )

    tokens = draw(0)
    _, tokens, accepted = tf.while_loop(
        lambda _, __, accepted: tf.logical_not(tf.reduce_all(accepted)),
        redraw,
        (tf.constant(1), tokens, in_nucleus(tokens)),
        maximum_iterations=attempts,
    )
    # The most likely token is always in the nucleus: the answer should draws all miss.
    return tf.where(accepted, tokens, tf.argmax(logits, -1, output_type=tf.int32))


def _append(history, length, tokens):
    at = tf.equal(tf.range(tf.shape(history)[1]), length)[None, :]
    return tf.where(at, tokens[:, None], history)


def _penalty(length, alpha):
    """GNMT length penalty ((5 + length) / 6) ** alpha."""
    return ((5.0 + tf.cast(length, tf.float32)) / 6.0) ** alpha


def _concrete(fn, *specs):
    """A concrete function: calling it skips tf.function's per-call signature matching."""
    return tf.function(fn).get_concrete_function(*specs)
