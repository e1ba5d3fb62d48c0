"""WhatsApp's own lines in twelve languages never become people or training text."""

import pytest

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

LANGUAGES = FIXTURES / "whatsapp" / "languages"
EXPORTS = sorted(LANGUAGES.glob("*.txt"))
PEOPLE_WROTE = {"Saturday at 10?", "I'm in", "Count me in too"}


def test_every_language_has_an_android_and_an_ios_export():
    languages = {path.stem.split("_")[1] for path in EXPORTS}
    assert languages == set("en es pt de fr it nl ru tr id hi ar".split())
    assert len(EXPORTS) == 24


@pytest.mark.parametrize("path", EXPORTS, ids=[path.stem for path in EXPORTS])
def test_system_lines_are_neither_participants_nor_training_text(path):
    summary = inspect(path)
    assert summary["participants"] == {"Maya": 1, "Ravi": 1, "Anand": 1}
    (conversation,) = summary["conversation_list"]
    assert conversation["is_group"]
    texts = {m.text for m in iter_messages(path) if m.kind == "text"}
    assert texts == PEOPLE_WROTE
    pairs = build_pairs([path], me=["Anand"])
    said = {text for pair in pairs for _, text in pair.context} | {p.response for p in pairs}
    assert said <= PEOPLE_WROTE and pairs


@pytest.mark.parametrize("path", sorted(LANGUAGES.glob("ios_*.txt")), ids=lambda p: p.stem)
def test_an_encryption_notice_in_the_groups_name_is_not_a_person(path):
    messages = list(iter_messages(path))
    assert messages[0].kind == "system" and messages[0].author == ""
    assert all(m.author != "Crag crew" for m in messages)
    # A renamed file is named by the group that "wrote" the notice.
    assert inspect(path)["conversation_list"][0]["id"] == "Crag crew"


def test_a_one_to_one_ios_chat_keeps_the_contact_who_wrote_the_notice(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "[14.01.21, 09:00:00] Maya: Messages and calls are end-to-end encrypted. No one outside"
        " of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.\n"
        "[14.01.21, 09:01:00] Maya: Ravi left early today\n"
        "[14.01.21, 09:02:00] Anand: Oh no\n",
        encoding="utf-8",
    )
    summary = inspect(path)
    assert summary["participants"] == {"Maya": 1, "Anand": 1}


def test_a_subject_with_a_colon_is_no_author(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        '1/2/21, 10:00 - Maya changed the subject from "A" to "Plans: June"\n'
        "1/2/21, 10:01 - Maya: hi\n1/2/21, 10:02 - Anand: hey\n",
        encoding="utf-8",
    )
    assert inspect(path)["participants"] == {"Maya": 1, "Anand": 1}
