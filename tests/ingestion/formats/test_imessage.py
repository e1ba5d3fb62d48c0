from datetime import datetime

from ingestion import build_pairs, inspect, iter_messages
from ingestion.formats import imessage
from tests.ingestion.conftest import FIXTURES

CHAT = FIXTURES / "imessage" / "Maya Gómez.txt"
GROUP = FIXTURES / "imessage" / "+15555550123, ravi@example.com.txt"


def test_messages_with_tapbacks_edits_and_notes_left_out():
    messages = list(iter_messages(CHAT))
    assert [(m.author, m.kind) for m in messages] == [
        ("Maya Gómez", "text"),
        ("Me", "text"),
        ("Maya Gómez", "media"),
        ("Maya Gómez", "text"),
        ("Me", "system"),
        ("Me", "text"),
    ]
    assert messages[1].text == "Yes!\nCan't wait 😄\n\n\nalso bringing snacks"  # no tapback
    assert messages[1].timestamp == datetime(2021, 1, 12, 20, 2, 30)  # "(Read by ...)" ignored
    assert messages[3].text == "See you at 11"  # the last wording of an edited message
    assert messages[5].text == "Sounds good" and messages[5].timestamp.hour == 0  # 12 AM
    assert [m.line for m in messages[:2]] == [1, 5]


def test_summary_with_an_impossible_date_skipped_by_line():
    summary = inspect(CHAT)
    assert summary["format"] == "imessage"
    assert summary["participants"] == {"Maya Gómez": 2, "Me": 2}
    assert summary["skipped"] == 1
    assert summary["warnings"][0].startswith("Maya Gómez.txt:33: skipped an impossible date")
    assert summary["conversation_list"][0]["title"] == "Maya Gómez"
    assert summary["suggested_identity"] in {"Me", "Maya Gómez"}


def test_group_chat_rename_line_and_reply_copies():
    messages = list(iter_messages(GROUP))
    assert messages[0].kind == "system" and "renamed the conversation" in messages[0].text
    texts = [m.text for m in messages if m.kind == "text"]
    assert texts == ["Who is driving?", "I can", "Thanks Ravi"]  # the indented copy is not read
    summary = inspect(GROUP)
    assert summary["conversation_list"][0]["is_group"]
    (pair,) = build_pairs([GROUP], me=["Me"])
    assert pair.response == "Thanks Ravi" and pair.context[-1] == ("ravi@example.com", "I can")


def test_detection_needs_the_exporters_timestamp_line():
    assert imessage.looks_like("\ufeffJan 12, 2021  8:01:00 PM\nMaya\nhi\n")
    assert imessage.looks_like("Mar 01, 2021  9:00:00 AM You renamed the conversation to X\n")
    assert not imessage.looks_like("Jan 12 2021 8:01 PM\nMaya\nhi\n")
    assert not imessage.looks_like("1/12/21, 8:01 PM - Maya: hi\n")
