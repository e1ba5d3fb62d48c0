"""The decoder's one-token step for generation, on weights rearranged once for it.

Training runs the decoder over whole sequences (modeling.model); generation runs it one token
at a time, where each op's fixed cost weighs as much as its arithmetic. So the weights are
read once and laid out for the step: matrices pre-transposed, the attention's query
projection and the query half of its output layer in one matrix, a tied output layer folded
into one [H, V] matrix, the addressee's share of the first layer's input (plus its bias) as a
table. What depends only on the source (encoder outputs, attention keys, padding mask,
addressee row) is computed once per reply by `encode`. Same arithmetic as the teacher-forced
training graph, up to float rounding (tests/modeling/test_decode_step.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import tensorflow as tf

from modeling.model import NEG_INF, Seq2Seq, lstm_step


@dataclass(frozen=True)
class StepWeights:
    embedding: tf.Tensor  # [V, E]
    first_kernel: tf.Tensor  # layer 0's input rows for [token; fed-back attention] [E (+H), 4H]
    first_bias: tf.Tensor  # [addressees, 4H]: addressee embedding @ its rows + layer 0's bias
    recurrent: list[tf.Tensor]  # per layer [H, 4H]
    upper: list[tuple[tf.Tensor, tf.Tensor]]  # layers 1.. input kernel [H, 4H] and bias [4H]
    feeds_attention: bool
    # [W_q | W_o,query] for additive attention (one matmul for both), else W_o,query.
    query: tf.Tensor
    additive: tf.Tensor | None  # v [H] for additive attention
    out_context: tf.Tensor  # W_o,context [H, H]
    output: tf.Tensor  # [H, V]
    output_bias: tf.Tensor  # [V]


class Memory(NamedTuple):
    """What the steps of one reply share (beams included)."""

    values: tf.Tensor  # encoder outputs [S, H]
    keys: tf.Tensor  # attention keys [S, H]
    mask: tf.Tensor  # [S]: 0 at source tokens, NEG_INF at padding (added to the scores)
    first_bias: tf.Tensor  # [1, 4H]: the addressee's row of StepWeights.first_bias


class State(NamedTuple):
    """Per-sequence recurrent state, W rows each."""

    h: tuple[tf.Tensor, ...]  # per layer [W, H]
    c: tuple[tf.Tensor, ...]
    attention: tf.Tensor  # [W, H]: the last attention vector (input feeding reads it)


def step_weights(model: Seq2Seq) -> StepWeights:
    """Reads the model's weights now: later changes to its variables are not seen."""
    w = model.weights_for_graph()
    hidden, embedding = model.cfg.hidden_size, model.cfg.embedding_dim

    def f32(tensor):
        return tf.cast(tf.convert_to_tensor(tensor), tf.float32)

    first = w.decoder[0]  # its kernel covers [token; addressee]; w.feed starts with attention's
    token_rows = f32(first.kernel[:embedding])
    att_out = f32(w.att_out)
    if w.att_query is not None:
        query = tf.concat([f32(w.att_query), att_out[hidden:]], 1)
    else:
        query = att_out[hidden:]
    output = f32(w.output)
    return StepWeights(
        embedding=f32(w.embedding),
        first_kernel=tf.concat([token_rows, f32(w.feed[:hidden])], 0)
        if w.feed is not None
        else token_rows,
        first_bias=tf.matmul(f32(w.addressee), f32(first.kernel[embedding:])) + f32(first.bias),
        recurrent=[f32(cell.recurrent) for cell in w.decoder],
        upper=[(f32(cell.kernel), f32(cell.bias)) for cell in w.decoder[1:]],
        feeds_attention=w.feed is not None,
        query=query,
        additive=None if w.att_v is None else f32(w.att_v),
        out_context=att_out[:hidden],
        output=tf.matmul(f32(w.pre_output), output, transpose_b=True)
        if w.pre_output is not None
        else tf.transpose(output),
        output_bias=f32(w.output_bias),
    )


def encode(model: Seq2Seq, w: StepWeights, source, addressee) -> tuple[Memory, State]:
    """source [1, S], addressee [] -> the reply's Memory and its one-row initial State."""
    weights = model.weights_for_graph()
    enc, keys, mask, states = model.encode(weights, source)
    memory = Memory(
        tf.cast(enc[0], tf.float32),
        tf.cast(keys[0], tf.float32),
        (1.0 - tf.cast(mask[0], tf.float32)) * NEG_INF,
        tf.gather(w.first_bias, addressee[None]),
    )
    h = tuple(tf.cast(s[0], tf.float32) for s in states)
    c = tuple(tf.cast(s[1], tf.float32) for s in states)
    return memory, State(h, c, tf.zeros_like(h[-1]))


def step(w: StepWeights, memory: Memory, tokens, state: State) -> tuple[tf.Tensor, State]:
    """tokens [W] (the previous ones) -> (logits [W, V], next State)."""
    x = tf.gather(w.embedding, tokens)
    if w.feeds_attention:
        x = tf.concat([x, state.attention], -1)
    below = tf.matmul(x, w.first_kernel) + memory.first_bias
    hs, cs = [], []
    for layer, recurrent in enumerate(w.recurrent):
        if layer > 0:
            kernel, bias = w.upper[layer - 1]
            below = tf.matmul(hs[-1], kernel) + bias
        h, c = lstm_step(below, state.h[layer], state.c[layer], recurrent)
        hs.append(h)
        cs.append(c)
    attention = attend(w, memory, hs[-1])
    logits = tf.matmul(attention, w.output) + w.output_bias
    return logits, State(tuple(hs), tuple(cs), attention)


def attend(w: StepWeights, memory: Memory, query) -> tf.Tensor:
    """Attention vector tanh(W_o [context; query]) for query [W, H] -> [W, H]."""
    if w.additive is not None:  # v . tanh(keys + W_q query)
        projected, from_query = tf.split(tf.matmul(query, w.query), 2, axis=-1)
        energy = tf.tanh(memory.keys + projected[:, None, :])  # [W, S, H]
        scores = tf.reduce_sum(energy * w.additive, -1)
    else:  # keys are the (projected) encoder outputs: dot-product scores
        from_query = tf.matmul(query, w.query)
        scores = tf.matmul(query, memory.keys, transpose_b=True)
    weights = tf.nn.softmax(scores + memory.mask)
    context = tf.matmul(weights, memory.values)
    return tf.tanh(tf.matmul(context, w.out_context) + from_query)
