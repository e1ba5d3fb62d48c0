import io
import os
import zipfile

import pytest

from ingestion import EmptyExport, IngestionError, UnsafeArchive, inspect
from ingestion.detect import FORMAT_NAMES
from ingestion.sources import ZipLimits, detect_encoding, open_documents
from tests.ingestion.conftest import FIXTURES

CHAT = (FIXTURES / "whatsapp" / "android_de_24h.txt").read_bytes()


def make_zip(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def test_zip_bomb_ratio_is_refused(tmp_path):
    path = make_zip(tmp_path / "bomb.zip", [("_chat.txt", b"0" * 20_000_000)])
    with pytest.raises(UnsafeArchive, match="zip bomb"):
        inspect(path)


def test_total_uncompressed_size_is_limited(tmp_path):
    path = make_zip(tmp_path / "big.zip", [("a.txt", CHAT), ("b.txt", CHAT)])
    with pytest.raises(UnsafeArchive, match="uncompressed size"):
        with open_documents(path, ZipLimits(max_total_bytes=len(CHAT) + 10)):
            pass


def test_entry_count_is_limited(tmp_path):
    path = make_zip(tmp_path / "many.zip", [(f"{i}.txt", b"x") for i in range(20)])
    with pytest.raises(UnsafeArchive, match="entries"):
        with open_documents(path, ZipLimits(max_entries=10)):
            pass


def test_lying_size_headers_are_caught_while_extracting(tmp_path):
    path = make_zip(tmp_path / "liar.zip", [("_chat.txt", b"a" * 50_000)])
    with pytest.raises(UnsafeArchive):
        with open_documents(path, ZipLimits(max_total_bytes=60_000, max_ratio=2.0)):
            pass


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "C:/x.txt"])
def test_paths_outside_the_archive_are_refused(tmp_path, name):
    path = make_zip(tmp_path / "traversal.zip", [("_chat.txt", CHAT), (name, CHAT)])
    with pytest.raises(UnsafeArchive, match="outside"):
        inspect(path)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_nested_archives_are_refused(tmp_path):
    inner = io.BytesIO()
    make_zip(inner, [("_chat.txt", CHAT)])
    path = make_zip(tmp_path / "nested.zip", [("inner.zip", inner.getvalue())])
    with pytest.raises(UnsafeArchive, match="nested"):
        inspect(path)
    disguised = make_zip(tmp_path / "disguised.zip", [("notes.txt", inner.getvalue())])
    with pytest.raises(UnsafeArchive, match="nested"):
        inspect(disguised)


def test_corrupt_zip_is_a_clear_error(tmp_path):
    good = make_zip(tmp_path / "good.zip", [("_chat.txt", CHAT)])
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good.read_bytes()[:60])
    with pytest.raises(IngestionError, match="zip"):
        inspect(broken)


def test_extraction_happens_in_a_temporary_directory_that_is_removed(tmp_path):
    path = make_zip(tmp_path / "chat.zip", [("_chat.txt", CHAT)])
    with open_documents(path) as documents:
        extracted = documents[0].path
        assert extracted.exists() and not extracted.is_relative_to(tmp_path)
    assert not extracted.exists()
    assert sorted(os.listdir(tmp_path)) == ["chat.zip"]


def test_empty_file_and_missing_path(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(IngestionError, match="empty"):
        inspect(tmp_path / "empty.txt")
    with pytest.raises(IngestionError, match="no such file"):
        inspect(tmp_path / "missing.txt")


def test_export_without_any_message_is_a_clear_error(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("31.12.20, 23:58 - Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt.\n")
    with pytest.raises(EmptyExport, match="no messages written by people"):
        inspect(path)


def test_unsupported_file_names_the_formats_tried(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\nnothing like a chat\n")
    with pytest.raises(IngestionError, match="formats tried: .*WhatsApp.*Telegram.*CSV") as raised:
        inspect(path)
    assert all(name in str(raised.value) for name in FORMAT_NAMES.values())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfhello", "utf-8-sig"),
        (b"\xff\xfeh\x00i\x00", "utf-16"),
        ("hi".encode("utf-16-le"), "utf-16-le"),
        ("hi".encode("utf-16-be"), "utf-16-be"),
        ("héllo".encode(), "utf-8"),
        ("héllo".encode("cp1252"), "cp1252"),
    ],
)
def test_detect_encoding(tmp_path, data, expected):
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    assert detect_encoding(path) == expected
