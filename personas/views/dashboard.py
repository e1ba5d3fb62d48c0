"""The dashboard: the user's personas (and those shared with them) and the create form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from personas.forms import PersonaForm
from personas.models import DataFile, TrainingRun
from personas.services import base_model
from personas.views import summary


def _cards(personas):
    personas = personas.select_related("owner", "active_model").prefetch_related(
        Prefetch("files", queryset=DataFile.objects.only("id", "persona_id", "size", "status")),
        Prefetch("runs", queryset=TrainingRun.objects.defer("history")),
    )
    return [
        {
            "persona": p,
            "state": summary.persona_state(p),
            "size": summary.data_size(p),
            "last_trained": summary.last_trained(p),
            "headline": summary.headline(p.active_model.metrics if p.active_model else None),
        }
        for p in personas
    ]


def _render(request, form):
    return render(
        request,
        "personas/dashboard.html",
        {
            "cards": _cards(request.user.personas.all()),
            "shared": _cards(request.user.shared_personas.all()),
            "form": form,
            "base_model": base_model.state(),
            "base_model_log": base_model.log_tail(),
        },
    )


@login_required
def dashboard(request):
    return _render(request, PersonaForm())


@login_required
def base_model_status(request):
    """The base model's state for the dashboard's live line."""
    found = base_model.state()
    return JsonResponse({"key": found.key, "label": found.label, "percent": found.percent})


@login_required
@require_POST
def create_persona(request):
    form = PersonaForm(request.POST)
    if not form.is_valid():
        return _render(request, form)
    persona = form.save_for(request.user)
    messages.success(request, f"Created {persona.name}. Now upload a chat export.")
    return redirect(persona)
