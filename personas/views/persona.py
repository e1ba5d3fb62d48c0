"""The persona page: data, identity, training, sharing and deletion in one place."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ingestion import IngestionError, suggest_identities
from personas.forms import (
    DeletePersonaForm,
    IdentityForm,
    ReplyModeForm,
    ShareUserForm,
    TrainForm,
)
from personas.models import DataFile, Persona
from personas.services import base_model, corpus, deletion, uploads
from personas.services.access import persona_for_owner
from personas.services.training import progress_frame
from personas.views import summary

PREVIEW_CACHE_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class ConversationChoice:
    key: str  # "<file id>:<conversation id>", as stored in Persona.excluded_conversations
    title: str
    messages: int
    is_group: bool
    excluded: bool


def _file_card(data_file: DataFile) -> dict:
    info = data_file.summary or {}
    participants = sorted((info.get("participants") or {}).items(), key=lambda kv: -kv[1])
    return {
        "file": data_file,
        "error": data_file.error,
        "format": info.get("format") or data_file.format,
        "conversations": info.get("conversations"),
        "messages": info.get("messages"),
        "first": str(info.get("first") or "")[:10],
        "last": str(info.get("last") or "")[:10],
        "participants": participants,
        "warnings": info.get("warnings") or [],
        "skipped": info.get("skipped") or 0,
    }


def _authors(parsed: list[DataFile]) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for data_file in parsed:
        counts.update(data_file.summary.get("participants") or {})
    return counts.most_common()


def _conversation_choices(persona: Persona, parsed: list[DataFile]) -> list[ConversationChoice]:
    excluded = set(persona.excluded_conversations)
    choices = []
    for data_file in parsed:
        for conv in data_file.summary.get("conversation_list") or []:
            key = f"{data_file.pk}:{conv['id']}"
            choices.append(
                ConversationChoice(
                    key=key,
                    title=conv.get("title") or conv["id"],
                    messages=conv.get("messages") or 0,
                    is_group=bool(conv.get("is_group")),
                    excluded=key in excluded,
                )
            )
    return choices


def _pairs_preview(persona: Persona, parsed: list[DataFile]) -> tuple[list, str]:
    """Example pairs, cached by what they depend on: building them reads whole exports
    (about 0.8 s per MB), far too slow for every page view."""
    if not persona.identities:
        return [], ""
    depends_on = [persona.pk, [f.sha256 for f in parsed], persona.identities]
    depends_on.append(persona.excluded_conversations)
    key = "pairs-preview:" + hashlib.sha256(json.dumps(depends_on).encode()).hexdigest()
    pairs = cache.get(key)
    if pairs is None:
        try:
            pairs = corpus.preview_pairs(persona, n=5)
        except IngestionError as error:
            return [], str(error)
        cache.set(key, pairs, PREVIEW_CACHE_S)
    return pairs, ""


def identity_suggestions(parsed: list[DataFile]) -> list[tuple[str, list[str]]]:
    """(likely you, the files it is suggested for), one per group of related files."""
    return [
        (name, [parsed[i].original_name for i in indices])
        for indices, name in suggest_identities([f.summary for f in parsed])
    ]


def _identity_form(persona: Persona, parsed: list[DataFile], data=None) -> IdentityForm:
    authors = [name for name, _ in _authors(parsed)]
    suggestions = identity_suggestions(parsed)
    # Unrelated files may be chats of different people: pre-ticking one of them would train on
    # both once the user also ticks their own name, so then nothing is pre-ticked.
    selected = persona.identities or [name for name, _ in suggestions[:1] if len(suggestions) == 1]
    return IdentityForm(
        data,
        authors=authors,
        conversations=[c.key for c in _conversation_choices(persona, parsed)],
        initial={"identities": selected, "excluded": persona.excluded_conversations},
    )


def _context(request, persona: Persona, **overrides) -> dict:
    uploads.mark_stale_parses(persona)
    files = list(persona.files.all())
    parsed = [f for f in files if f.status == DataFile.Status.PARSED]
    runs = list(persona.runs.select_related("model"))
    active_run = next((run for run in runs if run.is_active), None)
    latest_run = runs[0] if runs else None
    pairs, pairs_error = _pairs_preview(persona, parsed)
    context = {
        "persona": persona,
        "state": summary.persona_state(persona),
        "files": [_file_card(f) for f in files],
        "busy_files": any(f.status not in ("parsed", "failed") for f in files),
        "parsed": parsed,
        "authors": _authors(parsed),
        "identity_form": _identity_form(persona, parsed),
        "identity_suggestions": identity_suggestions(parsed),
        "conversations": _conversation_choices(persona, parsed),
        "pairs": pairs,
        "pairs_error": pairs_error,
        "train_form": TrainForm(),
        "reply_mode_form": ReplyModeForm(instance=persona),
        "base_model": base_model.state(),
        "active_run": active_run,
        "runs": runs,
        "versions": list(persona.versions.select_related("run")),
        "headline": summary.headline(
            persona.active_model.metrics if persona.active_model else None
        ),
        "live_run": progress_frame(active_run or latest_run) if latest_run else None,
        "share_links": list(persona.share_links.filter(revoked_at__isnull=True)),
        "shared_with": list(
            Persona.shared_with.through.objects.filter(persona=persona)
            .select_related("user")
            .order_by("user__username")
        ),
        "share_form": ShareUserForm(persona=persona),
        "delete_form": DeletePersonaForm(persona=persona),
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "training_ws": f"/ws/personas/{persona.slug}/training/",
        "status_url": reverse("persona_status", args=[persona.slug]),
    }
    context.update(overrides)
    return context


@login_required
def persona_detail(request, slug):
    persona = persona_for_owner(request.user, slug)
    return render(request, "personas/persona.html", _context(request, persona))


@login_required
@require_POST
def save_identity(request, slug):
    persona = persona_for_owner(request.user, slug)
    parsed = list(persona.files.filter(status=DataFile.Status.PARSED))
    form = _identity_form(persona, parsed, data=request.POST)
    if not form.is_valid():
        return render(
            request,
            "personas/persona.html",
            _context(request, persona, identity_form=form),
            status=400,
        )
    persona.identities = form.cleaned_data["identities"]
    # Exclusions of files not shown in this form (still parsing) are kept.
    shown = {c.key for c in _conversation_choices(persona, parsed)}
    kept = [key for key in persona.excluded_conversations if key not in shown]
    persona.excluded_conversations = kept + form.cleaned_data["excluded"]
    persona.save(update_fields=["identities", "excluded_conversations", "updated_at"])
    messages.success(request, "Saved. The examples below show what the model will learn from.")
    return redirect(reverse("persona_detail", args=[slug]) + "#identity")


@login_required
@require_POST
def save_reply_mode(request, slug):
    persona = persona_for_owner(request.user, slug)
    form = ReplyModeForm(request.POST, instance=persona)
    if not form.is_valid():
        context = _context(request, persona, reply_mode_form=form)
        return render(request, "personas/persona.html", context, status=400)
    persona.save(update_fields=["reply_mode", "updated_at"])
    messages.success(request, "Saved. Every chat with this persona now replies this way.")
    return redirect(reverse("persona_detail", args=[slug]) + "#replies")


@login_required
def delete_persona(request, slug):
    persona = persona_for_owner(request.user, slug)
    form = DeletePersonaForm(request.POST or None, persona=persona)
    if request.method == "POST" and form.is_valid():
        name = persona.name
        deletion.delete_persona(persona)
        messages.success(request, f"{name} and all of its files, models and chats were deleted.")
        return redirect("dashboard")
    return render(
        request,
        "personas/persona_delete.html",
        {"persona": persona, "form": form},
        status=400 if request.method == "POST" else 200,
    )
