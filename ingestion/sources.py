"""Opening inputs: files, folders and zip archives, with encoding detection and safe extraction."""

from __future__ import annotations

import codecs
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import IngestionError, UnsafeArchive

HEAD_BYTES = 64 * 1024
ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")
# Attachments that are never chat text: not extracted at all.
MEDIA_SUFFIXES = frozenset(
    ".jpg .jpeg .png .gif .webp .heic .bmp .tgs .mp4 .mov .webm .3gp .avi .mkv .opus .ogg .mp3 .m4a"
    " .aac .wav .amr .pdf .doc .docx .xls .xlsx .ppt .pptx .vcf .apk .css .js .ico .svg".split()
)
# The X (Twitter) archive keeps its data in .js files: only its message and account files are
# read; its other scripts (tweets, the archive's viewer) stay out like any other .js file.
X_DATA_RE = re.compile(r"(?:direct-messages(?:-group)?(?:-part\d+)?|account)\.js", re.I)
MAX_FOLDER_FILES = 10_000


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_entries: int = 10_000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0


@dataclass(frozen=True, slots=True)
class Document:
    """One readable file: `name` is what users see, `path` is where the bytes are."""

    name: str
    path: Path
    encoding: str

    def open_text(self, newline: str | None = None):
        return open(self.path, encoding=self.encoding, errors="replace", newline=newline)

    def read_text(self) -> str:
        with self.open_text() as handle:
            return handle.read()

    def head(self, size: int = HEAD_BYTES) -> str:
        with self.open_text() as handle:
            return handle.read(size)


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4000]
    if sample and sample.count(0) * 4 > len(sample):
        # UTF-16 without BOM: ASCII text puts the NULs on the odd (LE) or even (BE) bytes.
        return "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def document(path: Path, name: str | None = None) -> Document:
    return Document(name=name or path.name, path=path, encoding=detect_encoding(path))


def is_wanted(name: PurePosixPath | Path) -> bool:
    """Whether a file can hold chat text: not media, not a script (X's data files aside)."""
    suffix = name.suffix.lower()
    if suffix == ".js":
        return bool(X_DATA_RE.fullmatch(name.name))
    return suffix not in MEDIA_SUFFIXES


def is_archive(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


@contextmanager
def open_documents(
    path: str | os.PathLike, limits: ZipLimits = ZipLimits(), name: str | None = None
) -> Iterator[list[Document]]:
    """Yield the readable documents behind a path; archives are extracted into a temp dir.

    `name` is the file's name as the user uploaded it, when `path` is a stored copy: export
    names carry chat titles ("WhatsApp Chat with Maya.txt").
    """
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise IngestionError(f"{name}: no such file or folder")
    if path.is_dir():
        yield _folder_documents(path)
        return
    if path.stat().st_size == 0:
        raise IngestionError(f"{name}: the file is empty")
    if not is_archive(path):
        yield [document(path, name)]
        return
    with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
        yield _extract_zip(path, Path(tmp), limits, name)


def _folder_documents(folder: Path) -> list[Document]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if len(files) > MAX_FOLDER_FILES:
        raise IngestionError(f"{folder.name}: more than {MAX_FOLDER_FILES} files in the folder")
    return [
        document(p, str(p.relative_to(folder)))
        for p in files
        if is_wanted(p) and p.stat().st_size > 0
    ]


def _safe_member_name(name: str) -> PurePosixPath:
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or (posix.parts and ":" in posix.parts[0]):
        raise UnsafeArchive(f"archive entry {name!r} points outside the archive")
    return posix


def _extract_zip(path: Path, target: Path, limits: ZipLimits, label: str) -> list[Document]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestionError(f"{label}: not a readable zip archive ({exc})") from exc
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_entries:
            raise UnsafeArchive(f"{label}: {len(members)} entries, more than {limits.max_entries}")
        total = sum(m.file_size for m in members)
        if total > limits.max_total_bytes:
            raise UnsafeArchive(f"{label}: uncompressed size {total} bytes is over the limit")
        wanted = []
        for member in members:
            inner = _safe_member_name(member.filename)
            if member.is_dir():
                continue
            if inner.suffix.lower() in ARCHIVE_SUFFIXES:
                raise UnsafeArchive(f"{label}: nested archive {member.filename!r} not supported")
            if member.compress_size and member.file_size / member.compress_size > limits.max_ratio:
                raise UnsafeArchive(f"{label}: entry {member.filename!r} looks like a zip bomb")
            if is_wanted(inner) and member.file_size > 0:
                wanted.append((member, inner))
        documents = []
        written = 0
        for member, inner in wanted:
            destination = target.joinpath(*inner.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            written += _copy_limited(archive, member, destination, limits, written, label)
            with open(destination, "rb") as handle:
                if handle.read(4).startswith(ARCHIVE_MAGIC):
                    raise UnsafeArchive(
                        f"{label}: nested archive {member.filename!r} not supported"
                    )
            documents.append(document(destination, f"{label}/{inner}"))
        return documents


def _copy_limited(archive, member, destination, limits, written, label) -> int:
    """Copy one entry, counting real bytes: headers may lie about sizes."""
    budget = min(
        limits.max_total_bytes - written, int(max(member.compress_size, 1) * limits.max_ratio)
    )
    copied = 0
    try:
        with archive.open(member) as source, open(destination, "wb") as out:
            while chunk := source.read(1024 * 1024):
                copied += len(chunk)
                if copied > budget:
                    raise UnsafeArchive(
                        f"{label}: entry {member.filename!r} expands beyond the limits"
                    )
                out.write(chunk)
    except UnsafeArchive:
        raise
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        raise IngestionError(f"{label}: corrupt archive entry {member.filename!r} ({exc})") from exc
    return copied
