from datetime import datetime

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

CSV = FIXTURES / "csv"


def test_log_with_sniffed_semicolon_delimiter():
    messages = list(iter_messages(CSV / "log_semicolon.csv"))
    assert [m.author for m in messages] == ["Maya", "Anand", "Anand", "Maya", "Anand"]
    assert messages[0].timestamp == datetime(2021, 1, 1, 10, 0)
    assert messages[3].text == "Doing fine; busy week"
    assert messages[-1].timestamp is None


def test_log_rows_without_author_are_skipped_with_line_numbers():
    summary = inspect(CSV / "log_semicolon.csv")
    assert summary["skipped"] == 1
    assert summary["warnings"][0].startswith("log_semicolon.csv:5:")
    assert any("timestamps could not be read" in w for w in summary["warnings"])


def test_pairs_with_tab_delimiter_answer_as_the_responder():
    summary = inspect(CSV / "pairs_tab.csv")
    assert summary["messages"] == 6  # a question/answer row is two utterances
    pairs = build_pairs([CSV / "pairs_tab.csv"])
    assert [(p.context, p.response) for p in pairs][1] == (
        (("Human", "What's your name?"),),
        "Anand",
    )
    assert all(p.addressee is None for p in pairs)


def test_header_names_match_case_insensitively(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("FROM,CONTENT,DATE\nMaya,hi,1609495200\nAnand,hello,1609495260000\n")
    messages = list(iter_messages(path))
    assert [m.text for m in messages] == ["hi", "hello"]
    assert messages[1].timestamp == datetime.fromtimestamp(1609495260)
