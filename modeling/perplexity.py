"""Per-word perplexity of a model on prepared batches (one compiled graph for all shapes)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import tensorflow as tf

from modeling.data import Batch
from modeling.model import Seq2Seq

# exp() of a mean log-loss above this is reported as this (an untrained model, not a number).
MAX_LOG_PERPLEXITY = 50.0


class PerplexityMeter:
    def __init__(self, model: Seq2Seq):
        self.model = model
        self._nll = tf.function(self._nll_fn, input_signature=[
            tf.TensorSpec([None, None], tf.int32)] * 3 + [tf.TensorSpec([None], tf.int32)])

    def _nll_fn(self, source, decoder_in, decoder_out, addressee):
        return tf.reduce_sum(self.model.token_nll(source, decoder_in, decoder_out, addressee))

    def __call__(self, batches: Sequence[Batch]) -> float | None:
        """exp(total token NLL / whitespace words): comparable across tokenizers. None if empty."""
        if not batches:
            return None
        total, words = 0.0, 0
        for b in batches:
            total += float(self._nll(b.source, b.decoder_in, b.decoder_out, b.addressee))
            words += b.words
        return float(math.exp(min(total / max(words, 1), MAX_LOG_PERPLEXITY)))
