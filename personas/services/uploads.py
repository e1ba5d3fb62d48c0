"""Storing uploaded chat exports and reading them with `ingestion`."""

import contextlib
import hashlib
import logging
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ingestion import IngestionError, inspect, suggest_identities
from personas.models import DataFile, Persona
from personas.services import events, storage
from personas.services.heartbeat import Heartbeat

logger = logging.getLogger(__name__)
MB = 1024 * 1024


class UploadRejected(ValueError):
    """The upload breaks a limit or repeats a file; the message says which."""


class DuplicateUpload(UploadRejected):
    """The persona already has a file with the same content."""

    def __init__(self, message: str, existing: DataFile):
        super().__init__(message)
        self.existing = existing


def user_storage_bytes(user_id: int) -> int:
    used = DataFile.objects.filter(persona__owner_id=user_id).aggregate(total=Sum("size"))
    return used["total"] or 0


def _sha256(uploaded: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def store_upload(persona: Persona, uploaded: UploadedFile) -> DataFile:
    """Check the limits, then save the file under a random name; parsing comes later."""
    name = PurePosixPath(uploaded.name or "upload").name[:255]
    if uploaded.size > settings.MAX_UPLOAD_MB * MB:
        raise UploadRejected(
            f"{name} is larger than the {settings.MAX_UPLOAD_MB} MB limit per file."
        )
    if user_storage_bytes(persona.owner_id) + uploaded.size > settings.MAX_USER_STORAGE_MB * MB:
        raise UploadRejected(
            f"{name} would exceed your {settings.MAX_USER_STORAGE_MB} MB storage limit; "
            "remove files you no longer need first."
        )
    sha256 = _sha256(uploaded)
    same = persona.files.filter(sha256=sha256)
    duplicate = same.exclude(status=DataFile.Status.FAILED).first()
    if duplicate is not None:
        message = f"{name} was already uploaded as {duplicate.original_name}."
        raise DuplicateUpload(message, duplicate)
    # Uploading a file that failed again is a new attempt: the failed copy makes way.
    for failed in same:
        failed.delete()
    data_file = DataFile(persona=persona, original_name=name, size=uploaded.size, sha256=sha256)
    _save_file(data_file, uploaded)
    data_file.save()
    return data_file


def _save_file(data_file: DataFile, uploaded: UploadedFile) -> None:
    """Store the upload under its random name. A write that fails part-way (a full disk) leaves
    no partial file behind: no row would ever name it, so nothing, not even deleting the
    persona, would remove it."""
    target = data_file.file.field.generate_filename(data_file, data_file.original_name)
    storage = data_file.file.storage
    try:
        data_file.file.name = storage.save(target, uploaded)
    except OSError as exc:
        # A random name: nothing else is stored there. (No folder to delete it from when the
        # media folder itself is unusable.)
        with contextlib.suppress(OSError):
            storage.delete(target)
        raise UploadRejected(
            f"{data_file.original_name} could not be stored ({exc.strerror or exc}); "
            "nothing was saved. Try again later."
        ) from exc


def _push_status(data_file: DataFile) -> None:
    events.broadcast(
        events.persona_group(data_file.persona_id),
        {
            "type": "file",
            "id": data_file.pk,
            "status": data_file.status,
            "format": data_file.format,
            "error": data_file.error,
        },
    )


def _preselect_identity(persona: Persona) -> None:
    """Pre-select the likely author while all files are related (share an author); the user
    can change it. Files that share nobody may be chats of different people: then a selection
    that is one group's suggestion is dropped and the user picks, so that ticking their own
    name never adds an unrelated person to it."""
    parsed = persona.files.filter(status=DataFile.Status.PARSED).order_by("pk")
    suggestions = [name for _, name in suggest_identities([f.summary for f in parsed])]
    if len(suggestions) == 1 and not persona.identities:
        persona.identities = suggestions
    elif len(suggestions) > 1 and persona.identities in ([name] for name in suggestions):
        persona.identities = []
    else:
        return
    persona.save(update_fields=["identities", "updated_at"])


STOPPED = (
    "Reading stopped: the worker reading this file stopped responding. "
    "Retry, or remove the file."
)


def mark_stale_parses(persona: Persona | None = None) -> None:
    """Parses whose worker stopped beating fail, so the page offers a retry instead of showing
    "Reading" forever: a persona's, where the files' status is shown, and all of them on the
    workers' timer (personas.services.rescue)."""
    stale_before = timezone.now() - timedelta(seconds=settings.TRAINING_STALE_AFTER_S)
    files = persona.files if persona is not None else DataFile.objects
    stale = files.annotate(
        last_sign_of_life=Coalesce("heartbeat_at", "uploaded_at")
    ).filter(status=DataFile.Status.PARSING, last_sign_of_life__lt=stale_before)
    for data_file in stale:
        # Only if nothing changed since it was read: a worker may have finished meanwhile.
        claimed = DataFile.objects.filter(
            pk=data_file.pk, status=DataFile.Status.PARSING, heartbeat_at=data_file.heartbeat_at
        ).update(status=DataFile.Status.FAILED, error=STOPPED)
        if claimed:
            data_file.status, data_file.error = DataFile.Status.FAILED, STOPPED
            _push_status(data_file)


def parse_data_file(data_file: DataFile) -> DataFile:
    """Read the file's summary (format, conversations, participants); failures are recorded."""
    data_file.status, data_file.heartbeat_at = DataFile.Status.PARSING, timezone.now()
    data_file.save(update_fields=["status", "heartbeat_at"])
    suffix = PurePosixPath(data_file.file.name).suffix
    heartbeat = Heartbeat(
        DataFile.objects.filter(pk=data_file.pk, status=DataFile.Status.PARSING),
        f"heartbeat-file-{data_file.pk}",
    )
    heartbeat.start()
    try:
        with storage.local_file(data_file.file.name, suffix) as path:
            summary = inspect(path, name=data_file.original_name)
    except IngestionError as exc:
        data_file.status, data_file.error = DataFile.Status.FAILED, str(exc)
    except Exception:
        logger.exception("Parsing data file %s failed", data_file.pk)
        data_file.status = DataFile.Status.FAILED
        data_file.error = "This file could not be read. It may be damaged or in an unknown format."
    else:
        # The stored path is a random name: show the name the user knows.
        summary["path"] = data_file.original_name
        data_file.summary, data_file.format = summary, summary.get("format", "")
        data_file.status, data_file.error = DataFile.Status.PARSED, ""
    finally:
        heartbeat.stop()
    data_file.save(update_fields=["status", "error", "summary", "format"])
    if data_file.status == DataFile.Status.PARSED:
        _preselect_identity(data_file.persona)
    _push_status(data_file)
    return data_file
