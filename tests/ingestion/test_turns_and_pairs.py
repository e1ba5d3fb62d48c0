from datetime import datetime, timedelta

from ingestion import Message, build_pairs, iter_turns
from ingestion.pairs import _pairs_from_turns
from ingestion.records import Conversation, ParseReport
from ingestion.turns import turn_rows

T0 = datetime(2021, 1, 1, 12, 0)


def msg(author, text, minutes, conversation="c"):
    return Message(T0 + timedelta(minutes=minutes), author, text, conversation, "s", None)


def test_consecutive_messages_within_the_gap_merge():
    turns = list(iter_turns([msg("A", "hi", 0), msg("A", "there", 4), msg("A", "late", 10)]))
    assert [t.text for t in turns] == ["hi there", "late"]
    assert turns[0].start == T0 and turns[0].end == T0 + timedelta(minutes=4)


def test_long_silence_starts_a_new_session():
    turns = list(iter_turns([msg("A", "a", 0), msg("B", "b", 1), msg("A", "c", 60 * 7)]))
    assert [t.session for t in turns] == [0, 0, 1]


def test_merge_gap_is_configurable():
    messages = [msg("A", "hi", 0), msg("A", "there", 4)]
    assert len(list(iter_turns(messages, merge_gap=timedelta(minutes=1)))) == 2


def test_pairs_use_k_previous_turns_and_not_across_sessions():
    report = ParseReport("x")
    report.add_conversation(Conversation("c", "Chat", "s", participants=["A", "B", "Me"]))
    messages = [
        msg("A", "1", 0),
        msg("B", "2", 1),
        msg("A", "3", 2),
        msg("Me", "4", 3),
        msg("A", "5", 60 * 8),
        msg("Me", "6", 60 * 8 + 1),
        msg("Me", "7", 60 * 8 + 30),
    ]
    turns = turn_rows(messages)
    pairs = list(_pairs_from_turns(turns, report, frozenset({"me"}), 2, "Bot"))
    assert [(p.context, p.response) for p in pairs] == [
        ((("B", "2"), ("A", "3")), "4"),
        ((("A", "5"),), "6"),
    ]


def test_identity_names_match_any_alias_case_insensitively(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(
        "1/1/21, 10:00 - Maya: hi\n1/1/21, 10:01 - anand uthaman: hey\n"
        "1/1/21, 10:02 - Maya: you there?\n1/1/21, 10:03 - You: yes\n"
    )
    pairs = build_pairs([path], me=["Anand Uthaman", "You"])
    assert [p.response for p in pairs] == ["hey", "yes"]
    assert all(p.addressee == "Maya" for p in pairs)
    assert pairs[0].timestamp == datetime(2021, 1, 1, 10, 1)
    assert pairs[0].source == "chat.txt" and pairs[0].conversation == "chat"


def test_strict_policy_applies_to_pairs(tmp_path):
    from ingestion import CleaningPolicy

    path = tmp_path / "chat.txt"
    path.write_text("1/1/21, 10:00 - Maya: Hi 😄\n1/1/21, 10:01 - Me: HEY!!! 🎉\n")
    (pair,) = build_pairs([path], me=["Me"], policy=CleaningPolicy.strict())
    assert pair.context == (("Maya", "hi"),) and pair.response == "hey!!!"
