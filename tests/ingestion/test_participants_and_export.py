import io
import json

import yaml

from ingestion import Pair, inspect, iter_corpus, suggest_identity, write_corpus
from tests.ingestion.conftest import FIXTURES


def test_suggested_identity_is_present_in_most_conversations():
    summaries = [
        inspect(FIXTURES / "whatsapp" / "WhatsApp Chat with Maya.txt"),
        inspect(FIXTURES / "whatsapp" / "WhatsApp Chat - Friends.zip"),
        inspect(FIXTURES / "telegram_json" / "full_export.json"),
    ]
    # Maya talks more, but Anand is in every conversation (including Saved Messages).
    assert suggest_identity(summaries) == "Anand"


def test_pair_formats_suggest_nobody():
    summary = inspect(FIXTURES / "csv" / "pairs_tab.csv")
    assert summary["suggested_identity"] is None
    assert suggest_identity([summary]) is None
    assert suggest_identity([]) is None


PAIRS = [
    Pair((("Maya", "Hi 😄"), ("Maya", "there?")), "yes: here", "Maya", "chat.txt", "Maya"),
    Pair((("Human", "q"),), "a\nb", None, "x.yml", "1"),
]


def test_yaml_export_is_a_chatterbot_corpus():
    out = io.StringIO()
    write_corpus(PAIRS, "yml", out)
    data = yaml.safe_load(out.getvalue())
    assert data["conversations"] == [["there?", "yes: here"], ["q", "a\nb"]]
    assert data["categories"] == ["persona"]
    assert "😄" not in out.getvalue() or "\\U" not in out.getvalue()


def test_corpus_streams_in_chunks_that_read_the_pairs_as_they_go():
    many = (Pair((("Them", f"q{i}"),), f"a{i}", None, "x.yml", "1") for i in range(1200))
    chunks = iter_corpus(many, "yml")
    assert next(chunks) == "categories:\n- persona\n"
    assert next(chunks).startswith("conversations:\n- - q0\n")
    assert next(many).response == "a500"  # one chunk of pairs out: only those were read


def test_yaml_export_of_many_pairs_is_one_list():
    many = [Pair((("Them", f"q{i}"),), f"a{i}", None, "x.yml", "1") for i in range(1200)]
    out = io.StringIO()
    write_corpus(many, "yml", out)
    assert yaml.safe_load(out.getvalue())["conversations"] == [
        [f"q{i}", f"a{i}"] for i in range(1200)
    ]
    empty = io.StringIO()
    write_corpus([], "yml", empty)
    assert yaml.safe_load(empty.getvalue()) == {"categories": ["persona"], "conversations": []}


def test_jsonl_export_keeps_everything():
    out = io.StringIO()
    write_corpus(PAIRS, "jsonl", out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0]["context"] == [["Maya", "Hi 😄"], ["Maya", "there?"]]
    assert rows[0]["addressee"] == "Maya" and rows[1]["addressee"] is None
    assert "😄" in out.getvalue()


def test_one_suggestion_per_group_of_files_that_share_an_author():
    def summary(*conversations):
        return {
            "conversation_list": [
                {"id": str(i), "participants": people} for i, people in enumerate(conversations)
            ],
            "participants": {name: 1 for people in conversations for name in people},
        }

    from ingestion import suggest_identities

    summaries = [
        summary(["Sam", "Alex"]),
        summary(["Misty", "Brock"]),
        summary(["Sam", "Jo"]),  # shares Sam with the first file: the same group
    ]
    # Ties go to the later name, as suggest_identity's do.
    assert suggest_identities(summaries) == [([0, 2], "Sam"), ([1], "Misty")]
