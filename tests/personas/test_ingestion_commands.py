"""The command-line contract of inspect_archive and export_corpus."""

import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingestion"
WHATSAPP = FIXTURES / "whatsapp" / "WhatsApp Chat with Maya.txt"
# danny.yml's defects in a few lines (see tests/ingestion/test_seed_notebook.py).
DANNY_LIKE = FIXTURES / "yaml" / "danny-like.yml"
KEYS = {
    "path",
    "format",
    "conversations",
    "messages",
    "participants",
    "first",
    "last",
    "skipped",
    "warnings",
}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_inspect_json_prints_one_object_per_path():
    csv_path = FIXTURES / "csv" / "pairs_tab.csv"
    result = json.loads(run("inspect_archive", str(WHATSAPP), str(csv_path), "--json"))
    assert [r["path"] for r in result] == [str(WHATSAPP), str(csv_path)]
    assert KEYS <= set(result[0])
    assert result[0]["format"] == "whatsapp"
    assert result[0]["messages"] == 5 and result[0]["participants"] == {"Maya": 3, "Anand": 2}
    assert result[0]["first"] == "2020-12-31T23:59:00"
    assert result[1]["messages"] == 6 and result[1]["first"] is None


def test_inspect_messages_prints_raw_json_lines():
    lines = run("inspect_archive", str(WHATSAPP), "--messages").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 5
    assert set(records[0]) == {"timestamp", "author", "text", "conversation"}
    assert records[2] == {
        "timestamp": "2021-01-01T00:00:00",
        "author": "Anand",
        "text": "Happy new year 🎉\nsecond line of the same message",
        "conversation": "Maya",
    }
    assert "https://example.com/party?x=1" in records[1]["text"]  # before cleaning


def test_inspect_messages_joins_telegram_entities():
    lines = run("inspect_archive", str(FIXTURES / "telegram_json" / "result.json"), "--messages")
    texts = [json.loads(line)["text"] for line in lines.splitlines()]
    assert "Check https://example.org/news and reply" in texts


def test_inspect_readable_summary():
    text = run("inspect_archive", str(WHATSAPP))
    assert "whatsapp" in text and "5 messages" in text and "Maya" in text


def test_inspect_unsupported_file_is_a_command_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(CommandError, match="formats tried"):
        run("inspect_archive", str(path), "--json")


def test_export_corpus_yaml_for_an_identity(tmp_path):
    out = tmp_path / "corpus.yml"
    run("export_corpus", str(WHATSAPP), "--me", "Anand", "--format", "yml", "-o", str(out))
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["conversations"] == [
        [
            "Happy new year almost! Look at <url>",
            "Happy new year 🎉 second line of the same message",
        ],
        ["Call me at <phone> or <email>", "Sure! Talk soon"],
    ]


def test_export_corpus_jsonl_to_stdout_with_aliases():
    out = run("export_corpus", str(WHATSAPP), "--me", "anand", "--me", "You", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["response"] for r in rows][1] == "Sure! Talk soon"
    assert rows[0]["addressee"] == "Maya" and rows[0]["conversation"] == "Maya"


def test_export_corpus_pair_format_needs_no_identity():
    out = run("export_corpus", str(DANNY_LIKE), "--format", "yml")
    data = yaml.safe_load(out)
    assert ["Fine, thanks! It is evening where I live", "😄 here it is morning!"] in (
        data["conversations"]
    )


def test_export_corpus_without_pairs_is_a_command_error():
    with pytest.raises(CommandError, match="No training pairs"):
        run("export_corpus", str(WHATSAPP), "--me", "Nobody")


def test_export_corpus_bad_file_is_a_command_error(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04broken")
    with pytest.raises(CommandError, match="zip"):
        run("export_corpus", str(path), "--me", "Anand")
