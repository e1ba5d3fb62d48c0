"""Deleting a persona (or a whole account) removes its files, not just its rows. Files go
after the transaction commits, so a rolled-back delete never loses data."""

from django.db import transaction
from django.db.models.signals import post_delete

from personas.models import DataFile, ModelVersion, Persona
from personas.services import chat, storage


def persona_prefix(persona: Persona) -> str:
    """Storage folder holding every run work dir and artifact of the persona."""
    return f"models/{persona.owner_id}/{persona.pk}"


def delete_persona(persona: Persona) -> None:
    """Remove the persona, its uploads, parsed data, models and conversations."""
    with transaction.atomic():
        persona.delete()  # the receivers below queue the file removal


def _remove_upload(sender, instance: DataFile, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: instance.file.storage.delete(name))


def _remove_persona_files(sender, instance: Persona, **kwargs) -> None:
    prefix = persona_prefix(instance)
    transaction.on_commit(lambda: storage.delete_tree(prefix))


def _forget_model(sender, instance: ModelVersion, **kwargs) -> None:
    version_id = instance.pk  # read now: Django clears pk once the delete is done
    transaction.on_commit(lambda: chat.forget([version_id]))


def connect_signals() -> None:
    """Called from the app config: cascades (a deleted user) clean up as well."""
    post_delete.connect(_remove_upload, sender=DataFile, dispatch_uid="personas-remove-upload")
    post_delete.connect(
        _remove_persona_files, sender=Persona, dispatch_uid="personas-remove-persona-files"
    )
    post_delete.connect(_forget_model, sender=ModelVersion, dispatch_uid="personas-forget-model")
