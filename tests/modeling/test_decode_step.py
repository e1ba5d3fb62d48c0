import numpy as np
import pytest
import tensorflow as tf

from modeling.decode_step import encode, step, step_weights
from modeling.tokenizer import PAD
from tests.modeling.test_model import VARIANTS, batch, model


@pytest.mark.parametrize(
    "variant",
    [
        *VARIANTS,
        dict(attention="dot", input_feeding=True, tie_embeddings=True),
        dict(attention="bahdanau", input_feeding=True, bidirectional=True, num_layers=2),
    ],
)
def test_generation_step_computes_what_training_optimises(variant):
    """Token by token on the rearranged weights, generation gives each reference token the
    log-probability the teacher-forced training graph gives it."""
    m = model(**variant)
    for variable in m.weights:  # biases start at zero: give them values too
        variable.assign(variable + tf.random.normal(variable.shape, stddev=0.1))
    src, dec_in, out, who = batch(np.random.default_rng(2))
    forced = -m.token_nll(src, dec_in, out, who).numpy()
    weights = step_weights(m)
    for row in range(len(src)):
        memory, state = encode(m, weights, src[row : row + 1], tf.constant(who[row]))
        for t in range(dec_in.shape[1]):
            logits, state = step(weights, memory, dec_in[row, t : t + 1], state)
            if out[row, t] != PAD:
                log_prob = tf.nn.log_softmax(logits)[0, out[row, t]]
                np.testing.assert_allclose(log_prob, forced[row, t], rtol=1e-4, atol=1e-5)
