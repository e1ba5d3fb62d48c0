import pytest

from modeling.artifact import load
from modeling.decode import _repeated_ngram_tokens, as_turns

CONTEXT = [("Ann", "hey ann here, number 1 ok? 😀")]


@pytest.fixture(scope="module")
def bot(tiny_artifact):
    return load(tiny_artifact)


@pytest.mark.parametrize("strategy,opts", [
    ("greedy", {}),
    ("beam", {"beam_width": 3, "length_penalty": 0.8}),
    ("sample", {"temperature": 0.7, "top_k": 20, "top_p": 0.9, "seed": 1}),
    ("sample", {"temperature": 1.5, "top_k": 0, "top_p": 1.0, "seed": 2}),
])
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
        pieces = list(bot.generate(CONTEXT, "Ann", "sample", temperature=3.0, top_p=1.0,
                                   max_length=12, no_repeat_ngram=0, seed=seed))
        if len(bot.tokenizer.encode("".join(pieces))) >= 4:
            assert len(pieces) > 1
            return
    raise AssertionError("no multi-token reply sampled")


def test_sampling_varies_with_the_seed(bot):
    replies = {bot.reply(CONTEXT, strategy="sample", temperature=2.0, top_p=1.0, seed=s)
               for s in range(6)}
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


def test_repeated_ngram_tokens():
    assert _repeated_ngram_tokens([1, 2, 3, 1, 2], 3) == [3]
    assert _repeated_ngram_tokens([1, 2, 3], 1) == [1, 2, 3] or set(
        _repeated_ngram_tokens([1, 2, 3], 1)) == {1, 2, 3}
    assert _repeated_ngram_tokens([1, 2], 3) == []
