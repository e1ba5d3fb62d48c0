import json
import zipfile
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

SIGNAL = FIXTURES / "signal"
MARKDOWN = SIGNAL / "Maya" / "chat.md"
JSONL = SIGNAL / "Maya" / "data.json"


def test_markdown_without_quotes_reactions_and_attachment_links():
    messages = list(iter_messages(MARKDOWN))
    assert [(m.author, m.text, m.kind) for m in messages] == [
        ("Maya", "Are you still at the office?", "text"),
        ("Me", "Just left 🚲", "text"),
        ("Maya", "Great! Dinner at mine?\nI made way too much dal", "text"),
        ("Me", "Yes please, see you in 20", "text"),  # the quote above it is not its text
        ("Maya", "", "media"),
        ("Maya", "The door code is 4711", "text"),
        ("Me", "(This message was deleted)", "system"),
        ("Me", "Missed voice call", "system"),
        ("Maya", "", "media"),  # a sticker
        ("Me", "Thanks for dinner!", "text"),
    ]
    assert messages[0].timestamp == datetime(2021, 3, 4, 18, 2, 11)
    assert [m.line for m in messages[:4]] == [1, 3, 5, 9]


def test_older_layout_with_comma_and_no_seconds_is_a_group():
    summary = inspect(SIGNAL / "Hiking Club" / "index.md")
    assert summary["format"] == "signal"
    assert summary["first"] == "2019-12-24T12:23:00"
    (chat,) = summary["conversation_list"]
    assert chat["title"] == "the Signal chat in index.md" and chat["is_group"]
    assert summary["participants"] == {"Me": 2, "Jonas": 2, "Priya": 1}
    titles = [chat["title"] for chat in inspect(SIGNAL)["conversation_list"]]
    assert titles == ["Hiking Club", "Maya"]  # a chat's folder names it


def test_json_lines_with_a_broken_line_counted():
    messages = list(iter_messages(JSONL))
    assert [m.text for m in messages if m.kind == "text"] == [
        "Are you still at the office?",
        "Just left 🚲",
        "Great! Dinner at mine?\nI made way too much dal",
        "Yes please, see you in 20",
        "The door code is 4711",
        "Thanks for dinner!",
    ]
    assert [m.kind for m in messages][4:7] == ["media", "text", "system"]
    summary = inspect(JSONL)
    assert summary["skipped"] == 1 and summary["warnings"] == [
        "data.json:8: skipped a line that is not a JSON object"
    ]


def test_a_chat_folder_is_read_once_from_its_json_lines():
    summary = inspect(SIGNAL)
    assert summary["conversations"] == 2
    assert summary["participants"]["Maya"] == 3  # not twice over
    assert "Maya/chat.md: not read, Maya/data.json holds the same chat" in summary["warnings"]
    assert summary["suggested_identity"] == "Me"


def test_zipped_export_with_media_and_pairs(tmp_path):
    path = tmp_path / "signal-export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(MARKDOWN, "export/Maya/chat.md")
        archive.writestr("export/Maya/media/IMG_0412.jpg", b"\xff\xd8\xff")
        archive.writestr("export/Maya/index.html", "<html><body>not read</body></html>")
    summary = inspect(path)
    assert summary["conversation_list"][0]["title"] == "Maya"
    pairs = build_pairs([path], me=["Me"])
    assert pairs[0].response == "Just left 🚲" and pairs[0].addressee == "Maya"


# Text signal-export could write on one line: no line breaks, no Markdown links or marks.
LINE_TEXT = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="[]()>"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=50, deadline=None)
@given(texts=st.lists(LINE_TEXT, min_size=1, max_size=8), old=st.booleans())
def test_any_one_line_text_reads_back_exactly_in_both_layouts(tmp_path_factory, texts, old):
    folder = tmp_path_factory.mktemp("signal") / "Maya"
    folder.mkdir()
    head = "[2021-03-04, 18:{:02d}]" if old else "[2021-03-04 18:{:02d}:00]"
    md = "".join(f"{head.format(i)} Maya: {text}  \n\n" for i, text in enumerate(texts))
    (folder / "chat.md").write_text(md, encoding="utf-8")
    assert [m.text for m in iter_messages(folder / "chat.md")] == texts
    lines = [
        json.dumps({"date": f"2021-03-04T18:{i:02d}:00", "sender": "Maya", "body": f"{t}  "})
        for i, t in enumerate(texts)
    ]
    (folder / "data.json").write_text("\n".join(lines), encoding="utf-8")
    assert [m.text for m in iter_messages(folder / "data.json")] == texts
