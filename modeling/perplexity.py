"""Per-word perplexity and per-reply log-likelihoods of a model (one compiled graph each)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from modeling.data import Batch, Example, collate
from modeling.model import Seq2Seq

# exp() of a mean log-loss above this is reported as this (an untrained model, not a number).
MAX_LOG_PERPLEXITY = 50.0
# Examples per graph call when scoring replies one by one.
ROWS_PER_CALL = 128
SIGNATURE = [tf.TensorSpec([None, None], tf.int32)] * 3 + [tf.TensorSpec([None], tf.int32)]


class PerplexityMeter:
    def __init__(self, model: Seq2Seq):
        self.model = model
        self._nll = tf.function(self._nll_fn, input_signature=SIGNATURE)
        self._row_nll = tf.function(self._row_nll_fn, input_signature=SIGNATURE)

    def _nll_fn(self, source, decoder_in, decoder_out, addressee):
        return tf.reduce_sum(self.model.token_nll(source, decoder_in, decoder_out, addressee))

    def _row_nll_fn(self, source, decoder_in, decoder_out, addressee):
        return tf.reduce_sum(self.model.token_nll(source, decoder_in, decoder_out, addressee), 1)

    def __call__(self, batches: Sequence[Batch]) -> float | None:
        """exp(total token NLL / words scored): comparable across tokenizers and with a word
        model scored on the same words. None if empty."""
        if not batches:
            return None
        total, words = 0.0, 0
        for b in batches:
            total += float(self._nll(b.source, b.decoder_in, b.decoder_out, b.addressee))
            words += b.words
        return float(math.exp(min(total / max(words, 1), MAX_LOG_PERPLEXITY)))

    def reply_nll(self, examples: Sequence[Example]) -> np.ndarray:
        """-log p(reply | context) of each example, in order."""
        out = []
        for start in range(0, len(examples), ROWS_PER_CALL):
            b = collate(examples[start:start + ROWS_PER_CALL])
            out.append(self._row_nll(b.source, b.decoder_in, b.decoder_out, b.addressee).numpy())
        return np.concatenate(out) if out else np.zeros(0)
