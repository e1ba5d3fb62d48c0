import pytest

from ingestion import CleaningPolicy, Message


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
