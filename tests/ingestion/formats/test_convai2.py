import json

from ingestion import build_pairs, inspect


def write(tmp_path, dialogs):
    path = tmp_path / "dialogs.json"
    path.write_text(json.dumps(dialogs))
    return path


DIALOG = {
    "dialog": [
        {"id": 0, "sender": "participant1", "text": "hi", "sender_class": "Human"},
        {"id": 1, "sender": "participant2", "text": "hello!", "sender_class": "Bot"},
        {"id": 2, "sender": "participant1", "text": "what's up", "sender_class": "Human"},
        {"id": 3, "sender": "participant2", "text": "not much", "sender_class": "Bot"},
    ],
    "start_time": "2018-07-09 04:29:15",
    "bot_profile": ["i like tea."],
    "user_profile": ["i like coffee."],
}


def test_bot_side_is_the_persona_by_default(tmp_path):
    path = write(tmp_path, [DIALOG, {"dialog": [DIALOG["dialog"][0]]}, {"no": "dialog"}])
    summary = inspect(path)
    assert summary["format"] == "convai2"
    assert summary["messages"] == 5 and summary["skipped"] == 1
    assert summary["first"] == "2018-07-09T04:29:15"
    pairs = build_pairs([path])
    assert [p.response for p in pairs] == ["hello!", "not much"]
    assert pairs[1].context == (("Human", "hi"), ("Bot", "hello!"), ("Human", "what's up"))


def test_caller_chooses_the_human_side(tmp_path):
    pairs = build_pairs([write(tmp_path, [DIALOG])], convai2_side="Human")
    assert [p.response for p in pairs] == ["what's up"]
