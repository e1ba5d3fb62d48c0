from modeling.tokenizer import (
    BOS,
    EOS,
    MASKS,
    PAD,
    UNK,
    IncrementalDecoder,
    Tokenizer,
)

TEXTS = [
    "lol ok see u tmrw 😂😂",
    "Did you get my msg?? <url>",
    "omg yesss 🎉 can't wait",
    "call me at <phone> or mail <email>",
    "ça va? très bien merci",
] * 20


def test_special_ids_are_fixed():
    tok = Tokenizer.train(TEXTS, 120)
    assert tok.piece(PAD) == "<pad>" and tok.piece(BOS) == "<s>"
    assert tok.piece(EOS) == "</s>" and tok.piece(UNK) == "<unk>"
    assert len({tok.sep, tok.me, tok.them}) == 3
    for mask in MASKS:
        ids = tok.encode(f"see {mask} now")
        assert sum(tok.piece(i) == mask for i in ids) == 1  # one piece, never split up
        assert tok.decode(ids) == f"see {mask} now"


def test_round_trip_keeps_emoji_slang_and_accents():
    tok = Tokenizer.train(TEXTS, 120)
    for text in set(TEXTS):
        ids = tok.encode(text)
        assert UNK not in ids
        assert tok.decode(ids) == text


def test_byte_fallback_round_trips_unseen_emoji():
    tok = Tokenizer.train(TEXTS * 5, 600)
    text = "new one 🦖 and 🫠"
    ids = tok.encode(text)
    assert UNK not in ids
    assert tok.decode(ids) == text


def test_incremental_decode_concatenates_to_the_full_text():
    tok = Tokenizer.train(TEXTS * 5, 600)
    for text in ["hey 🦖 you ok?", "ça va 😂 lol", "🫠"]:
        ids = tok.encode(text)
        stream = IncrementalDecoder(tok)
        pieces = [stream.push(i) for i in ids] + [stream.finish()]
        assert "".join(pieces) == tok.decode(ids) == text
        assert all("\ufffd" not in p for p in pieces)


def test_save_and_load(tmp_path):
    tok = Tokenizer.train(TEXTS, 120)
    tok.save(tmp_path / "t.model")
    again = Tokenizer.load(tmp_path / "t.model")
    assert again.encode(TEXTS[0]) == tok.encode(TEXTS[0])
    assert again.vocab_size == tok.vocab_size
