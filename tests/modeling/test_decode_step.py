import numpy as np
import pytest
import tensorflow as tf

from modeling.config import ModelConfig
from modeling.decode_step import encode, step, step_weights
from modeling.model import Seq2Seq


@pytest.mark.parametrize(
    "overrides",
    [
        {"attention": "bahdanau"},
        {"attention": "general", "num_layers": 2},
        {"attention": "dot", "input_feeding": True, "tie_embeddings": True},
        {"attention": "bahdanau", "input_feeding": True, "bidirectional": True, "num_layers": 2},
    ],
)
def test_step_matches_the_model_step(overrides):
    """The rearranged weights compute what Seq2Seq.step computes, over several steps."""
    config = ModelConfig(
        vocab_size=300,
        embedding_dim=12,
        hidden_size=16,
        addressee_dim=4,
        max_source_len=8,
        max_target_len=6,
        **overrides,
    )
    tf.keras.utils.set_random_seed(3)
    model = Seq2Seq(config, config.vocab_size)
    for variable in model.weights:  # biases start at zero: give them values too
        variable.assign(variable + tf.random.normal(variable.shape, stddev=0.1))
    source = tf.constant([[5, 9, 14, 7, 0, 0]])
    weights = model.weights_for_graph()
    enc, keys, mask, states = model.encode(weights, source)
    attn = tf.zeros([1, config.hidden_size])
    fused = step_weights(model)
    memory, state = encode(model, fused, source, tf.constant(2))
    for token in [1, 40, 41, 299]:
        expected, states, attn = model.step(
            weights, tf.constant([token]), tf.constant([2]), states, attn, enc, keys, mask
        )
        logits, state = step(fused, memory, tf.constant([token]), state)
        np.testing.assert_allclose(tf.nn.log_softmax(logits), expected, atol=1e-4)
        np.testing.assert_allclose(state.attention, attn, atol=1e-5)
