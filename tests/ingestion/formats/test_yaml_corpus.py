from ingestion import build_pairs, inspect, iter_messages


def test_chatterbot_layout_alternates_speakers(tmp_path):
    path = tmp_path / "greetings.yml"
    path.write_text(
        "categories:\n- greetings\nconversations:\n- - Hello\n  - Hi\n  - How are you?\n"
        "  - Fine\n- - Good morning\n  - Morning!\n"
    )
    summary = inspect(path)
    assert summary["format"] == "yaml" and summary["conversations"] == 2
    assert summary["messages"] == 6
    pairs = build_pairs([path])
    assert [(p.context[-1][1], p.response) for p in pairs] == [
        ("Hello", "Hi"),
        ("How are you?", "Fine"),
        ("Good morning", "Morning!"),
    ]


def test_line_based_fallback_with_start_marks_and_quoted_multiline(tmp_path):
    path = tmp_path / "chats.yml"
    path.write_text(
        '- - \t[START]\n  - \tHi! "quoted, with: colon\n- - \tHey\n  - \t"two\nlines"\n'
        "- - \tanother question\n- - \tstill me\n  - \tanswer\n- - \t[START]\n- - \tnew chat\n"
        "  - \tnew answer\n"
    )
    summary = inspect(path)
    assert any("line by line" in w for w in summary["warnings"])
    assert summary["conversations"] == 2
    messages = list(iter_messages(path))
    assert messages[2].text == "two\nlines"
    assert messages[2].line == 3
    pairs = build_pairs([path])
    assert [p.response for p in pairs] == ["two lines", "answer", "new answer"]
    assert pairs[1].context[-1] == ("Human", "another question still me")
    assert pairs[2].conversation == "2" and pairs[2].context == (("Human", "new chat"),)


def test_flattened_list_string_is_split(tmp_path):
    path = tmp_path / "gk.yml"
    path.write_text("categories:\n- gk\nconversations:\n- -What? - That.\n")
    assert [m.text for m in iter_messages(path)] == ["What?", "That."]
