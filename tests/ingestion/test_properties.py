"""Random bytes and mutated fixtures: nothing but IngestionError may escape any parser."""

import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion import IngestionError, build_pairs, inspect
from ingestion.detect import FORMATS
from ingestion.records import ParseReport
from ingestion.sources import document
from tests.ingestion.conftest import FIXTURES

FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
EXAMPLES = 100  # per test: enough to shake out crashes, small enough for a fast suite
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def exercise(path: Path) -> None:
    try:
        inspect(path)
        build_pairs([path], me=["Anand", "Maya"])
    except IngestionError:
        pass


@SETTINGS
@given(data=st.binary(max_size=2048))
def test_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("random") / "upload.bin"
    path.write_bytes(data)
    exercise(path)


@SETTINGS
@given(
    source=st.sampled_from([p for p in FIXTURE_FILES if p.suffix != ".zip"]),
    cuts=st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.binary(max_size=24)), max_size=6
    ),
)
def test_mutated_fixtures(tmp_path_factory, source, cuts):
    data = bytearray(source.read_bytes())
    for position, length, replacement in cuts:
        position %= max(len(data), 1)
        data[position : position + length] = replacement
    folder = tmp_path_factory.mktemp("mutated")
    path = folder / source.name
    path.write_bytes(bytes(data))
    exercise(path)


@SETTINGS
@given(
    source=st.sampled_from(FIXTURE_FILES),
    text=st.text(max_size=400),
)
def test_every_parser_on_text_it_does_not_expect(tmp_path_factory, source, text):
    """Force each parser onto each fixture's text with random text spliced in."""
    folder = tmp_path_factory.mktemp("forced")
    path = folder / "input"
    original = source.read_bytes() if source.suffix != ".zip" else b""
    path.write_bytes(
        original[: len(original) // 2] + text.encode() + original[len(original) // 2 :]
    )
    doc = document(path)
    for module in FORMATS:
        try:
            for _ in module.parse([doc], ParseReport(str(path))):
                pass
        except IngestionError:
            pass


@SETTINGS
@given(
    entries=st.lists(
        st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=300)),
        max_size=5,
        unique_by=lambda entry: entry[0],
    )
)
def test_random_zip_archives(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("zips") / "upload.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            try:
                archive.writestr(name, data)
            except (ValueError, OSError, IndexError):
                continue  # names zipfile itself cannot write (e.g. only a NUL)
    exercise(path)


def test_example_count_is_reported(capsys):
    with capsys.disabled():
        print(f"\nhypothesis: 5 property tests x {EXAMPLES} examples = {5 * EXAMPLES} cases")
    assert EXAMPLES >= 20


@pytest.mark.parametrize("source", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_truncated_fixtures(tmp_path, source):
    data = source.read_bytes()
    for fraction in (0.1, 0.5, 0.9):
        path = tmp_path / source.name
        path.write_bytes(data[: int(len(data) * fraction)])
        exercise(path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Where each multi-file format reads its fields: random values there must fail clearly or parse.
ENVELOPES = {
    "data/direct-messages.js": lambda v: (
        "window.YTD.direct_messages.part0 = "
        + json.dumps([{"dmConversation": {"conversationId": "1-2", "messages": [v]}}])
    ),
    "data/account.js": lambda v: "window.YTD.account.part0 = " + json.dumps([{"account": v}]),
    "general/2021-01-13.json": lambda v: (
        json.dumps([{"type": "message", "ts": "1.5", **v}])
        if isinstance(v, dict)
        else json.dumps([v])
    ),
    "users.json": lambda v: json.dumps(
        [{"id": "U1", "team_id": "T", "real_name": "x", "profile": v}]
    ),
    "Groups/DM 1/messages.json": lambda v: json.dumps(
        {
            "messages": [
                {
                    "creator": v,
                    "created_date": "Monday, January 4, 2021 at 9:00:00 AM UTC",
                    "text": "hi",
                },
                v,
            ]
        }
    ),
    "Groups/DM 1/group_info.json": lambda v: json.dumps(
        {"members": v, "user_type": "Human", "name": v}
    ),
}


@SETTINGS
@given(name=st.sampled_from(sorted(ENVELOPES)), value=JSON_VALUES)
def test_random_json_where_multi_file_formats_read_their_fields(tmp_path_factory, name, value):
    folder = tmp_path_factory.mktemp("envelope")
    for other in ENVELOPES:
        if other.split("/")[0] == name.split("/")[0]:
            path = folder / other
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(ENVELOPES[other]({}))
    (folder / name).write_text(ENVELOPES[name](value))
    exercise(folder)
