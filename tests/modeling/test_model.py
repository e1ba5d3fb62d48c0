import numpy as np
import pytest
import tensorflow as tf

from modeling.config import ModelConfig
from modeling.model import Seq2Seq, lstm_sequence
from modeling.tokenizer import BOS, PAD

VOCAB = 50


def model(**overrides):
    values = dict(vocab_size=VOCAB, embedding_dim=8, hidden_size=12, addressee_dim=4,
                  max_addressees=3, dropout=0.0)
    tf.keras.utils.set_random_seed(0)
    return Seq2Seq(ModelConfig(**{**values, **overrides}), VOCAB)


def batch(rng, size=3, source=5, target=4):
    src = rng.integers(10, VOCAB, (size, source)).astype(np.int32)
    src[0, 3:] = PAD  # ragged lengths
    out = rng.integers(10, VOCAB, (size, target)).astype(np.int32)
    out[1, 2:] = PAD
    dec_in = np.concatenate([np.full((size, 1), BOS, np.int32), out[:, :-1]], axis=1)
    return src, dec_in, out, np.array([0, 1, 2], np.int32)[:size]


def pad(a, width):
    return np.pad(a, ((0, 0), (0, width)), constant_values=PAD)


VARIANTS = [
    dict(attention="dot"), dict(attention="general"), dict(attention="bahdanau"),
    dict(attention="general", input_feeding=True), dict(bidirectional=True, num_layers=2),
    dict(tie_embeddings=True, input_feeding=True, attention="bahdanau", num_layers=2),
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_shapes_and_padding_do_not_change_the_loss(variant):
    m = model(**variant)
    src, dec_in, out, who = batch(np.random.default_rng(1))
    nll = m.token_nll(src, dec_in, out, who).numpy()
    assert nll.shape == out.shape
    assert (nll[out == PAD] == 0).all() and (nll[out != PAD] > 0).all()
    padded = m.token_nll(pad(src, 3), pad(dec_in, 2), pad(out, 2), who).numpy()
    np.testing.assert_allclose(padded[:, : out.shape[1]], nll, rtol=1e-5, atol=1e-6)
    assert (padded[:, out.shape[1]:] == 0).all()


def test_addressee_changes_the_prediction():
    m = model()
    src, dec_in, out, _ = batch(np.random.default_rng(3))
    a = m.token_nll(src, dec_in, out, np.zeros(3, np.int32)).numpy()
    b = m.token_nll(src, dec_in, out, np.full(3, 2, np.int32)).numpy()
    assert not np.allclose(a, b)


def test_sampled_softmax_is_deterministic_per_seed_and_near_the_full_loss():
    m = model(vocab_size=VOCAB)
    src, dec_in, out, who = batch(np.random.default_rng(4))
    log_q = tf.fill([VOCAB], -np.log(VOCAB).astype(np.float32))
    seed = tf.constant([0, 1])
    a = m.token_nll(src, dec_in, out, who, seed, sampler=(log_q, 20)).numpy()
    b = m.token_nll(src, dec_in, out, who, seed, sampler=(log_q, 20)).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a[out == PAD] == 0).all() and np.isfinite(a).all()
    full = m.token_nll(src, dec_in, out, who).numpy()
    assert abs(a.sum() - full.sum()) < 0.5 * full.sum()


def test_dropout_only_with_a_seed():
    m = model(dropout=0.5)
    src, dec_in, out, who = batch(np.random.default_rng(5))
    plain = m.token_nll(src, dec_in, out, who).numpy()
    np.testing.assert_array_equal(plain, m.token_nll(src, dec_in, out, who).numpy())
    seeded = m.token_nll(src, dec_in, out, who, tf.constant([0, 1])).numpy()
    assert not np.allclose(plain, seeded)


def test_tied_embeddings_share_the_matrix():
    m = model(tie_embeddings=True)
    assert not hasattr(m, "output_w")
    assert m.weights_for_graph().output.shape == (VOCAB, 8)


def reference_lstm(projected, recurrent, h, c):
    """A plain per-step LSTM (Keras gate order i, f, g, o), differentiated by autodiff."""
    outputs, cells = [], []
    for t in range(projected.shape[0]):
        i, f, g, o = tf.split(projected[t] + tf.matmul(h, recurrent), 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        outputs.append(h)
        cells.append(c)
    return tf.stack(outputs), tf.stack(cells)


def test_lstm_sequence_and_its_handwritten_gradient_match_autodiff_of_a_plain_lstm():
    rng = np.random.default_rng(6)
    steps, rows, units = 5, 3, 4
    projected = tf.constant(rng.normal(size=(steps, rows, 4 * units)), tf.float32)
    recurrent = tf.constant(rng.normal(size=(units, 4 * units)) * 0.5, tf.float32)
    h0 = tf.constant(rng.normal(size=(rows, units)), tf.float32)
    c0 = tf.constant(rng.normal(size=(rows, units)), tf.float32)
    # Weights on every output and on the cells, so each gradient path is exercised.
    w_h = tf.constant(rng.normal(size=(steps, rows, units)), tf.float32)
    w_c = tf.constant(rng.normal(size=(steps, rows, units)), tf.float32)
    results = []
    for run in (lambda *a: lstm_sequence(a[0], a[1], (a[2], a[3])), reference_lstm):
        inputs = [projected, recurrent, h0, c0]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            hs, cs = run(*inputs)
            loss = tf.reduce_sum(hs * w_h) + tf.reduce_sum(cs * w_c)
        results.append([hs, cs, *tape.gradient(loss, inputs)])
    for ours, reference in zip(*results, strict=True):
        np.testing.assert_allclose(ours.numpy(), reference.numpy(), rtol=1e-4, atol=1e-5)
