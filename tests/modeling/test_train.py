import keras
import numpy as np
import pytest
import tensorflow as tf

from ingestion.records import Pair
from modeling.artifact import load
from modeling.errors import NoTrainingData
from modeling.train import Progress, fused_update, train
from tests.modeling.conftest import chat_pairs, tiny_config


def _pair(friend: str, prompt: str, response: str, conversation: str) -> Pair:
    return Pair(((friend, prompt),), response, friend, "t", conversation)


HANDFUL = [
    _pair("Ann", "how are you", "great thanks 😀", "a"),
    _pair("Ann", "where are you", "at home", "a"),
    _pair("Bob", "coffee later?", "yes please ☕", "b"),
    _pair("Bob", "did you see the game", "no spoilers!", "b"),
]


def test_tiny_model_overfits_a_handful_of_pairs(tmp_path):
    seen: list[Progress] = []
    config = tiny_config(
        epochs=80,
        batch_size=4,
        hidden_size=48,
        learning_rate=1e-2,
        dropout=0.0,
        val_fraction=0.0,
        sampled_softmax=0,
        vocab_size=120,
        addressee_dropout=0.0,
        general_share=0.0,
        retrieve=False,  # the training loop alone; retrieval has tests of its own
    )
    result = train(HANDFUL, tmp_path, config, progress=seen.append)
    losses = [h["train_loss"] for h in result.history if h["kind"] == "step"]
    assert losses[-1] < 0.2 * losses[0]
    bot = load(result.artifact_dir)
    for pair in HANDFUL:
        # Greedy: memorising shows as the most likely reply, whatever reranking would prefer.
        assert bot.reply(pair.context, pair.addressee, "greedy") == pair.response
    assert seen and seen[-1].step == result.metrics["steps"] == 80
    assert all(p.total_steps == 80 and p.tokens_per_s >= 0 for p in seen)


def final_weights(result):
    return load(result.artifact_dir).model.get_weights()


def test_resume_continues_at_the_exact_step(tmp_path):
    pairs = chat_pairs()
    config = tiny_config(epochs=2, checkpoint_every=3, sampled_softmax=40, dropout=0.2)
    straight = train(pairs, tmp_path / "a", config)
    calls = iter(range(1000))
    half = straight.metrics["steps"] // 2 + 1  # stops mid-epoch
    stopped = train(pairs, tmp_path / "b", config, should_stop=lambda: next(calls) >= half)
    assert stopped.cancelled and stopped.metrics["steps"] == half
    assert not stopped.artifact_dir.exists()
    resumed = train(pairs, tmp_path / "b", config, resume=True)
    assert not resumed.cancelled
    assert resumed.metrics["steps"] == straight.metrics["steps"]
    for a, b in zip(final_weights(straight), final_weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert [h["step"] for h in resumed.history] == [h["step"] for h in straight.history]


def test_same_seed_same_model_other_seed_other_model(tmp_path):
    pairs = chat_pairs(conversations=2)
    a = final_weights(train(pairs, tmp_path / "a", tiny_config(epochs=1, seed=1)))
    b = final_weights(train(pairs, tmp_path / "b", tiny_config(epochs=1, seed=1)))
    c = final_weights(train(pairs, tmp_path / "c", tiny_config(epochs=1, seed=2)))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_time_limit_stops_training_and_still_writes_a_model(tmp_path):
    # Neither the epochs nor early stopping may end the run first, however fast the machine.
    config = tiny_config(epochs=100_000, max_minutes=0.2, early_stopping_patience=10**9)
    result = train(chat_pairs(conversations=2), tmp_path, config)
    assert result.metrics["stopped"] == "time_limit"
    assert 0 < result.metrics["steps"] < result.metrics["total_steps"]
    assert load(result.artifact_dir).reply(["hey ann"])


def test_no_usable_pairs_is_a_clear_error(tmp_path):
    empty = [
        Pair(context=(("Ann", "hi"),), response="  ", addressee=None, source="t", conversation="a")
    ]
    with pytest.raises(NoTrainingData):
        train(empty, tmp_path, tiny_config())
    with pytest.raises(ValueError):
        train([], tmp_path, tiny_config())


def test_validation_perplexity_and_history(tmp_path):
    result = train(chat_pairs(), tmp_path, tiny_config(epochs=2))
    epochs = [h for h in result.history if h["kind"] == "epoch"]
    assert [h["epoch"] for h in epochs] == [1, 2]
    assert all(h["val_perplexity"] > 1 for h in epochs)
    assert result.metrics["val_perplexity"] == min(h["val_perplexity"] for h in epochs)
    assert result.addressees[1:] and set(result.addressees[1:]) <= {"Ann", "Bob"}


def test_fused_rmsprop_sums_repeated_rows_then_clips_and_updates_only_those_rows():
    variable = keras.Variable(np.ones((4, 3), np.float32))
    optimizer = keras.optimizers.RMSprop(0.1)
    optimizer.build([variable])
    rows = tf.IndexedSlices(
        tf.constant([[1.0, 2, 3], [4, 5, 6], [1, 1, 1]]),
        tf.constant([0, 2, 0]),
        tf.constant([4, 3]),
    )
    fused_update(optimizer, [variable], clipnorm=5.0)([rows])
    grad = np.array([[2.0, 3, 4], [0, 0, 0], [4, 5, 6], [0, 0, 0]])
    grad *= 5.0 / np.linalg.norm(grad)
    ms = 0.1 * grad**2
    expected = 1 - 0.1 * grad / np.sqrt(ms + 1e-7)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(optimizer.variables[2].numpy(), ms, rtol=1e-5)
    assert int(optimizer.iterations.numpy()) == 1
