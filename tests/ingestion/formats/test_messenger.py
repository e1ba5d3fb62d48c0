from ingestion import build_pairs, inspect, iter_messages
from tests.ingestion.conftest import FIXTURES

THREAD = FIXTURES / "messenger" / "inbox" / "maya_abc123" / "message_1.json"


def test_mojibake_is_repaired_and_order_is_chronological():
    messages = list(iter_messages(THREAD))
    assert [m.timestamp for m in messages] == sorted(m.timestamp for m in messages)
    assert messages[2].author == "Maya Gómez"
    assert messages[2].text == "Café at 5? ☕"
    assert messages[-1].text == "Ha, sounds good 😂"


def test_calls_unsent_and_photos_are_not_text():
    kinds = [m.kind for m in iter_messages(THREAD)]
    assert kinds == ["system", "system", "text", "media", "text"]


def test_summary_and_pairs():
    summary = inspect(THREAD)
    assert summary["format"] == "messenger"
    assert summary["skipped"] == 1
    assert summary["conversation_list"][0]["title"] == "Maya Gómez"
    (pair,) = build_pairs([THREAD], me=["Anand"])
    assert pair.addressee == "Maya Gómez" and pair.response == "Ha, sounds good 😂"


def test_instagram_thread_and_attachment_placeholder():
    messages = list(iter_messages(FIXTURES / "instagram" / "message_1.json"))
    assert messages[0].kind == "media"
    assert messages[1].text == "Kommst du morgen? 🙂"
    assert messages[2].text == "Ja, natürlich! 👍"


def test_folder_with_several_threads():
    summary = inspect(FIXTURES / "messenger")
    assert summary["conversations"] == 1 and summary["messages"] == 2
