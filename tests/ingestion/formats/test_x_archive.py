import zipfile
from datetime import datetime

import pytest

from ingestion import UnsafeArchive, UnsupportedFormat, build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

ARCHIVE = FIXTURES / "x_archive"
DATA = ARCHIVE / "data"


def archive_zip(path, extra=()):
    """The archive as X delivers it: data files beside the viewer's scripts and media."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(DATA.iterdir()):
            archive.write(file, f"data/{file.name}")
        archive.writestr("data/tweets.js", "window.YTD.tweets.part0 = []")
        archive.writestr("assets/js/main.a1b2.js", "console.log('viewer')")
        archive.writestr("Your archive.html", "<html><body>archive viewer</body></html>")
        archive.writestr("data/direct_messages_media/1349-AbC.jpg", b"\xff\xd8\xff")
        for name, data in extra:
            archive.writestr(name, data)
    return path


def test_the_whole_archive_zip_is_read(tmp_path):
    summary = inspect(archive_zip(tmp_path / "twitter-2021-01-21.zip"))
    assert summary["format"] == "x_archive"
    assert summary["participants"] == {"Anand": 3, "2002": 2, "3003": 1}
    assert summary["suggested_identity"] == "Anand"
    assert summary["skipped"] == 1 and "1001-3003" in summary["warnings"][0]


def test_owner_is_named_by_account_js_and_others_by_id():
    messages = [m for m in iter_messages(ARCHIVE) if m.conversation == "1001-2002"]
    assert [(m.author, m.kind) for m in messages] == [
        ("Anand", "text"),
        ("2002", "text"),
        ("2002", "media"),
        ("Anand", "text"),
    ]
    assert messages[0].timestamp == datetime(2021, 1, 12, 20, 1)  # oldest first
    assert messages[-1].text == "Tom & Jerry marathon tonight? <3"


def test_without_account_js_everyone_is_an_id(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "direct-messages.js").write_bytes(
        (DATA / "direct-messages.js").read_bytes()
    )
    assert set(inspect(tmp_path)["participants"]) == {"1001", "2002", "3003"}


def test_group_conversation_takes_its_latest_name_and_events_are_system():
    summary = inspect(ARCHIVE)
    group = next(c for c in summary["conversation_list"] if c["is_group"])
    assert group["title"] == "Crag crew" and group["messages"] == 2
    one_to_one = next(c for c in summary["conversation_list"] if c["id"] == "1001-2002")
    assert one_to_one["title"] == "2002"
    kinds = [m.kind for m in iter_messages(ARCHIVE) if m.conversation == group["id"]]
    assert kinds == ["system", "system", "system", "text", "text"]
    pairs = build_pairs([ARCHIVE], me=["Anand"])
    assert {p.response for p in pairs} == {"Count me in", "Tom & Jerry marathon tonight? <3"}
    assert next(p for p in pairs if p.conversation == group["id"]).addressee == "Crag crew"


def test_broken_and_foreign_files_fail_clearly(tmp_path):
    broken = tmp_path / "direct-messages.js"
    broken.write_text("window.YTD.direct_messages.part0 = [ { ")
    with pytest.raises(Exception, match="broken JSON"):
        inspect(broken)
    tweets = tmp_path / "tweets.js"
    tweets.write_text("window.YTD.tweets.part0 = []")
    with pytest.raises(UnsupportedFormat, match="formats tried: .*X \\(Twitter\\) archive"):
        inspect(tweets)


def test_entries_outside_the_archive_are_refused(tmp_path):
    path = archive_zip(tmp_path / "x.zip", [("../data/direct-messages.js", "window.YTD")])
    with pytest.raises(UnsafeArchive, match="outside"):
        inspect(path)
    assert not (tmp_path.parent / "data").exists()
