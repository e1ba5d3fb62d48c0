import zipfile
from datetime import datetime

from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

WORKSPACE = FIXTURES / "slack"


def workspace_zip(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in WORKSPACE.rglob("*") if p.is_file()):
            archive.write(file, str(file.relative_to(WORKSPACE)))
        archive.writestr("integration_logs.json", "[]")
    return path


def test_workspace_zip_with_real_names_and_channels(tmp_path):
    summary = inspect(workspace_zip(tmp_path / "Acme Slack export Jan 1 2021 - Jan 14 2021.zip"))
    assert summary["format"] == "slack"
    assert summary["participants"] == {"Anand Rao": 3, "Maya Gómez": 2, "Ravi Kumar": 2}
    titles = {c["title"]: c["is_group"] for c in summary["conversation_list"]}
    assert titles == {"#general": True, "Anand Rao, Maya Gómez": False}
    assert summary["skipped"] == 1 and "2021-01-13.json" in summary["warnings"][0]


def test_system_subtypes_and_files_are_not_text():
    kinds = [(m.kind, m.text) for m in iter_messages(WORKSPACE) if m.conversation == "general"]
    assert ("system", "@Ravi Kumar has joined the channel") in kinds
    assert ("system", "Reminder: stand-up in 5 minutes") in kinds  # a bot
    assert ("media", "") in kinds
    assert sum(kind == "text" for kind, _ in kinds) == 5


def test_thread_replies_follow_their_first_message():
    general = [m for m in iter_messages(WORKSPACE) if m.conversation == "general" and m.author]
    assert [m.text for m in general[:3]] == [
        "Who's up for lunch? @Ravi Kumar you in?",
        "Sure, the usual place & time",
        "Sorry, saw this late. Tomorrow?",  # written a day later, in another day's file
    ]
    assert general[1].reply_to == general[2].reply_to == "1610529300.000200"
    assert general[0].timestamp == datetime(2021, 1, 13, 9, 15, 0, 200)
    assert general[3].text == "Deploy is done :tada: see build 42"  # a link shows its label


def test_pairs_from_a_direct_message_and_a_thread():
    pairs = build_pairs([WORKSPACE], me=["Anand Rao"])
    by_response = {p.response: p for p in pairs}
    assert by_response["On it"].addressee == "Maya Gómez"
    thread = by_response["Sure, the usual place & time"]
    assert thread.context == (("Maya Gómez", "Who's up for lunch? @Ravi Kumar you in?"),)
    assert thread.addressee == "#general"
