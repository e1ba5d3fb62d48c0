import zipfile
from datetime import datetime

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

TAKEOUT = FIXTURES / "google_chat"
DM = TAKEOUT / "Takeout" / "Google Chat" / "Groups" / "DM 4bXq1AAAAE"


def test_takeout_zip_with_a_direct_message_and_a_space(tmp_path):
    path = tmp_path / "takeout-20210201T000000Z-001.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in TAKEOUT.rglob("*") if p.is_file()):
            archive.write(file, str(file.relative_to(TAKEOUT)))
        archive.writestr("Takeout/archive_browser.html", "<html></html>")
        archive.writestr("Takeout/Google Chat/Groups/DM 4bXq1AAAAE/File-chart.png", b"\x89PNG")
    summary = inspect(path)
    assert summary["format"] == "google_chat"
    assert summary["participants"] == {"Anand Rao": 3, "Maya Gómez": 2, "Ravi Kumar": 1}
    titles = {c["title"]: c["is_group"] for c in summary["conversation_list"]}
    assert titles == {"Anand Rao, Maya Gómez": False, "Book club": True}
    assert summary["skipped"] == 1


def test_dates_attachments_and_bots():
    messages = list(iter_messages(TAKEOUT))
    assert messages[0].timestamp == datetime(2021, 1, 13, 9, 15, 4)
    assert messages[3].timestamp == datetime(2021, 1, 14, 8, 0)  # U+202F before AM
    assert [m.kind for m in messages] == [
        "text",
        "text",
        "media",
        "text",
        "text",
        "text",
        "system",
        "text",
    ]


def test_pairs_name_the_space_or_the_other_person():
    pairs = build_pairs([TAKEOUT], me=["Anand Rao"])
    assert [(p.response, p.addressee) for p in pairs] == [
        ("Yes, it looks great 🎉", "Maya Gómez"),
        ("Always", "Maya Gómez"),
        ("Yes please", "Book club"),
    ]


def test_one_space_folder_alone():
    assert inspect(DM / "messages.json")["messages"] == 4
