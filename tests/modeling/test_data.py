import numpy as np

from ingestion.records import Pair
from modeling.config import ModelConfig
from modeling.data import (
    ANYONE,
    PAD_MULTIPLE,
    Example,
    addressee_id,
    addressee_table,
    collate,
    encode_context,
    encode_target,
    make_batches,
    make_examples,
    persona_names,
    split_pairs,
)
from modeling.tokenizer import BOS, EOS, PAD, Tokenizer
from tests.modeling.conftest import ME, chat_pairs


def tokenizer():
    pairs = chat_pairs()
    return Tokenizer.train([p.response for p in pairs] + [t for p in pairs for _, t in p.context],
                           150)


def test_persona_names_are_inferred_from_replies_in_context():
    assert persona_names(chat_pairs()) == [ME]


def test_context_marks_speakers_and_keeps_the_most_recent_tokens():
    tok = tokenizer()
    context = [("Ann", "first"), (ME, "yo ann 1 👍"), ("Ann", "hey ann here, number 2 ok? 😀")]
    config = ModelConfig(vocab_size=150, context_turns=2, max_source_len=200)
    ids = encode_context(tok, context, {ME}, config)
    assert ids == [tok.me, *tok.encode(context[1][1]), tok.sep, tok.them,
                   *tok.encode(context[2][1])]
    short = encode_context(tok, context, {ME}, ModelConfig(vocab_size=150, max_source_len=8))
    assert short == encode_context(tok, context, {ME}, ModelConfig(vocab_size=150))[-8:]


def test_addressee_table_falls_back_to_anyone():
    table = addressee_table(chat_pairs(), 8)
    assert table[0] == "<anyone>" and set(table[1:]) == {"Ann", "Bob"}
    assert addressee_id(table, "Bob") == table.index("Bob")
    assert addressee_id(table, "Stranger") == ANYONE == addressee_id(table, None)
    assert addressee_table(chat_pairs(), 2) == ["<anyone>", "Ann"]  # most frequent kept


def test_split_holds_out_whole_conversations():
    pairs = chat_pairs(conversations=20, per_conversation=5)
    train, held = split_pairs(pairs, 0.1, seed=0)
    assert len(train) + len(held) == len(pairs)
    assert {p.conversation for p in train}.isdisjoint({p.conversation for p in held})
    assert 5 <= len(held) <= 20
    assert split_pairs(pairs, 0.1, seed=0) == (train, held)


def test_split_falls_back_to_pairs_with_few_conversations():
    train, held = split_pairs(chat_pairs(conversations=1, per_conversation=20), 0.1, seed=0)
    assert len(held) == 2 and len(train) == 18


def test_batches_pad_to_few_shapes_and_shift_the_decoder():
    tok = tokenizer()
    config = ModelConfig(vocab_size=150)
    examples = make_examples(chat_pairs(), tok, [ME], addressee_table(chat_pairs(), 8), config)
    batches = make_batches(examples, 8, np.random.default_rng(0))
    assert sum(len(b.source) for b in batches) == len(examples)
    for b in batches:
        assert b.source.shape[1] % PAD_MULTIPLE == 0 and b.decoder_in.shape[1] % PAD_MULTIPLE == 0
        assert (b.decoder_in[:, 0] == BOS).all()
        shifted = b.decoder_in[:, 1:] != PAD
        np.testing.assert_array_equal(b.decoder_in[:, 1:][shifted],
                                      b.decoder_out[:, :-1][shifted])
        assert ((b.decoder_out == EOS).sum(axis=1) == 1).all()
    one = collate(examples[:1])
    assert one.words == len(chat_pairs()[0].response.split()) + 1


def test_pairs_survive_json():
    pair = Pair(context=(("a", "b"),), response="c", addressee=None, source="s",
                conversation="x")
    assert Pair.from_dict(pair.to_dict()) == pair


def test_a_cut_reply_counts_only_its_whole_scored_words_and_learns_no_end():
    tok = tokenizer()
    config = ModelConfig(vocab_size=150, max_target_len=12)
    long = " ".join(f"hello bob number {i} ok" for i in range(10))
    target, words, complete = encode_target(tok, long, config)
    assert not complete and len(target) <= config.max_target_len - 1
    kept = tok.decode(target)
    # Cut at a word boundary: the kept text is exactly the reply's first `words` words.
    assert kept.split() == long.split()[:words]
    batch = collate([Example((5,), target, ANYONE, words, complete)])
    assert EOS not in batch.decoder_out and batch.words == words
    short_target, short_words, short_complete = encode_target(tok, "hello bob", config)
    assert short_complete and short_words == 3  # two words and the end of the turn
    assert EOS in collate([Example((5,), short_target, ANYONE, short_words)]).decoder_out


def test_role_names_mark_the_persona_in_training_and_decoding_alike():
    tok = tokenizer()
    ids = encode_context(tok, [("them", "hey"), ("me", "yo")], frozenset(), ModelConfig())
    assert tok.them in ids and tok.me in ids
