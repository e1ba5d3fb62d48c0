"""Files through Django's storage API, so a shared file system or an object store can hold
uploads, checkpoints and artifacts. Code that needs real paths (TensorFlow, ingestion) asks
for a local directory: the storage's own folder when it is a file system, else a local copy."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage


def local_root() -> Path | None:
    """The folder behind the default storage when it is a file system, else None. (Some other
    storages answer path() without keeping files there, so the class decides.)"""
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.path(""))
    return None


def local_cache_dir() -> Path:
    """Where remote files are copied to be read by code that needs paths."""
    path = Path(settings.MODEL_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def walk(prefix: str) -> Iterator[str]:
    """Every file name below a storage folder, recursively."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}"
    for name in dirs:
        yield from walk(f"{prefix}/{name}")


def exists_dir(prefix: str) -> bool:
    return next(walk(prefix), None) is not None


def upload_dir(local: Path, prefix: str) -> None:
    """Copy a local folder into storage under prefix (replacing files of the same name)."""
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        name = f"{prefix}/{path.relative_to(local).as_posix()}"
        if default_storage.exists(name):
            default_storage.delete(name)
        with path.open("rb") as handle:
            saved = default_storage.save(name, File(handle))
        if saved != name:
            raise OSError(f"Storage renamed {name} to {saved}")


def download_dir(prefix: str, local: Path) -> Path:
    """Copy a storage folder to a local folder; returns the local folder."""
    for name in walk(prefix):
        target = local / PurePosixPath(name).relative_to(prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return local


def local_dir(prefix: str) -> Path:
    """A local folder holding the storage folder prefix (the folder itself on a file system)."""
    root = local_root()
    if root is not None:
        return root / prefix
    target = local_cache_dir() / prefix
    if not target.exists():
        partial = Path(tempfile.mkdtemp(dir=local_cache_dir()))
        download_dir(prefix, partial)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.rename(target)
    return target


@contextmanager
def local_file(name: str, suffix: str = "") -> Iterator[Path]:
    """A local path for one stored file (a temporary copy when storage is remote)."""
    root = local_root()
    if root is not None:
        yield root / name
        return
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"file{suffix}"
        with default_storage.open(name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        yield target


def remove_empty_parents(prefix: str) -> None:
    """Remove the folders above a deleted storage folder that are left empty (a file system's
    folders outlive their files; an object store has none)."""
    root = local_root()
    if root is None:
        return
    for parent in PurePosixPath(prefix).parents:
        if len(parent.parts) < 2:  # the top folder (models/, uploads/) stays
            return
        try:
            (root / parent).rmdir()
        except OSError:  # not empty (or already gone): the folders above stay too
            return


def delete_tree(prefix: str) -> None:
    """Remove a storage folder, its files and any local copy of it."""
    for name in list(walk(prefix)):
        default_storage.delete(name)
    root = local_root()
    if root is not None:
        shutil.rmtree(root / prefix, ignore_errors=True)
    shutil.rmtree(local_cache_dir() / prefix, ignore_errors=True)
