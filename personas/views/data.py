"""Uploading, removing and downloading a persona's data, and the status the page polls."""

import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ingestion import IngestionError
from personas.models import DataFile
from personas.services import corpus, uploads
from personas.services.access import persona_for_owner
from personas.services.training import progress_frame
from personas.tasks import parse_data_file_task
from personas.upload_handlers import oversized_uploads

CORPUS_TYPES = {"yml": "application/x-yaml", "jsonl": "application/x-ndjson"}


def _wants_json(request) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


def _file_status(data_file: DataFile) -> dict:
    return {
        "id": data_file.pk,
        "name": data_file.original_name,
        "status": data_file.status,
        "label": data_file.get_status_display(),
        "error": data_file.error,
    }


@login_required
@require_POST
def upload_files(request, slug):
    """Store each file, then parse it in the background; one bad file does not stop the rest."""
    persona = persona_for_owner(request.user, slug)
    stored, errors = [], []
    uploaded_files = request.FILES.getlist("files")
    for name in oversized_uploads(request):
        errors.append(f"{name} is larger than the {settings.MAX_UPLOAD_MB} MB limit per file.")
    if not uploaded_files and not errors:
        errors.append("Choose at least one file.")
    for uploaded in uploaded_files:
        try:
            data_file = uploads.store_upload(persona, uploaded)
        except uploads.UploadRejected as error:
            errors.append(str(error))
            continue
        parse_data_file_task.enqueue(data_file.pk)
        stored.append(data_file)
    if _wants_json(request):
        return JsonResponse(
            {"files": [_file_status(f) for f in stored], "errors": errors},
            status=200 if stored or not errors else 400,
        )
    for error in errors:
        messages.error(request, error)
    if stored:
        messages.success(request, f"Uploaded {len(stored)} file(s); reading them now.")
    return redirect(reverse("persona_detail", args=[slug]) + "#data")


@login_required
@require_GET
def persona_status(request, slug):
    """Files' parse status and the latest run: what the page polls when no socket is open."""
    persona = persona_for_owner(request.user, slug)
    uploads.mark_stale_parses(persona)
    latest = persona.runs.first()
    return JsonResponse(
        {
            "files": [_file_status(f) for f in persona.files.all()],
            "run": progress_frame(latest) if latest else None,
        }
    )


@login_required
@require_POST
def remove_file(request, slug, file_id):
    persona = persona_for_owner(request.user, slug)
    data_file = get_object_or_404(DataFile, pk=file_id, persona=persona)
    name = data_file.original_name
    # The upload leaves the disk with the row (personas.services.deletion); its exclusions go too.
    data_file.delete()
    prefix = f"{file_id}:"
    persona.excluded_conversations = [
        key for key in persona.excluded_conversations if not key.startswith(prefix)
    ]
    persona.save(update_fields=["excluded_conversations", "updated_at"])
    messages.success(request, f"Removed {name}.")
    return redirect(reverse("persona_detail", args=[slug]) + "#data")


@login_required
@require_POST
def retry_file(request, slug, file_id):
    """Read a failed file again (its worker may have died mid-way)."""
    persona = persona_for_owner(request.user, slug)
    data_file = get_object_or_404(
        DataFile, pk=file_id, persona=persona, status=DataFile.Status.FAILED
    )
    data_file.status, data_file.error = DataFile.Status.PENDING, ""
    data_file.save(update_fields=["status", "error"])
    parse_data_file_task.enqueue(data_file.pk)
    messages.success(request, f"Reading {data_file.original_name} again.")
    return redirect(reverse("persona_detail", args=[slug]) + "#data")


@login_required
@require_GET
def download_corpus(request, slug, fmt):
    persona = persona_for_owner(request.user, slug)
    if fmt not in CORPUS_TYPES:
        raise Http404("Unknown corpus format.")
    chunks = corpus.stream_persona_corpus(persona, fmt)
    try:
        # The first chunk is read here, so a file that cannot be read still gets a page.
        first = next(chunks, "")
    except IngestionError as error:
        messages.error(request, f"Could not build the corpus: {error}")
        return redirect(reverse("persona_detail", args=[slug]) + "#identity")
    response = StreamingHttpResponse(
        itertools.chain([first], chunks), content_type=f"{CORPUS_TYPES[fmt]}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{persona.slug}-corpus.{fmt}"'
    return response
