import tracemalloc
from datetime import datetime

import pytest

from ingestion import IngestionError, build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

BACKUP = FIXTURES / "sms" / "sms-20200120183000.xml"


def test_received_sent_escaped_and_multiline_bodies():
    messages = list(iter_messages(BACKUP))
    assert [(m.author, m.text) for m in messages[:3]] == [
        ("Maya Gómez", "Are we still on for tonight?"),
        ("Me", "Yes! 7pm at the usual place & I'll book a table"),
        ("Maya Gómez", "Perfect\nSee you there"),
    ]
    assert messages[0].timestamp == datetime.fromtimestamp(1579281000)
    assert messages[0].line == 5


def test_one_conversation_per_address_and_group_mms_as_groups():
    summary = inspect(BACKUP)
    assert summary["format"] == "sms"
    chats = {chat["id"]: chat for chat in summary["conversation_list"]}
    # "+1 (555) 010-0123" and "+15550100123" are the same number; the picture MMS joins them.
    assert chats["+15550100123"]["title"] == "Maya Gómez"
    assert chats["+15550100123"]["messages"] == 3 and not chats["+15550100123"]["is_group"]
    assert chats["55501"]["title"] == "55501"  # an unknown contact is named by its number
    group = chats["+15550100123~+15550100456"]
    assert group["is_group"] and group["title"] == "Maya Gómez, Ravi Kumar"
    assert group["participants"] == ["Me", "Ravi Kumar"]  # the sender is the "from" address
    assert summary["suggested_identity"] == "Me"
    assert summary["warnings"] == [
        "sms-20200120183000.xml:8: skipped a draft, queued or failed message (type 3)"
    ]


def test_picture_without_text_is_media_and_pairs_answer_as_me():
    messages = list(iter_messages(BACKUP))
    assert (messages[-1].kind, messages[-1].text) == ("media", "")
    pairs = build_pairs([BACKUP], me=["Me"])
    assert [p.response for p in pairs] == [
        "Yes! 7pm at the usual place & I'll book a table",
        "Count me in",
    ]
    assert pairs[1].addressee == "Maya Gómez, Ravi Kumar"


def test_a_dtd_is_refused(tmp_path):
    path = tmp_path / "sms.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE smses [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<smses><sms address="1" date="0" type="1" body="&b;" /></smses>'
    )
    with pytest.raises(IngestionError, match="no DTD"):
        inspect(path)


def test_broken_xml_keeps_what_came_before_and_says_where(tmp_path):
    path = tmp_path / "sms.xml"
    text = BACKUP.read_text(encoding="utf-8")
    path.write_text(text[: text.index("<mms")] + "<sms address=\n", encoding="utf-8")
    summary = inspect(path)
    assert summary["messages"] == 4
    assert summary["warnings"][-1].startswith("sms.xml:10: skipped unreadable XML from here on")


def test_memory_stays_flat_as_the_backup_grows(tmp_path):
    row = '<sms address="+15550100123" date="1579281000000" type="{}" body="see you at seven" />\n'
    peaks = []
    for count in (10_000, 40_000):  # both beyond one block of bytes
        path = tmp_path / f"sms-{count}.xml"
        body = "".join(row.format(1 + i % 2) for i in range(count))
        path.write_text(f"<?xml version='1.0' ?>\n<smses count=\"{count}\">\n{body}</smses>\n")
        tracemalloc.start()
        assert sum(1 for _ in iter_messages(path)) == count
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.2
