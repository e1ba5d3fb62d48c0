"""Starting and cancelling training, switching the active model, downloading it."""

import shutil
import tempfile
import zipfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from personas.forms import TrainForm
from personas.models import ModelVersion, TrainingRun
from personas.services import storage, training
from personas.services.access import persona_for_owner


def _training_url(slug: str) -> str:
    return reverse("persona_detail", args=[slug]) + "#training"


@login_required
@require_POST
def start_training(request, slug):
    """Enqueue a run. settings.TRAIN_OVERRIDES (env DIGITAL_YOU_TRAIN_OVERRIDES) shrinks every
    run started from the web, a knob for browser tests and demos on slow machines."""
    persona = persona_for_owner(request.user, slug)
    form = TrainForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the presets.")
        return redirect(_training_url(slug))
    overrides = dict(settings.TRAIN_OVERRIDES)
    if form.cleaned_data["from_scratch"]:
        overrides[training.FROM_SCRATCH] = True
    try:
        training.start_training(persona, preset=form.cleaned_data["preset"], overrides=overrides)
    except training.TrainingAlreadyActive:
        messages.warning(request, "A training run is already in progress: wait or cancel it.")
    except training.NoUsableData as error:
        messages.error(request, str(error) or "There is nothing to train on yet.")
    else:
        messages.success(request, "Training queued. Progress shows below; you can leave the page.")
    return redirect(_training_url(slug))


@login_required
@require_POST
def cancel_training(request, slug, run_id):
    persona = persona_for_owner(request.user, slug)
    run = get_object_or_404(TrainingRun, pk=run_id, persona=persona)
    if run.is_active:
        training.cancel_training(run)
        messages.info(request, "Cancelling: the run stops after the current step.")
    else:
        messages.info(request, "That run is no longer active.")
    return redirect(_training_url(slug))


@login_required
@require_POST
def activate_version(request, slug, version_id):
    persona = persona_for_owner(request.user, slug)
    version = get_object_or_404(ModelVersion, pk=version_id, persona=persona)
    training.activate_model(persona, version)
    messages.success(request, f"Model version {version.version} is now active.")
    return redirect(_training_url(slug))


@login_required
@require_GET
def download_model(request, slug):
    """The active model artifact as a zip, built in a temporary file and streamed."""
    persona = persona_for_owner(request.user, slug)
    version = persona.active_model
    if version is None:
        raise Http404("This persona has no trained model yet.")
    names = list(storage.walk(version.artifact_path))
    if not names:
        raise Http404("The model files are missing.")
    archive = tempfile.TemporaryFile()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in names:
            arcname = name[len(version.artifact_path) :].lstrip("/")
            with default_storage.open(name, "rb") as src, zipped.open(arcname, "w") as dst:
                shutil.copyfileobj(src, dst)
    archive.seek(0)
    return FileResponse(
        archive, as_attachment=True, filename=f"{persona.slug}-model-v{version.version}.zip"
    )
