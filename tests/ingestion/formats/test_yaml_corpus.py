import pytest

from ingestion import IngestionError, build_pairs, inspect, iter_messages


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


def test_aliases_cannot_expand_a_small_file_into_a_huge_corpus(tmp_path):
    """One 1 MB string referenced 500 times would be a 500 MB corpus from a 1 MB file."""
    path = tmp_path / "bomb.yml"
    path.write_text("conversations:\n- - &a " + "x" * 1_000_000 + "\n" + "  - *a\n" * 500)
    with pytest.raises(IngestionError, match="expand it to more than 4 times its own size"):
        inspect(path)


def test_nested_aliases_and_merge_keys_are_refused_before_they_expand(tmp_path):
    """Billion laughs: nine levels of ten references each; merge keys copy at load time."""
    levels = ["- - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
        f"  - &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)
    ]
    merges = ["- - &m0 {k0: v}"] + [
        f"  - &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 10)}], k{n}: v}}" for n in range(1, 10)
    ]
    for name, lines in (("laughs.yml", levels), ("merges.yml", merges)):
        path = tmp_path / name
        path.write_text("conversations:\n" + "\n".join(lines) + "\n")
        with pytest.raises(IngestionError, match="expand it to more than 4 times"):
            inspect(path)
    looped = tmp_path / "loop.yml"
    looped.write_text("conversations: &c\n- - hi\n  - *c\n")
    with pytest.raises(IngestionError, match="refers to itself"):
        inspect(looped)


def test_modest_aliases_still_read(tmp_path):
    path = tmp_path / "aliases.yml"
    path.write_text("conversations:\n- - &hi Hello there\n  - *hi\n- - *hi\n  - Bye\n")
    assert [p.response for p in build_pairs([path])] == ["Hello there", "Bye"]
