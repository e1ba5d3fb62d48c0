"""The data model: personas, their uploaded exports, training runs, model versions,
conversations and sharing. Files live in Django's storage under random names."""

import secrets
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from modeling.options import DEFAULT_MODE, MODES


def upload_path(instance: "DataFile", filename: str) -> str:
    # Random names: the original name is kept in the row, never on disk. Only a short
    # alphanumeric suffix survives, because parsers use it as a hint (".zip", ".json").
    suffix = PurePosixPath(filename).suffix.lower()
    if not (suffix[1:].isascii() and suffix[1:].isalnum() and len(suffix) <= 6):
        suffix = ""
    return f"uploads/{instance.persona.owner_id}/{uuid.uuid4().hex}{suffix}"


class Persona(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personas"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    # Author names (aliases across files) that are this person.
    identities = models.JSONField(default=list, blank=True)
    # Conversation ids ("<file id>:<conversation>") left out of training.
    excluded_conversations = models.JSONField(default=list, blank=True)
    # Where every chat's replies come from (modeling.options.MODES): the owner's choice, used
    # for everyone who chats with the persona.
    reply_mode = models.CharField(
        max_length=10, choices=[(mode, mode) for mode in MODES], default=DEFAULT_MODE
    )
    active_model = models.ForeignKey(
        "ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_personas"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="unique_persona_slug_per_owner")
        ]
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.owner}/{self.slug}"

    def get_absolute_url(self) -> str:
        return reverse("persona_detail", args=[self.slug])


class DataFile(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be read"
        PARSING = "parsing", "Reading"
        PARSED = "parsed", "Ready"
        FAILED = "failed", "Could not be read"

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="files")
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to=upload_path, max_length=255)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    format = models.CharField(max_length=40, blank=True)
    # The inspect_archive object of ingestion for this file.
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Beaten while a worker reads the file: a parse whose beat stops has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Training"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="runs")
    preset = models.CharField(max_length=20, default="quick")
    # Overrides of the preset's TrainConfig (epochs, max_minutes, seed, tiny shapes for tests).
    overrides = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    epoch = models.PositiveIntegerField(default=0)
    train_loss = models.FloatField(null=True, blank=True)
    val_perplexity = models.FloatField(null=True, blank=True)
    tokens_per_s = models.FloatField(null=True, blank=True)
    eta_s = models.FloatField(null=True, blank=True)
    # What a running run does before its first step (loading, reading, counts): shown instead of
    # "0%" during the half minute or so before training proper begins.
    phase = models.CharField(max_length=200, blank=True)
    # Points for the live curves: [{"step", "epoch", "train_loss", "val_perplexity"}].
    history = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One active training per persona, enforced by the database.
            models.UniqueConstraint(
                fields=["persona"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_run_per_persona",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.persona} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(100 * self.step / self.total_steps) if self.total_steps else 0

    def work_dir_name(self) -> str:
        """Storage-relative folder for this run's checkpoints and artifact."""
        return f"models/{self.persona.owner_id}/{self.persona_id}/run-{self.pk}"


class ModelVersion(models.Model):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="versions")
    run = models.OneToOneField(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="model"
    )
    version = models.PositiveIntegerField()
    # Storage-relative directory of the modeling artifact.
    artifact_path = models.CharField(max_length=255)
    metrics = models.JSONField(default=dict, blank=True)
    addressees = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["persona", "version"], name="unique_model_version")
        ]

    def __str__(self) -> str:
        return f"{self.persona} v{self.version}"


class ShareLink(models.Model):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class Conversation(models.Model):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="conversations")
    # The signed-in person chatting (owner or a user it was shared with) ...
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    # ... or an anonymous visitor of a share link, identified by their session key.
    share_link = models.ForeignKey(ShareLink, null=True, blank=True, on_delete=models.CASCADE)
    visitor_key = models.CharField(max_length=64, blank=True)
    addressee = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        USER = "user", "You"
        PERSONA = "persona", "Persona"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
