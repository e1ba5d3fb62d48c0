import shutil
import zipfile
from datetime import datetime

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

HTML = FIXTURES / "telegram_html" / "ChatExport_Maya"
JSON = FIXTURES / "telegram_json"


def test_html_pages_are_read_in_order_with_joined_senders():
    messages = list(iter_messages(HTML))
    people = [m for m in messages if m.kind != "system"]
    assert [m.author for m in people] == ["Maya", "Maya", "Anand", "Anand", "Maya", "Maya", "Maya"]
    assert people[1].text == "Bring snacks\nand drinks"
    assert people[0].timestamp == datetime(2020, 12, 31, 23, 59)


def test_html_service_forwarded_replies_and_captions():
    messages = list(iter_messages(HTML))
    assert [m.text for m in messages if m.kind == "system"] == [
        "31 December 2020",
        "Maya pinned a message",
    ]
    reply = next(m for m in messages if m.text.startswith("Yes, on my way"))
    assert reply.reply_to == "1"
    caption = next(m for m in messages if m.text == "Look at this view")
    assert caption.kind == "text"  # media with a caption keeps the caption
    forwarded = next(m for m in messages if m.forwarded_from)
    assert forwarded.forwarded_from == "News Channel"
    assert forwarded.text == "Fireworks start at midnight"
    assert sum(m.kind == "media" for m in messages) == 1  # the voice message


def test_html_summary_and_pairs():
    summary = inspect(HTML)
    assert summary["format"] == "telegram_html"
    assert summary["conversation_list"][0]["title"] == "Maya"
    assert summary["participants"] == {"Maya": 4, "Anand": 2}
    pairs = build_pairs([HTML], me=["Anand"])
    assert [p.response for p in pairs] == ["Yes, on my way 🚗 Look at this view"]
    assert pairs[0].context == (("Maya", "Are you coming tonight? Bring snacks and drinks"),)
    assert pairs[0].addressee == "Maya"


def test_html_export_in_a_zip(tmp_path):
    path = tmp_path / "Telegram.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for page in HTML.iterdir():
            archive.write(page, f"ChatExport_Maya/{page.name}")
        archive.writestr("ChatExport_Maya/css/style.css", "body{}")
    assert inspect(path)["participants"] == inspect(HTML)["participants"]


def test_html_single_page_file(tmp_path):
    shutil.copy(HTML / "messages.html", tmp_path / "messages.html")
    summary = inspect(tmp_path / "messages.html")
    assert summary["messages"] == 3


def test_json_single_chat_with_entity_lists():
    messages = list(iter_messages(JSON / "result.json"))
    assert messages[1].text == "Check https://example.org/news and reply"
    assert messages[2].reply_to == "2"
    assert messages[3].kind == "media"
    assert messages[4].forwarded_from == "Weather Bot"
    assert messages[5].kind == "system"
    summary = inspect(JSON / "result.json")
    assert summary["format"] == "telegram_json"
    assert summary["conversation_list"][0]["id"] == "4242"


def test_json_forwarded_text_does_not_train_by_default():
    pairs = build_pairs([JSON / "result.json"], me=["Maya"])
    assert all("Sunny" not in p.response for p in pairs)


def test_json_whole_account_export():
    summary = inspect(JSON / "full_export.json")
    titles = {c["title"]: c for c in summary["conversation_list"]}
    assert set(titles) == {"Maya", "Hiking Club", "Saved Messages"}
    assert titles["Hiking Club"]["is_group"] and not titles["Maya"]["is_group"]
    assert summary["suggested_identity"] == "Anand"
    pairs = build_pairs([JSON / "full_export.json"], me=["Anand"])
    group = [p for p in pairs if p.conversation == "99"]
    assert group[0].response == "Count me in too" and group[0].addressee == "Hiking Club"


def test_excluded_conversations_are_left_out():
    path = JSON / "full_export.json"
    pairs = build_pairs([path], me=["Anand"], exclude_conversations=["99"])
    assert pairs and all(p.conversation != "99" for p in pairs)
    pairs = build_pairs([path], me=["Anand"], exclude_conversations=["full_export.json:4242"])
    assert {p.conversation for p in pairs} == {"99"}
