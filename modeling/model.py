"""Attention sequence-to-sequence model: stacked LSTM encoder, LSTM decoder with attention.

Written as explicit tensor code over Keras weights (not stacked Keras layers) because the
decoder's attentional input feeding couples every step to the previous one, and because the
same cell (`lstm_step`) serves both the whole-sequence training graph and the one-token
generation step (modeling.decode_step).
Loops over time are symbolic (tf.while_loop), so one traced graph serves every batch shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from modeling.config import ModelConfig
from modeling.tokenizer import PAD

NEG_INF = -1e9


@dataclass(frozen=True)
class LSTMWeights:
    kernel: tf.Tensor  # [input, 4u]
    recurrent: tf.Tensor  # [u, 4u]
    bias: tf.Tensor  # [4u]


@dataclass(frozen=True)
class Weights:
    """Weights read (and cast) once per graph so loop bodies reuse the same tensors.

    The vocabulary-sized tables stay float32: the rows a step uses are gathered first and cast
    after, instead of casting millions of values every step for a few thousand rows.
    """

    embedding: tf.Tensor  # [V, E] float32
    addressee: tf.Tensor
    encoder: list[list[LSTMWeights]]
    decoder: list[LSTMWeights]  # layer 0's kernel covers [token; addressee] only
    # Layer 0's kernel rows for the fed-back attention vector stacked on its recurrent kernel,
    # so [attention; h] takes one matmul per step instead of two.
    feed: tf.Tensor | None
    att_w: tf.Tensor | None
    att_query: tf.Tensor | None
    att_v: tf.Tensor | None
    att_out: tf.Tensor
    pre_output: tf.Tensor | None
    output: tf.Tensor  # [V, D] float32
    output_bias: tf.Tensor  # [V] float32


class Seq2Seq(keras.layers.Layer):
    def __init__(self, config: ModelConfig, vocab_size: int, compute_dtype: str = "float32"):
        super().__init__(name="seq2seq")
        self.cfg = config
        self.vocab = vocab_size
        self.cdt = tf.dtypes.as_dtype(compute_dtype)
        c = config
        hidden, emb = c.hidden_size, c.embedding_dim
        self.directions = 2 if c.bidirectional else 1
        self.embedding = self._weight("embedding", (vocab_size, emb), "uniform")
        self.addressee_embedding = self._weight(
            "addressee", (c.max_addressees, c.addressee_dim), "uniform"
        )
        unit = hidden // self.directions
        self.encoder = [
            [
                self._lstm(f"enc{layer}_{d}", emb if layer == 0 else hidden, unit)
                for d in range(self.directions)
            ]
            for layer in range(c.num_layers)
        ]
        first = emb + c.addressee_dim + (hidden if c.input_feeding else 0)
        self.decoder = [
            self._lstm(f"dec{layer}", first if layer == 0 else hidden, hidden)
            for layer in range(c.num_layers)
        ]
        if c.attention in ("general", "bahdanau"):
            self.att_w = self._weight("att_keys", (hidden, hidden))
        if c.attention == "bahdanau":
            self.att_query = self._weight("att_query", (hidden, hidden))
            self.att_v = self._weight("att_v", (hidden,), "uniform")
        self.att_out = self._weight("att_out", (2 * hidden, hidden))
        if c.tie_embeddings:
            self.pre_output = self._weight("pre_output", (hidden, emb))
        else:
            self.output_w = self._weight("output", (vocab_size, hidden))
        self.output_b = self._weight("output_bias", (vocab_size,), "zeros")
        self.built = True

    def _weight(self, name: str, shape: tuple[int, ...], init: str = "glorot") -> keras.Variable:
        initializer = {
            "glorot": keras.initializers.GlorotUniform(),
            "uniform": keras.initializers.RandomUniform(-0.1, 0.1),
            "zeros": keras.initializers.Zeros(),
            "orthogonal": keras.initializers.Orthogonal(),
        }[init]
        return self.add_weight(name=name, shape=shape, initializer=initializer)

    def _lstm(self, name: str, size: int, unit: int) -> tuple[keras.Variable, ...]:
        kernel = self._weight(f"{name}_kernel", (size, 4 * unit))
        recurrent = self._weight(f"{name}_recurrent", (unit, 4 * unit), "orthogonal")
        bias = self._weight(f"{name}_bias", (4 * unit,), "zeros")
        # Forget-gate bias 1 (Jozefowicz et al.) so early training keeps memory.
        bias.assign(tf.concat([tf.zeros(unit), tf.ones(unit), tf.zeros(2 * unit)], 0))
        return kernel, recurrent, bias

    def weights_for_graph(self) -> Weights:
        c = self.cfg

        def cast(variable):
            return tf.cast(variable.value, self.cdt)

        def lstm(triple):
            return LSTMWeights(*(cast(v) for v in triple))

        first = lstm(self.decoder[0])
        split = c.embedding_dim + c.addressee_dim
        return Weights(
            embedding=self.embedding.value,
            addressee=cast(self.addressee_embedding),
            encoder=[[lstm(w) for w in cells] for cells in self.encoder],
            decoder=[LSTMWeights(first.kernel[:split], first.recurrent, first.bias)]
            + [lstm(w) for w in self.decoder[1:]],
            feed=tf.concat([first.kernel[split:], first.recurrent], 0) if c.input_feeding else None,
            att_w=cast(self.att_w) if c.attention != "dot" else None,
            att_query=cast(self.att_query) if c.attention == "bahdanau" else None,
            att_v=cast(self.att_v) if c.attention == "bahdanau" else None,
            att_out=cast(self.att_out),
            pre_output=cast(self.pre_output) if c.tie_embeddings else None,
            output=(self.embedding if c.tie_embeddings else self.output_w).value,
            output_bias=tf.cast(self.output_b.value, tf.float32),
        )

    # ---- encoder ---------------------------------------------------------------------------

    def encode(self, w: Weights, source: tf.Tensor, seed: tf.Tensor | None = None):
        """source [B, S] -> (outputs [B, S, H], attention keys, mask [B, S], decoder states)."""
        valid = tf.not_equal(source, PAD)
        mask = tf.cast(valid, self.cdt)
        lengths = tf.reduce_sum(tf.cast(valid, tf.int32), axis=1)
        keep = tf.transpose(mask)[:, :, None]
        # Time-major inside: the recurrence reads one contiguous [B, 4u] slice per step.
        x = self._dropout(self._embed(w, tf.transpose(source)), seed, 1)
        states = []
        for layer, cells in enumerate(w.encoder):
            outputs, finals = [], []
            for direction, cell in enumerate(cells):
                inputs = x if direction == 0 else _reverse(x, lengths)
                projected = tf.einsum("sbd,dk->sbk", inputs, cell.kernel) + cell.bias
                hs, cs = lstm_sequence(projected, cell.recurrent)
                # Padding only trails, so masking afterwards equals skipping padded steps.
                out = hs * keep
                outputs.append(out if direction == 0 else _reverse(out, lengths))
                finals.append((_at_length(hs, lengths), _at_length(cs, lengths)))
            x = tf.concat(outputs, -1) if len(outputs) > 1 else outputs[0]
            states.append(tuple(tf.concat(parts, -1) for parts in zip(*finals, strict=True)))
            if layer + 1 < len(w.encoder):
                x = self._dropout(x, seed, 10 + layer)
        x = tf.transpose(x, [1, 0, 2])
        keys = x if w.att_w is None else tf.einsum("bsh,hk->bsk", x, w.att_w)
        return x, keys, mask, states

    # ---- decoder ---------------------------------------------------------------------------

    def decode(self, w: Weights, encoded, decoder_in, addressee, seed=None) -> tf.Tensor:
        """Teacher-forced decoder over decoder_in [B, T] -> features [B, T, D] for the output."""
        enc, keys, mask, states = encoded
        inputs = self._decoder_inputs(w, tf.transpose(decoder_in), addressee, seed)
        # The token+addressee part of the first layer's input projection for all steps at once
        # (time-major [T, B, 4u]).
        projected = tf.einsum("tbd,dk->tbk", inputs, w.decoder[0].kernel) + w.decoder[0].bias
        if w.feed is None:
            outputs = self._decode_parallel(w, projected, states, enc, keys, mask, seed)
        else:
            outputs = self._decode_fed(w, projected, states, enc, keys, mask, seed)
        features = self._dropout(outputs, seed, 2)
        if w.pre_output is not None:
            features = tf.einsum("bth,he->bte", features, w.pre_output)
        return features

    def _decode_parallel(self, w: Weights, projected, states, enc, keys, mask, seed):
        """Without input feeding the LSTMs need no attention inside the loop: run them over the
        whole sequence, then attend for all steps at once (far fewer ops per step)."""
        out, _ = lstm_sequence(projected, w.decoder[0].recurrent, states[0])
        for layer in range(1, len(w.decoder)):
            cell = w.decoder[layer]
            below = self._dropout(out, seed, 20 + layer)
            z = tf.einsum("tbh,hk->tbk", below, cell.kernel) + cell.bias
            out, _ = lstm_sequence(z, cell.recurrent, states[layer])
        return self._attend(w, tf.transpose(out, [1, 0, 2]), enc, keys, mask)

    def _decode_fed(self, w: Weights, projected, states, enc, keys, mask, seed):
        """Input feeding: each step's LSTM input includes the previous attention vector."""
        steps = projected
        length = tf.shape(steps)[0]

        def body(t, states, attn, outputs):
            step_seed = (
                None if seed is None else tf.random.experimental.stateless_fold_in(seed, 1000 + t)
            )
            states, attn = self._cell(w, steps[t], states, attn, enc, keys, mask, step_seed)
            return t + 1, states, attn, outputs.write(t, attn)

        _, _, _, outputs = tf.while_loop(
            lambda t, *_: t < length,
            body,
            (
                tf.constant(0),
                states,
                tf.zeros_like(states[0][0]),
                tf.TensorArray(self.cdt, size=length),
            ),
            maximum_iterations=length,
        )
        return tf.transpose(outputs.stack(), [1, 0, 2])

    def _decoder_inputs(self, w: Weights, tokens, addressee, seed) -> tf.Tensor:
        """Time-major tokens [T, B] -> [T, B, embedding + addressee]."""
        x = self._dropout(self._embed(w, tokens), seed, 3)
        a = tf.gather(w.addressee, addressee)
        a = tf.broadcast_to(a[None, :, :], [tf.shape(x)[0], tf.shape(x)[1], a.shape[-1]])
        return tf.concat([x, a], -1)

    def _embed(self, w: Weights, tokens: tf.Tensor) -> tf.Tensor:
        return tf.cast(tf.gather(w.embedding, tokens), self.cdt)

    def _cell(self, w: Weights, z, states, attn, enc, keys, mask, seed):
        h, c = states[0]
        if w.feed is not None:
            from_h = tf.matmul(tf.concat([attn, h], -1), w.feed)
        else:
            from_h = tf.matmul(h, w.decoder[0].recurrent)
        new_states = [_lstm_gates(tf.cast(z, tf.float32) + tf.cast(from_h, tf.float32), c)]
        for layer in range(1, len(w.decoder)):
            cell = w.decoder[layer]
            below = self._dropout(new_states[-1][0], seed, 20 + layer)
            z = tf.matmul(below, cell.kernel) + cell.bias
            new_states.append(lstm_step(z, *states[layer], cell.recurrent))
        return new_states, self._attend(w, new_states[-1][0], enc, keys, mask)

    def _attend(self, w: Weights, query, enc, keys, mask) -> tf.Tensor:
        """Attention vector tanh(W[context; query]) for query [B, H] or [B, T, H]."""
        single = query.shape.rank == 2
        q = query[:, None, :] if single else query
        if w.att_query is not None:
            projected = tf.einsum("bth,hk->btk", q, w.att_query)
            scores = _additive_scores(keys, projected, w.att_v)
        else:
            scores = tf.einsum("bsh,bth->bts", keys, q)
        scores = tf.where(mask[:, None, :] > 0, tf.cast(scores, tf.float32), NEG_INF)
        weights = tf.cast(tf.nn.softmax(scores, axis=-1), self.cdt)
        context = tf.einsum("bts,bsh->bth", weights, enc)
        attn = tf.tanh(tf.einsum("btk,kh->bth", tf.concat([context, q], -1), w.att_out))
        return attn[:, 0] if single else attn

    def _dropout(self, x: tf.Tensor, seed: tf.Tensor | None, salt: int) -> tf.Tensor:
        if seed is None or self.cfg.dropout == 0:
            return x
        return tf.nn.experimental.stateless_dropout(
            x, rate=self.cfg.dropout, seed=tf.random.experimental.stateless_fold_in(seed, salt)
        )

    # ---- losses ----------------------------------------------------------------------------

    def token_nll(
        self,
        source,
        decoder_in,
        decoder_out,
        addressee,
        seed=None,
        label_smoothing=0.0,
        sampler=None,
    ) -> tf.Tensor:
        """Per-token loss [B, T] (zero at padding); seed given = training (dropout on).

        sampler: (log-probabilities [V], number of samples) for sampled softmax; else full.
        """
        w = self.weights_for_graph()
        features = self.decode(w, self.encode(w, source, seed), decoder_in, addressee, seed)
        flat = tf.reshape(features, [-1, features.shape[-1]])
        labels = tf.reshape(decoder_out, [-1])
        if sampler is None:
            output = tf.cast(w.output, flat.dtype)
            logits = tf.cast(tf.matmul(flat, output, transpose_b=True), tf.float32)
            log_probs = tf.nn.log_softmax(logits + w.output_bias)
            nll = -tf.gather(log_probs, labels, batch_dims=1)
        else:
            log_q, num = sampler
            log_probs, nll = _sampled(flat, labels, w, log_q, num, seed)
        if label_smoothing:
            nll = (1 - label_smoothing) * nll - label_smoothing * tf.reduce_mean(log_probs, -1)
        weights = tf.cast(tf.not_equal(decoder_out, PAD), tf.float32)
        return tf.reshape(nll, tf.shape(decoder_out)) * weights


def _sampled(flat, labels, w: Weights, log_q, num, seed):
    """Sampled softmax (Jean et al. 2015) with a unigram^0.75 proposal shared by the batch.

    Returns log-probabilities over [true, samples...] and the true class's loss. Stateless
    sampling keeps it deterministic given the step seed.
    """
    draw_seed = tf.random.experimental.stateless_fold_in(
        seed if seed is not None else tf.constant([0, 0]), 7
    )
    samples = tf.cast(tf.random.stateless_categorical(log_q[None, :], num, draw_seed)[0], tf.int32)
    log_expected = tf.math.log(float(num)) + log_q
    true_rows = tf.cast(tf.gather(w.output, labels), flat.dtype)
    true_logit = tf.reduce_sum(tf.cast(flat * true_rows, tf.float32), -1)
    true_logit += tf.gather(w.output_bias, labels) - tf.gather(log_expected, labels)
    sample_logits = tf.cast(
        tf.matmul(flat, tf.cast(tf.gather(w.output, samples), flat.dtype), transpose_b=True),
        tf.float32,
    )
    sample_logits += tf.gather(w.output_bias, samples) - tf.gather(log_expected, samples)
    sample_logits = tf.where(tf.equal(labels[:, None], samples[None, :]), NEG_INF, sample_logits)
    log_probs = tf.nn.log_softmax(tf.concat([true_logit[:, None], sample_logits], -1))
    return log_probs, -log_probs[:, 0]


@tf.custom_gradient
def _additive_scores(keys, projected, v):
    """v . tanh(keys[b, s] + projected[b, t]) for keys [B, S, H], projected [B, T, H] -> [B, T, S].

    The [B, T, S, H] energy is the step's largest tensor and all elementwise work, so it runs
    in float32 whatever the compute dtype (TensorFlow's bfloat16 tanh and broadcasts on CPU are
    scalar loops). The gradient is written out: v's is one matrix-vector product over the
    energy, and v scales the summed [B, S, H] and [B, T, H] terms instead of a [B, T, S, H] one.
    """
    v32 = tf.cast(v, tf.float32)
    energy = tf.tanh(
        tf.cast(keys, tf.float32)[:, None] + tf.cast(projected, tf.float32)[:, :, None]
    )
    flat = tf.reshape(energy, [-1, v.shape[0]])
    scores = tf.reshape(tf.linalg.matvec(flat, v32), tf.shape(energy)[:3])

    def grad(d_scores):
        d_v = tf.linalg.matvec(flat, tf.reshape(d_scores, [-1]), transpose_a=True)
        d_pre = tf.raw_ops.TanhGrad(
            y=energy, dy=tf.broadcast_to(d_scores[..., None], tf.shape(energy))
        )
        return (
            tf.cast(tf.reduce_sum(d_pre, 1) * v32, keys.dtype),
            tf.cast(tf.reduce_sum(d_pre, 2) * v32, projected.dtype),
            tf.cast(d_v, v.dtype),
        )

    return scores, grad


def lstm_step(inputs, h, c, recurrent):
    """One LSTM step from the input projection x W_x + b: (h, c) -> (h, c)."""
    return _lstm_gates(
        tf.cast(inputs, tf.float32) + tf.cast(tf.matmul(h, recurrent), tf.float32), c
    )


def _lstm_gates(z, c):
    """Float32 pre-activations x W_x + h W_h + b [B, 4u] and the cell state -> (h, c).

    The gate arithmetic runs in float32 whatever the compute dtype: TensorFlow's CPU kernels
    for bfloat16 sigmoid/tanh are scalar and several times slower than the float32 ones, and
    only the matmuls gain from bfloat16. h and c come back in the compute dtype.
    """
    i, f, g, o = _activations(z)
    c_new = f * tf.cast(c, tf.float32) + i * g
    return tf.cast(o * tf.tanh(c_new), c.dtype), tf.cast(c_new, c.dtype)


def _activations(z):
    """Pre-activations [..., 4u] -> the gates i, f, g, o (Keras's order)."""
    i, f, g, o = tf.split(z, 4, axis=-1)
    return tf.sigmoid(i), tf.sigmoid(f), tf.tanh(g), tf.sigmoid(o)


def lstm_sequence(
    projected: tf.Tensor, recurrent: tf.Tensor, initial: tuple[tf.Tensor, tf.Tensor] | None = None
):
    """LSTM over time-major input projections [T, B, 4u] -> (h [T, B, u], c [T, B, u]).

    The input projection x @ W_x for every step is the caller's one big matmul; the loop does
    only h @ W_h and the gates. Backpropagation through time is written out by hand: autodiff
    through tf.while_loop stacks every intermediate of every step and costs about twice as
    much on CPU, while here all but the recurrent chain is vectorised over the whole sequence.
    """
    if initial is None:
        zeros = tf.zeros([tf.shape(projected)[1], recurrent.shape[0]], recurrent.dtype)
        initial = (zeros, zeros)
    return _lstm_sequence(projected, recurrent, *initial)


@tf.custom_gradient
def _lstm_sequence(projected, recurrent, h0, c0):
    length = tf.shape(projected)[0]
    # Inputs and the cell state are float32 for all steps: casts once, not once per step.
    inputs = tf.cast(projected, tf.float32)

    def forward(t, h, c, hs, cs, zs):
        z = inputs[t] + tf.cast(tf.matmul(h, recurrent), tf.float32)
        h, c = _lstm_gates(z, c)
        h = tf.cast(h, h0.dtype)
        return t + 1, h, c, hs.write(t, h), cs.write(t, c), zs.write(t, z)

    arrays = (
        tf.TensorArray(h0.dtype, size=length),
        tf.TensorArray(tf.float32, size=length),
        tf.TensorArray(tf.float32, size=length),
    )
    _, _, _, hs, cs, zs = tf.while_loop(
        lambda t, *_: t < length,
        forward,
        (tf.constant(0), h0, tf.cast(c0, tf.float32), *arrays),
        maximum_iterations=length,
    )
    hs, c32, zs = hs.stack(), cs.stack(), zs.stack()

    def grad(d_hs, d_cs):
        # Per-step factors that do not depend on the backward chain, for all steps at once:
        # dc += dh o (1 - tanh(c)^2); dz = [dc, dc, dc, dh] k with k the gates' local slopes.
        i, f, g, o = _activations(zs)
        tanh_c = tf.tanh(c32)
        c_prev = tf.concat([tf.cast(c0, tf.float32)[None], c32[:-1]], 0)
        dh_to_dc = o * (1 - tanh_c * tanh_c)
        k = tf.concat(
            [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), tanh_c * o * (1 - o)], -1
        )
        d_hs = tf.cast(d_hs, tf.float32)
        d_cs = tf.zeros_like(c32) if d_cs is None else tf.cast(d_cs, tf.float32)

        def backward(t, dh, dc, dzs):
            dh = d_hs[t] + dh
            dc = d_cs[t] + dc + dh * dh_to_dc[t]
            dz = tf.cast(tf.concat([dc, dc, dc, dh], -1) * k[t], recurrent.dtype)
            dh = tf.cast(tf.matmul(dz, recurrent, transpose_b=True), tf.float32)
            return t - 1, dh, dc * f[t], dzs.write(t, dz)

        zeros = tf.zeros_like(c32[0])
        _, dh0, dc0, dzs = tf.while_loop(
            lambda t, *_: t >= 0,
            backward,
            (length - 1, zeros, zeros, tf.TensorArray(recurrent.dtype, size=length)),
            maximum_iterations=length,
        )
        dzs = dzs.stack()
        h_prev = tf.concat([h0[None], hs[:-1]], 0)
        units = recurrent.shape[0]
        d_recurrent = tf.matmul(
            tf.reshape(h_prev, [-1, units]), tf.reshape(dzs, [-1, 4 * units]), transpose_a=True
        )
        return (
            tf.cast(dzs, projected.dtype),
            d_recurrent,
            tf.cast(dh0, h0.dtype),
            tf.cast(dc0, c0.dtype),
        )

    return (hs, tf.cast(c32, c0.dtype)), grad


def _at_length(sequence: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
    """Time-major [T, B, u] -> each row's entry at its last valid step (zeros if it has none)."""
    rows = tf.range(tf.shape(lengths)[0])
    picked = tf.gather_nd(sequence, tf.stack([tf.maximum(lengths - 1, 0), rows], 1))
    return picked * tf.cast(lengths > 0, sequence.dtype)[:, None]


def _reverse(x: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
    """Reverses each time-major row's valid steps, leaving its trailing padding in place."""
    return tf.reverse_sequence(x, lengths, seq_axis=0, batch_axis=1)
