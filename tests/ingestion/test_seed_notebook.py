"""The original notebook's files, with their real defects, all parse.

The real files live in the shared corpora beside the repo (the tests using them skip without
it); `danny-like.yml` in the fixtures reproduces danny.yml's defects in a few lines of our own,
so a fresh clone still checks them: tabs after the dashes (not valid YAML), emoji saved as
UTF-8 read as Windows-1252, quoted items over two lines, `[START]` lines, prompt-only lists."""

import pytest

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES
from tests.needs import SEED, shared

DANNY_LIKE = FIXTURES / "yaml" / "danny-like.yml"
# Named here rather than globbed, so that a missing folder skips each one instead of none.
YML = [
    "Artificial_intelligence.yml",
    "GK.yml",
    "IT.yml",
    "Sport_games.yml",
    "bot_info.yml",
    "computers.yml",
    "conversations.yml",
    "danny.yml",
    "data_intermediate.yml",
    "data_tolokers.yml",
    "data_volunteers.yml",
    "emotion.yml",
    "film.yml",
    "food.yml",
    "general_convo.yml",
    "gossip.yml",
    "greetings.yml",
    "health.yml",
    "jokes_fun.yml",
    "market_money.yml",
    "money.yml",
    "psychology.yml",
    "space_and_science.yml",
]
MOJIBAKE_MARKERS = ("ðŸ", "Ã", "â€")


def assert_clean_text(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert not any(marker in joined for marker in MOJIBAKE_MARKERS)
    assert not any(ord(c) < 32 and c not in "\n\t" or 0x7F <= ord(c) <= 0x9F for c in joined)


def test_the_named_files_are_all_the_seed_files():
    assert sorted(p.name for p in shared(SEED / "yml").glob("*.yml")) == YML


@pytest.mark.parametrize("name", YML)
def test_every_yaml_file_parses_into_pairs(name):
    path = shared(SEED / "yml" / name)
    summary = inspect(path)
    assert summary["format"] == "yaml" and summary["messages"] > 0
    assert build_pairs([path])


@pytest.mark.parametrize("name", ["danny.yml", "data_intermediate.yml", "data_tolokers.yml"])
def test_invalid_yaml_uses_the_line_fallback(name):
    assert any("line by line" in w for w in inspect(shared(SEED / "yml" / name))["warnings"])


def test_danny_like_fixture_has_dannys_defects_and_comes_out_clean():
    raw = DANNY_LIKE.read_text(encoding="utf-8")
    assert "- - \t" in raw and "ðŸ˜" in raw  # the defects are really in the file
    summary = inspect(DANNY_LIKE)
    assert any("line by line" in w for w in summary["warnings"])
    assert summary["conversations"] == 2  # [START] lines split the chats
    texts = [m.text for m in iter_messages(DANNY_LIKE)]
    assert "😄 here it is morning!" in texts and "I read and read 🤔" in texts
    assert "I am a small bot made of lines\nI hope we can talk a lot!" in texts
    assert_clean_text(texts)
    pairs = build_pairs([DANNY_LIKE])
    assert pairs[0].response == "😄 here it is morning!"
    assert pairs[0].context[-1] == ("Human", "Fine, thanks! It is evening where I live")
    # Two prompt-only lists in a row are one turn of the human.
    asked = "Why do you ask so many questions? And what do you do all day?"
    assert pairs[2].context[-1] == ("Human", asked)
    assert all(p.context[-1][0] == "Human" for p in pairs)


def test_danny_comes_out_with_real_emoji():
    path = shared(SEED / "yml" / "danny.yml")
    texts = [m.text for m in iter_messages(path)]
    joined = "\n".join(texts)
    assert "😄 here is afternoon!" in texts
    assert "😁" in joined and "🤔" in joined
    assert_clean_text(texts)
    assert inspect(path)["conversations"] >= 130  # [START] lines split the chats


def test_danny_pairs_answer_as_the_companion():
    pairs = build_pairs([shared(SEED / "yml" / "danny.yml")])
    assert len(pairs) > 2000
    first = pairs[0]
    assert first.response == "😄 here is afternoon!"
    assert first.context[-1] == ("Human", "Oh, thanks! I'm fine. This is an evening in my timezone")
    assert all(p.context[-1][0] == "Human" for p in pairs)


@pytest.mark.parametrize("name", ["data_volunteers.json", "data_intermediate.json"])
def test_convai2_files(name):
    path = shared(SEED / "convai2" / name)
    summary = inspect(path)
    assert summary["format"] == "convai2"
    assert set(summary["participants"]) == {"Human", "Bot"}
    assert summary["skipped"] == 0
    pairs = build_pairs([path])
    assert pairs and all(p.context[-1][0] == "Human" for p in pairs)
