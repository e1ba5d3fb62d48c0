"""Share links (revocable, for anyone with the link) and sharing with named users."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from personas.forms import ShareUserForm
from personas.models import Persona, ShareLink
from personas.security import share_lookups_exhausted
from personas.services.access import persona_for_owner


def _sharing_url(slug: str) -> str:
    return reverse("persona_detail", args=[slug]) + "#sharing"


@login_required
@require_POST
def create_share_link(request, slug):
    persona = persona_for_owner(request.user, slug)
    ShareLink.objects.create(persona=persona)
    messages.success(request, "Share link created: anyone with it can chat, nothing more.")
    return redirect(_sharing_url(slug))


@login_required
@require_POST
def revoke_share_link(request, slug, link_id):
    persona = persona_for_owner(request.user, slug)
    link = get_object_or_404(ShareLink, pk=link_id, persona=persona, revoked_at__isnull=True)
    link.revoke()
    messages.success(request, "Share link revoked: it no longer works.")
    return redirect(_sharing_url(slug))


@login_required
@require_POST
def share_with_user(request, slug):
    persona = persona_for_owner(request.user, slug)
    form = ShareUserForm(request.POST, persona=persona)
    if share_lookups_exhausted(request.user.pk):
        messages.error(request, "Too many names tried. Please try again in an hour.")
    elif form.is_valid():
        user = form.cleaned_data["username"]
        persona.shared_with.add(user)
        messages.success(request, f"{user.username} can now chat with {persona.name}.")
    else:
        messages.error(request, " ".join(form.errors.get("username", ["Check the name."])))
    return redirect(_sharing_url(slug))


@login_required
@require_POST
def unshare_with_user(request, slug, share_id):
    """share_id is the share entry's own id, not the user's: any other number answers 404,
    so the URL cannot be used to look up other users' names."""
    persona = persona_for_owner(request.user, slug)
    entry = get_object_or_404(
        Persona.shared_with.through.objects.select_related("user"), pk=share_id, persona=persona
    )
    entry.delete()
    messages.success(request, f"{entry.user.username} can no longer chat with {persona.name}.")
    return redirect(_sharing_url(slug))
