"""Random bytes and mutated fixtures: nothing but IngestionError may escape any parser."""

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
        print(f"\nhypothesis: 4 property tests x {EXAMPLES} examples = {4 * EXAMPLES} cases")
    assert EXAMPLES >= 20


@pytest.mark.parametrize("source", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_truncated_fixtures(tmp_path, source):
    data = source.read_bytes()
    for fraction in (0.1, 0.5, 0.9):
        path = tmp_path / source.name
        path.write_bytes(data[: int(len(data) * fraction)])
        exercise(path)
