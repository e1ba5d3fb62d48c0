"""Ids from query strings and frames: only ASCII digits in a database id's range."""

import pytest

from personas.parsing import parse_frame, parse_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (12, 12), ("0012", 12), ("²", None), ("١٢", None), ("1²", None), ("", None),
     (" 1", None), ("-1", None), (0, None), (-3, None), (True, None), (1.0, None),
     ("9" * 19, None), (2**63, None), (None, None), ([1], None)],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def test_parse_frame():
    assert parse_frame('{"a": 1}') == {"a": 1}
    assert parse_frame("not json") is None
    assert parse_frame("[" * 5000 + "]" * 5000) is None
