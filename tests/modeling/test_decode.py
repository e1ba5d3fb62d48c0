import numpy as np
import pytest
import tensorflow as tf

from modeling import decode
from modeling.artifact import load
from modeling.config import ModelConfig
from modeling.decode import (
    Decoder,
    Produced,
    as_turns,
    ban_repeated_ngrams,
    extend,
    sample_tokens,
)
from modeling.model import Seq2Seq
from modeling.tokenizer import EOS, IncrementalDecoder, Tokenizer

CONTEXT = [("Ann", "hey ann here, number 1 ok? 😀")]


@pytest.fixture(scope="module")
def bot(tiny_artifact):
    return load(tiny_artifact)


@pytest.mark.parametrize(
    "strategy,opts",
    [
        ("greedy", {}),
        ("beam", {"beam_width": 3, "length_penalty": 0.8}),
        ("sample", {"temperature": 0.7, "top_k": 20, "top_p": 0.9, "seed": 1}),
        ("sample", {"temperature": 1.5, "top_k": 0, "top_p": 1.0, "seed": 2}),
        ("rerank", {"candidates": 4, "seed": 3}),
    ],
)
def test_each_strategy_streams_pieces_of_one_reply(bot, strategy, opts):
    pieces = list(bot.generate(CONTEXT, "Ann", strategy, **opts))
    assert pieces and all(isinstance(p, str) and p for p in pieces)
    text = "".join(pieces)
    assert text.strip()
    assert not any(tok in text for tok in ("<s>", "</s>", "<pad>", "<me>", "<them>", "<sep>"))
    assert text == bot.reply(CONTEXT, "Ann", strategy, **opts)  # deterministic given options


def test_replies_stream_in_several_pieces(bot):
    """A multi-token reply arrives as several increments, not as one string at the end."""
    for seed in range(20):
        pieces = list(
            bot.generate(
                CONTEXT,
                "Ann",
                "sample",
                temperature=3.0,
                top_p=1.0,
                max_length=12,
                no_repeat_ngram=0,
                seed=seed,
            )
        )
        if len(bot.tokenizer.encode("".join(pieces))) >= 4:
            assert len(pieces) > 1
            return
    raise AssertionError("no multi-token reply sampled")


def test_sampling_varies_with_the_seed(bot):
    replies = {
        bot.reply(CONTEXT, strategy="sample", temperature=2.0, top_p=1.0, seed=s) for s in range(6)
    }
    assert len(replies) > 1


def test_max_length_and_no_repeat_ngram(bot):
    text = bot.reply(["a"], strategy="greedy", max_length=30, no_repeat_ngram=2)
    ids = bot.tokenizer.encode(text)
    bigrams = list(zip(ids, ids[1:], strict=False))
    assert len(bigrams) == len(set(bigrams)) or len(ids) <= 1
    assert len(bot.tokenizer.encode(bot.reply(["a"], max_length=3))) <= 4


def test_unknown_addressee_and_plain_strings_are_accepted(bot):
    assert bot.reply(["hello", "hey ann here"], addressee="Somebody New")
    assert bot.addressees and set(bot.addressees) <= {"Ann", "Bob"}


def test_bad_options_are_rejected(bot):
    with pytest.raises(ValueError):
        list(bot.generate(CONTEXT, strategy="nucleus"))
    with pytest.raises(ValueError):
        list(bot.generate(CONTEXT, beam_size=3))


def test_plain_strings_alternate_back_from_the_other_person():
    assert as_turns(["a", "b", "c"]) == [("them", "a"), ("me", "b"), ("them", "c")]
    assert as_turns("hi") == [("them", "hi")]
    assert as_turns([("Ann", "x"), "y"]) == [("Ann", "x"), ("them", "y")]


def banned(history, n, vocab=8):
    produced = Produced.empty(1, 10)
    for length, token in enumerate(history):
        produced = extend(produced, tf.constant(length), tf.constant([token]))
    out = ban_repeated_ngrams(
        tf.zeros([1, vocab]), produced, tf.constant(len(history)), tf.constant(n)
    ).numpy()[0]
    return sorted(np.flatnonzero(np.isinf(out)).tolist())


def test_repeated_ngrams_are_banned_inside_the_step():
    assert banned([1, 2, 3, 1, 2], 3) == [3]
    assert banned([1, 2, 3, 1, 2], 2) == [3]
    assert banned([1, 2, 3], 1) == [1, 2, 3]
    assert banned([1, 2], 3) == []
    assert banned([1, 2, 1, 2], 0) == []
    assert banned([], 3) == []


def test_sampling_keeps_to_top_k_and_top_p():
    log_probs = tf.math.log(tf.constant([[0.5, 0.3, 0.15, 0.05]]))
    seeds = [tf.constant([s, 0]) for s in range(200)]

    def drawn(top_k, top_p):
        return {int(sample_tokens(log_probs, 1.0, top_k, top_p, seed)[0]) for seed in seeds}

    assert drawn(0, 1.0) == {0, 1, 2, 3}
    assert drawn(2, 1.0) == {0, 1}
    assert drawn(0, 0.7) == {0, 1}  # 0.5 + 0.3 reaches 0.7
    assert drawn(0, 0.5) == {0}
    assert drawn(3, 0.9) == {0, 1, 2}


BYTE_TEXTS = ["lol ok see u tmrw 😂😂", "omg yesss 🎉 can't wait", "ça va? très bien"] * 50


@pytest.fixture(scope="module")
def byte_tokenizer():
    return Tokenizer.train(BYTE_TEXTS, 600)


def test_incremental_text_never_shows_broken_bytes(byte_tokenizer):
    tok = byte_tokenizer
    byte = {b: tok._sp.piece_to_id(f"<0x{b:02X}>") for b in range(256)}
    ids = (
        tok.encode("the")
        + [byte[0xF0]]
        + tok.encode("1 coffee")
        + [byte[b] for b in "☕".encode()]
        + [byte[0xE2], byte[0x98]]
    )
    stream = IncrementalDecoder(tok)
    pieces = [stream.push(i) for i in ids] + [stream.finish()]
    assert "".join(pieces) == stream.text == "the 1 coffee☕"
    assert tok.decode(ids) == "the\ufffd 1 coffee☕\ufffd\ufffd"  # what a full decode shows


def test_generate_holds_back_and_drops_partial_characters(byte_tokenizer):
    """A model that emits a cut-off 3-byte lead, a word, a whole emoji in four bytes and a
    dangling lead byte streams only complete characters."""
    tok = byte_tokenizer
    config = ModelConfig(
        vocab_size=600,
        embedding_dim=8,
        hidden_size=16,
        num_layers=1,
        max_source_len=8,
        max_target_len=12,
    )
    model = Seq2Seq(config, tok.vocab_size)
    byte = {b: tok._sp.piece_to_id(f"<0x{b:02X}>") for b in range(256)}
    word = tok.encode("lol")[-1]
    order = [byte[0xE2], word, *(byte[b] for b in "😀".encode()), byte[0xC3], EOS]
    bias = np.full(tok.vocab_size, -50.0, np.float32)
    bias[order] = 100.0 - np.arange(len(order))  # no_repeat_ngram=1 walks down this ranking
    model.output_b.assign(bias)
    decoder = Decoder(model, tok, config)
    pieces = list(decoder.generate(["hi"], [], ["<anyone>"], None, "greedy", no_repeat_ngram=1))
    assert "".join(pieces) == tok.surfaces[word].strip() + "😀"
    assert all(p and "\ufffd" not in p for p in pieces)


@pytest.mark.parametrize("strategy", ["greedy", "sample"])
def test_blocks_of_steps_stream_the_same_reply_as_single_steps(bot, strategy, monkeypatch):
    opts = {"max_length": 20, "temperature": 1.5, "top_p": 1.0, "seed": 4}
    reply = bot.reply(CONTEXT, "Ann", strategy, **opts)
    monkeypatch.setattr(decode, "BLOCK", 1)
    assert bot.reply(CONTEXT, "Ann", strategy, **opts) == reply


def test_rerank_picks_the_candidate_with_the_best_mutual_information_score(bot):
    found = bot._decoder
    source = found.source_ids(CONTEXT, bot.persona_names)
    options = {**decode.DEFAULTS, "candidates": 6, "seed": 5}
    length = bot.config.max_target_len
    greedy = list(found.sequential(source, 0, length, options, sample=False))
    # One candidate: the greedy reply itself.
    assert found.rerank(source, 0, length, {**options, "candidates": 1}) == greedy
    chosen = found.rerank(source, 0, length, options)
    candidates = [greedy] + [
        list(found.sequential(source, 0, length, {**options, "seed": 5 + i}, sample=True))
        for i in range(1, 6)
    ]
    assert chosen in candidates
    empty = found.source_ids(decode.EMPTY_CONTEXT, [])
    unique = [c for i, c in enumerate(candidates) if c not in candidates[:i]]
    cond = found.scorer.log_likelihoods(source, 0, unique, length)
    prior = found.scorer.log_likelihoods(empty, 0, unique, length)
    penalty = ((5.0 + np.array([len(c) for c in unique])) / 6.0) ** decode.RERANK_LENGTH_ALPHA
    best = unique[int(np.argmax((cond - options["anti_lm"] * prior) / penalty))]
    assert chosen == best
