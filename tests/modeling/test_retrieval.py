from ingestion.records import Pair
from modeling.artifact import load
from modeling.retrieval import ReplyIndex
from modeling.train import train
from tests.modeling.conftest import chat_pairs, tiny_config


def pair(message: str, reply: str) -> Pair:
    return Pair((("Ann", message),), reply, "Ann", "chat.txt", "c")


PAIRS = [pair("are you coming to the gym tonight?", "yes, 7ish"),
         pair("what is for dinner", "tacos probably"),
         pair("did you see the game", "what a finish!"),
         pair("dinner at mine on friday?", "yes please")]


def test_a_context_seen_in_training_finds_the_persons_own_reply():
    index = ReplyIndex(PAIRS)
    assert index.replies([p.context for p in PAIRS]) == [p.response for p in PAIRS]
    assert index.replies([(("Ann", "so what's for dinner?"),)]) == ["tacos probably"]
    assert index.replies([(("Ann", "🙂"),)]) == [None]  # nothing in common: no reply


def test_in_training_a_pair_never_finds_itself():
    found = ReplyIndex(PAIRS).best([p.context for p in PAIRS], exclude_self=True)
    assert all(hit is None or hit[0] != i for i, hit in enumerate(found))
    # "dinner" links the two dinner questions to each other.
    assert found[1][0] == 3 and found[3][0] == 1


def test_a_model_trained_with_retrieval_reads_the_retrieved_reply(tmp_path):
    result = train(chat_pairs(), tmp_path, tiny_config(epochs=1, retrieve=True))
    bot = load(result.artifact_dir)
    assert bot.index is not None
    context = chat_pairs()[0].context
    retrieved = bot.retrieved([context])[0]
    assert retrieved in {p.response for p in chat_pairs()}
    source = bot._decoder.source_ids(context, bot.persona_names, retrieved)
    assert source[0] == bot.tokenizer.me and bot.tokenizer.encode(retrieved)[0] in source
    assert bot.reply(context, "Ann").strip()


def test_quote_mode_gives_the_real_reply_only_for_a_close_match(tmp_path):
    pairs = [pair(f"what about the {w} then", f"the {w} is lovely, call me at <phone>")
             for w in ("gym", "beach", "market", "party", "library", "station")] * 3
    result = train(pairs, tmp_path, tiny_config(epochs=1, retrieve=True))
    bot = load(result.artifact_dir)
    seen = [("Ann", "what about the beach then")]
    assert bot.quote(seen).response == "the beach is lovely, call me at <phone>"
    # A quote is the cleaned text: the masked number stays masked.
    assert bot.reply(seen, "Ann", mode="quote") == "the beach is lovely, call me at <phone>"
    assert bot.quote([("Ann", "are you hungry")]) is None
    assert bot.reply(seen, "Ann", mode="generate")  # the model alone still answers
