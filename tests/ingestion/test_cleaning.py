import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion import CleaningPolicy, Message
from ingestion.cleaning import needs_work


def message(text, kind="text", forwarded_from=None):
    return Message(None, "A", text, "c", "s", 1, kind, None, forwarded_from)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.com/a?b=1 now", "see <url> now"),
        ("www.example.org is down", "<url> is down"),
        ("write to ana.b+x@mail.example.com!", "write to <email>!"),
        ("call +44 20 7946 0958 today", "call <phone> today"),
        ("call (555) 123-4567", "call <phone>"),
        ("meet on 2021-01-13 at 10", "meet on 2021-01-13 at 10"),
        ("I owe you 250 euros", "I owe you 250 euros"),
        ("order A12345678 shipped", "order A12345678 shipped"),
        ("Keep  the\n\tspacing  TIDY 😄!!", "Keep the spacing TIDY 😄!!"),
    ],
)
def test_default_policy_masks_private_data_and_keeps_style(text, expected):
    assert CleaningPolicy().clean(text) == expected


def test_strict_policy_reproduces_the_notebook_filter():
    strict = CleaningPolicy.strict()
    assert (
        strict.clean("Hey THERE 😄 #wow, see https://x.io ~ok~!") == "hey there wow, see <url> ok !"
    )


def test_keep_newlines_option():
    policy = CleaningPolicy(keep_newlines=True)
    assert policy.clean("one  line\n\n two") == "one line\ntwo"


def test_system_media_and_forwarded_messages_are_dropped_by_default():
    policy = CleaningPolicy()
    assert policy.apply(message("hi")) == "hi"
    assert policy.apply(message("Maya added Ravi", "system")) == ""
    assert policy.apply(message("<Media omitted>", "media")) == ""
    assert policy.apply(message("news", forwarded_from="Channel")) == ""
    relaxed = CleaningPolicy(drop_media=False, drop_forwarded=False)
    assert relaxed.apply(message("<Media omitted>", "media")) == "<Media omitted>"
    assert relaxed.apply(message("news", forwarded_from="Channel")) == "news"


def test_needs_work_finds_every_character_that_gives_cleaning_work():
    # The shortcut in clean() is only sound if this finds every digit, "@", ":", "." and every
    # whitespace character str.split() acts on, except the plain space.
    needed = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isdecimal() or c.isspace()}
    needed = (needed | set("@:.")) - {" "}
    found = {c for c in map(chr, range(sys.maxunicode + 1)) if needs_work(f"a{c}b")}
    assert found == needed
    assert not needs_work("plain words 😂❤️👍🎉🤣🥳, and more!")
    assert needs_work("😂 at 5") and needs_work("\ud83d 5") and not needs_work("\ud83d x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("😄 call +44 20 7946 0958 😄", "😄 call <phone> 😄"),
        ("رقمي ٠١٢٣٤٥٦٧٨٩ شكرا", "رقمي <phone> شكرا"),
        ("❤️ mail ana@example.org ❤️", "❤️ mail <email> ❤️"),
        ("SEE WWW.EXAMPLE.COM NOW", "SEE <url> NOW"),
        ("👍 http://x.io/a 👍", "👍 <url> 👍"),
        ("tab\there 😂", "tab here 😂"),
        ("nbsp\u00a0here", "nbsp here"),
        (" edge 😂", "edge 😂"),
        ("edge 😂 ", "edge 😂"),
        ("plain text 😂 stays", "plain text 😂 stays"),
        ("ascii call 555-123-4567 now", "ascii call <phone> now"),
        ("ascii\ttab and a@b.co", "ascii tab and <email>"),
        ("lone \ud83d surrogate 555-123-4567", "lone \ud83d surrogate <phone>"),
    ],
)
def test_masks_and_spacing_apply_in_texts_the_shortcut_does_not_skip(text, expected):
    assert CleaningPolicy().clean(text) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab Z19٣@:./-+()\t\n\u00a0\u2028😄❤\ufe0f_<>", max_size=40),
    st.sampled_from(
        [
            CleaningPolicy(),
            CleaningPolicy(keep_newlines=True),
            CleaningPolicy(mask_phones=False, normalize_whitespace=False),
        ]
    ),
)
def test_the_shortcut_never_changes_the_result(text, policy):
    assert policy.clean(text) == policy.tidy(text)
