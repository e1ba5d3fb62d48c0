"""Shared pieces of the persona management commands."""

import json
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from tqdm import tqdm

from personas.models import Persona


def split_target(target: str) -> tuple[str, str]:
    """USER/SLUG -> (username, slug)."""
    username, sep, slug = target.partition("/")
    if not sep or not username or not slug:
        raise CommandError(f"Name the persona as USER/SLUG, e.g. ana/me (got {target!r}).")
    return username, slug


def find_persona(target: str) -> Persona:
    username, slug = split_target(target)
    persona = Persona.objects.filter(owner__username=username, slug=slug).first()
    if persona is None:
        raise CommandError(
            f"No persona {target}. Import chats first: manage.py import_chats {target} FILE"
        )
    return persona


def get_or_create_user(username: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()  # a password can be set later with changepassword
        user.save()
    return user, created


def parse_overrides(items: list[str]) -> dict:
    """key=value pairs; values are read as JSON when they parse (numbers, true, null)."""
    overrides = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set takes key=value (got {item!r}).")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        overrides[key.strip()] = value
    return overrides


class ProgressBar:
    """A tqdm bar fed by modeling's Progress records."""

    def __init__(self, description: str):
        self.bar = tqdm(total=0, desc=description, unit="step", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, progress) -> None:
        if progress.total_steps and self.bar.total != progress.total_steps:
            self.bar.total = progress.total_steps
        self.bar.update(max(0, progress.step - self.bar.n))
        postfix = {"epoch": progress.epoch, "loss": f"{progress.train_loss:.3f}"}
        if progress.val_perplexity is not None:
            postfix["val_ppl"] = f"{progress.val_perplexity:.1f}"
        postfix["tok/s"] = f"{progress.tokens_per_s:.0f}"
        self.bar.set_postfix(postfix, refresh=False)

    def close(self) -> None:
        self.bar.close()
