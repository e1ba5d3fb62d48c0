"""The original notebook's real files, with their real defects, all parse."""

import pytest

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import SEED

YML = sorted((SEED / "yml").glob("*.yml"))
MOJIBAKE_MARKERS = ("ðŸ", "Ã", "â€")


@pytest.mark.parametrize("path", YML, ids=[p.name for p in YML])
def test_every_yaml_file_parses_into_pairs(path):
    summary = inspect(path)
    assert summary["format"] == "yaml" and summary["messages"] > 0
    assert build_pairs([path])


@pytest.mark.parametrize("name", ["danny.yml", "data_intermediate.yml", "data_tolokers.yml"])
def test_invalid_yaml_uses_the_line_fallback(name):
    assert any("line by line" in w for w in inspect(SEED / "yml" / name)["warnings"])


def test_danny_comes_out_with_real_emoji():
    path = SEED / "yml" / "danny.yml"
    texts = [m.text for m in iter_messages(path)]
    joined = "\n".join(texts)
    assert "😄 here is afternoon!" in texts
    assert "😁" in joined and "🤔" in joined
    assert not any(marker in joined for marker in MOJIBAKE_MARKERS)
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in joined)
    summary = inspect(path)
    assert summary["conversations"] >= 130  # [START] lines split the chats


def test_danny_pairs_answer_as_the_companion():
    pairs = build_pairs([SEED / "yml" / "danny.yml"])
    assert len(pairs) > 2000
    first = pairs[0]
    assert first.response == "😄 here is afternoon!"
    assert first.context[-1] == ("Human", "Oh, thanks! I'm fine. This is an evening in my timezone")
    assert all(p.context[-1][0] == "Human" for p in pairs)


@pytest.mark.parametrize("name", ["data_volunteers.json", "data_intermediate.json"])
def test_convai2_files(name):
    summary = inspect(SEED / "convai2" / name)
    assert summary["format"] == "convai2"
    assert set(summary["participants"]) == {"Human", "Bot"}
    assert summary["skipped"] == 0
    pairs = build_pairs([SEED / "convai2" / name])
    assert pairs and all(p.context[-1][0] == "Human" for p in pairs)
