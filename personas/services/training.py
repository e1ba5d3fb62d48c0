"""Training a persona's model: the one code path behind `manage.py train_persona` and the
background task. The TrainingRun row is the source of truth for progress, so any process
(web socket, CLI, another host) can follow a run; checkpoints live in the run's work dir in
storage so another worker can resume a run whose worker died."""

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from personas.models import DataFile, ModelVersion, Persona, TrainingRun
from personas.services import base_model, events, storage
from personas.services.corpus import persona_pairs
from personas.services.heartbeat import Heartbeat

logger = logging.getLogger(__name__)

PRESET_NAMES = ("quick", "standard", "thorough")
# A run is retried from its checkpoint this many times in all before it is marked failed.
MAX_ATTEMPTS = 3
PROGRESS_WRITE_INTERVAL_S = 0.5
CANCEL_CHECK_INTERVAL_S = 1.0
MAX_HISTORY_POINTS = 600
BASE_MODEL_POLL_S = 3.0
# The run override (not a model setting) by which a user starts without the base model.
FROM_SCRATCH = "from_scratch"


class TrainingAlreadyActive(Exception):
    """The persona already has a queued or running training."""


class NoUsableData(ValueError):
    """The persona has nothing to train on."""


class RunDeleted(Exception):
    """The run's persona (and with it the run) was deleted while the run waited or trained;
    what the run wrote is removed again."""


def _run_exists(run_id: int) -> bool:
    return TrainingRun.objects.filter(pk=run_id).exists()


def _check_still_wanted(run: TrainingRun) -> None:
    """Called before each write: a run whose persona is gone writes nothing more, since
    storage would otherwise bring the deleted persona's folders back."""
    if not _run_exists(run.pk):
        raise RunDeleted(f"run {run.pk} was deleted")


def check_usable_data(persona: Persona) -> None:
    if not persona.files.filter(status=DataFile.Status.PARSED).exists():
        raise NoUsableData(
            f"{persona.name} has no usable data yet: upload a chat export and let it be read first."
        )


def create_run(
    persona: Persona, preset: str = "quick", overrides: dict | None = None
) -> TrainingRun:
    """A queued run, refused when the persona has no data or already trains."""
    if preset not in PRESET_NAMES:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESET_NAMES)}.")
    check_usable_data(persona)
    try:
        with transaction.atomic():
            return TrainingRun.objects.create(
                persona=persona, preset=preset, overrides=dict(overrides or {})
            )
    except IntegrityError:
        raise TrainingAlreadyActive(f"{persona.name} is already training.") from None


# task_id of a run handed to the training queue before the queue has named its task.
DISPATCHED = "dispatched"


def _enqueue(run_id: int, resume: bool) -> None:
    from personas.tasks import train_persona_task  # tasks import this module

    def enqueue() -> None:
        result = train_persona_task.enqueue(run_id, resume)
        TrainingRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])

    # After commit, so a worker on another connection always finds the row.
    transaction.on_commit(enqueue)


def dispatch_next(owner_id: int) -> None:
    """Hand the owner's oldest waiting run to the training queue, unless one of theirs is
    already there or running: one user's runs train one at a time, in the order started, so a
    user with several long runs never holds every worker."""
    with transaction.atomic():
        # Locks the owner's row: two dispatches for one user never both pick a run.
        User.objects.select_for_update().filter(pk=owner_id).first()
        runs = TrainingRun.objects.filter(
            persona__owner_id=owner_id, status__in=TrainingRun.ACTIVE
        )
        if runs.filter(Q(status=TrainingRun.Status.RUNNING) | ~Q(task_id="")).exists():
            return
        waiting = runs.order_by("pk").first()
        if waiting is not None:
            TrainingRun.objects.filter(pk=waiting.pk).update(task_id=DISPATCHED)
            _enqueue(waiting.pk, resume=False)


def start_training(
    persona: Persona, preset: str = "quick", overrides: dict | None = None
) -> TrainingRun:
    """Queue a training run: handed to the training queue now, or once the owner's earlier
    runs have finished."""
    mark_stale_runs()  # a dead worker's run must not block a new one forever
    run = create_run(persona, preset, overrides)
    dispatch_next(persona.owner_id)
    run.refresh_from_db()
    return run


def cancel_training(run: TrainingRun) -> None:
    """A queued run is cancelled at once; a running one stops at its next step."""
    now = timezone.now()
    queued = TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.QUEUED)
    cancelled = TrainingRun.Status.CANCELLED
    if queued.update(status=cancelled, cancel_requested=True, finished_at=now):
        dispatch_next(run.persona.owner_id)  # the owner's next run moves up
    else:
        TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.RUNNING).update(
            cancel_requested=True
        )
    run.refresh_from_db()
    events.broadcast(events.training_group(run.pk), progress_frame(run))


def queue_place(run: TrainingRun) -> int | None:
    """A queued run's place in line: 1 + the queued runs started before it, anyone's."""
    if run.status != TrainingRun.Status.QUEUED:
        return None
    ahead = TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED, pk__lt=run.pk).count()
    return ahead + 1


def activate_model(persona: Persona, model_version: ModelVersion) -> None:
    if model_version.persona_id != persona.pk:
        raise ValueError("That model belongs to another persona.")
    persona.active_model = model_version
    persona.save(update_fields=["active_model", "updated_at"])


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.TRAINING_STALE_AFTER_S)


def _is_stale(run: TrainingRun) -> bool:
    last_sign_of_life = run.heartbeat_at or run.started_at or run.created_at
    return last_sign_of_life < _stale_before()


def mark_stale_runs() -> list[int]:
    """Runs whose worker stopped beating: queued again to resume from their checkpoint, or
    failed after MAX_ATTEMPTS. Returns the ids of the runs that were re-queued."""
    requeued, ended = [], set()
    stale = TrainingRun.objects.select_related("persona").annotate(
        last_sign_of_life=Coalesce("heartbeat_at", "started_at", "created_at")
    ).filter(status=TrainingRun.Status.RUNNING, last_sign_of_life__lt=_stale_before())
    for run in stale:
        # Only the caller whose update matches acts, so two processes never both take a run.
        claim = TrainingRun.objects.filter(
            pk=run.pk, status=TrainingRun.Status.RUNNING, heartbeat_at=run.heartbeat_at
        )
        now = timezone.now()
        if run.cancel_requested:
            if claim.update(
                status=TrainingRun.Status.CANCELLED, error="Cancelled.", finished_at=now
            ):
                ended.add(run.persona.owner_id)
        elif run.attempts >= MAX_ATTEMPTS:
            error = f"The training worker stopped responding {run.attempts} times; giving up."
            if claim.update(status=TrainingRun.Status.FAILED, error=error, finished_at=now):
                ended.add(run.persona.owner_id)
        elif claim.update(status=TrainingRun.Status.QUEUED, heartbeat_at=now):
            _enqueue(run.pk, resume=True)
            requeued.append(run.pk)
    for owner_id in ended:
        dispatch_next(owner_id)
    return requeued


def progress_frame(run: TrainingRun) -> dict:
    """The websocket frame for a run's state, built from the row (the source of truth)."""
    model = ModelVersion.objects.filter(run_id=run.pk).values_list("version", flat=True).first()
    return {
        "type": "progress",
        "run": run.pk,
        "status": run.status,
        # Every element of the page that names the run's state shows these (training.js).
        "status_label": run.get_status_display(),
        "started": date_format(localtime(run.started_at), "M j, H:i") if run.started_at else "",
        "preset": run.preset,
        "step": run.step,
        "total_steps": run.total_steps,
        "percent": run.percent,
        "epoch": run.epoch,
        "train_loss": run.train_loss,
        "val_perplexity": run.val_perplexity,
        "tokens_per_s": run.tokens_per_s,
        "eta_s": run.eta_s,
        "phase": run.phase,
        "error": run.error,
        "cancel_requested": run.cancel_requested,
        "queue_place": queue_place(run),
        "attempts": run.attempts,
        "model_version": model,
        "history": run.history,
    }


def _claim(run_id: int) -> TrainingRun | None:
    """Mark the run as ours, or None when it is finished, cancelled or alive elsewhere."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().select_related("persona")
        run = run.filter(pk=run_id).first()
        if run is None:
            raise RunDeleted(f"run {run_id} was deleted")
        if run.status == TrainingRun.Status.RUNNING and not _is_stale(run):
            return None
        if run.status not in TrainingRun.ACTIVE:
            return None
        now = timezone.now()
        run.status, run.error = TrainingRun.Status.RUNNING, ""
        run.attempts += 1
        run.heartbeat_at = now
        run.started_at = run.started_at or now
        run.save(update_fields=["status", "error", "attempts", "heartbeat_at", "started_at"])
        return run


class _Reporter:
    """Progress callback: writes the row at most every PROGRESS_WRITE_INTERVAL_S, pushes a
    frame to the run's group, and answers should_stop from the row's cancel flag."""

    def __init__(self, run: TrainingRun, on_progress: Callable | None, sync_checkpoints):
        self.run = run
        self.on_progress = on_progress
        self.sync_checkpoints = sync_checkpoints
        self.pending = None
        self.last_write = 0.0
        self.last_cancel_check = 0.0
        self.cancelled = False

    def __call__(self, progress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)
        if self.pending is not None and progress.epoch != self.pending.epoch:
            self.sync_checkpoints()
        self.pending = progress
        if time.monotonic() - self.last_write >= PROGRESS_WRITE_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        progress, run = self.pending, self.run
        if progress is None:
            return
        self.pending = None
        self.last_write = time.monotonic()
        run.step, run.total_steps, run.epoch = progress.step, progress.total_steps, progress.epoch
        run.train_loss = _finite(progress.train_loss)
        run.val_perplexity = _finite(progress.val_perplexity)
        run.tokens_per_s = _finite(progress.tokens_per_s)
        run.eta_s = _finite(progress.eta_s)
        run.history = _append_point(run.history, run)
        run.heartbeat_at = timezone.now()
        fields = ["step", "total_steps", "epoch", "train_loss", "val_perplexity"]
        fields += ["tokens_per_s", "eta_s", "history", "heartbeat_at"]
        if not TrainingRun.objects.filter(pk=run.pk).update(**{f: getattr(run, f) for f in fields}):
            self.cancelled = True  # deleted with its persona: stop at the next step
            return
        events.broadcast(events.training_group(run.pk), progress_frame(run))

    def should_stop(self) -> bool:
        if time.monotonic() - self.last_cancel_check >= CANCEL_CHECK_INTERVAL_S:
            self.last_cancel_check = time.monotonic()
            row = TrainingRun.objects.filter(pk=self.run.pk)
            # A deleted run (its persona was deleted) stops like a cancelled one.
            self.cancelled = row.values_list("cancel_requested", flat=True).first() in (True, None)
        return self.cancelled


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


def _append_point(history: list, run: TrainingRun) -> list:
    point = {
        "step": run.step,
        "epoch": run.epoch,
        "train_loss": run.train_loss,
        "val_perplexity": run.val_perplexity,
    }
    history = [*history, point]
    if len(history) > MAX_HISTORY_POINTS:
        # Keep the curve's shape in bounded space: every other old point, all of the newest.
        history = history[:-1:2] + history[-1:]
    return history


def _work_dir(run: TrainingRun, resume: bool) -> tuple[Path, Callable[[], None]]:
    """The local folder train() writes to, and how to copy its checkpoints to storage."""
    prefix = run.work_dir_name()
    _check_still_wanted(run)
    if storage.local_root() is not None:
        path = storage.local_dir(prefix)
        path.mkdir(parents=True, exist_ok=True)
        return path, lambda: None
    path = storage.local_cache_dir() / "work" / prefix
    path.mkdir(parents=True, exist_ok=True)
    if resume and not (path / "checkpoints").exists():
        storage.download_dir(f"{prefix}/checkpoints", path / "checkpoints")

    def sync() -> None:
        _check_still_wanted(run)
        if (path / "checkpoints").exists():
            storage.upload_dir(path / "checkpoints", f"{prefix}/checkpoints")

    return path, sync


def _store_artifact(run: TrainingRun, artifact_dir: Path) -> str:
    """Storage-relative folder of the artifact (uploaded when storage is not this disk)."""
    root = storage.local_root()
    if root is not None:
        try:
            return artifact_dir.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    prefix = f"{run.work_dir_name()}/artifact"
    storage.upload_dir(artifact_dir, prefix)
    return prefix


def _evaluate(artifact_dir: Path) -> dict:
    from modeling.evaluate import evaluate_artifact

    max_pairs = settings.EVALUATION_MAX_PAIRS
    try:
        return evaluate_artifact(artifact_dir, max_pairs=max_pairs)
    except Exception as exc:
        # The model is still usable; its page shows why there are no metrics.
        logger.exception("Evaluating %s failed", artifact_dir)
        return {"evaluation_error": f"Evaluation failed: {exc}"}


def _finish(run: TrainingRun, status: str, error: str = "") -> TrainingRun:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    fields = {"status": status, "error": error, "finished_at": run.finished_at}
    if not TrainingRun.objects.filter(pk=run.pk).update(**fields):
        raise RunDeleted(f"run {run.pk} was deleted")
    events.broadcast(events.training_group(run.pk), progress_frame(run))
    dispatch_next(run.persona.owner_id)  # the owner's next run, if any, takes its turn
    return run


def _readable(exc: Exception) -> str:
    from modeling.errors import NoTrainingData

    if isinstance(exc, NoTrainingData):
        return f"No usable training data: {exc}"
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)  # e.g. an unknown override: the message names it
    if isinstance(exc, OSError):
        return f"Could not write the model files ({exc.strerror or exc}); the previous model stays."
    return f"Training failed unexpectedly ({type(exc).__name__}: {exc}); the previous model stays."


def _set_phase(run: TrainingRun, phase: str) -> None:
    run.phase = phase
    TrainingRun.objects.filter(pk=run.pk).update(phase=phase, heartbeat_at=timezone.now())
    events.broadcast(events.training_group(run.pk), progress_frame(run))


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _wait_for_base_model(run: TrainingRun, reporter: _Reporter, from_scratch: bool):
    """The base model to continue, or None. While it is still training the run waits for it,
    saying so, unless the user chose to start from scratch."""
    from modeling.base import base_model_at

    while not from_scratch and not reporter.should_stop():
        found = base_model.state()
        if found.key != "training":
            break
        _set_phase(run, f"waiting for the {found.label} (your model starts from it)")
        time.sleep(BASE_MODEL_POLL_S)
    return None if from_scratch else base_model_at(settings.BASE_MODEL_DIR)


def _train(run: TrainingRun, resume: bool, reporter: _Reporter, work_dir: Path):
    _set_phase(run, "loading TensorFlow…")
    from modeling.base import general_pairs
    from modeling.config import make_config
    from modeling.train import train

    overrides = dict(run.overrides)
    from_scratch = bool(overrides.pop(FROM_SCRATCH, False))
    config = make_config(run.preset, **overrides)  # a bad override fails before any work
    base = _wait_for_base_model(run, reporter, from_scratch)
    files = run.persona.files.filter(status=DataFile.Status.PARSED).count()
    _set_phase(run, f"reading {_plural(files, 'file')}…")
    pairs = persona_pairs(run.persona)
    # The general corpora are read only when there is a base model to continue.
    general = general_pairs() if base is not None else ()
    extra = f" plus {_plural(len(general), 'general pair')}" if general else ""
    # modeling.train reports nothing before its first step; these are its next stages.
    _set_phase(
        run,
        f"{_plural(len(pairs), 'training pair')} from {_plural(files, 'file')}{extra}; "
        "training the tokenizer and building the model…",
    )
    return train(
        pairs,
        work_dir,
        config,
        progress=reporter,
        should_stop=reporter.should_stop,
        resume=resume and (work_dir / "checkpoints").exists(),
        base_model=base,
        general_pairs=general,
    )


def chat_addressees(table: list[str]) -> list[str]:
    """The names the chat page offers: the model's addressee table without its row 0, the
    "anyone" fallback, which the page offers as its own first option."""
    return list(table[1:])


def _record_model(run: TrainingRun, result) -> ModelVersion:
    _check_still_wanted(run)
    artifact_path = _store_artifact(run, Path(result.artifact_dir))
    metrics = {**result.metrics, **_evaluate(storage.local_dir(artifact_path))}
    with transaction.atomic():
        latest = run.persona.versions.aggregate(latest=Max("version"))["latest"] or 0
        version = ModelVersion.objects.create(
            persona=run.persona,
            run=run,
            version=latest + 1,
            artifact_path=artifact_path,
            metrics=metrics,
            addressees=chat_addressees(result.addressees),
        )
        activate_model(run.persona, version)
    storage.delete_tree(f"{run.work_dir_name()}/checkpoints")  # only needed to resume
    return version


def _remove_leftovers(run: TrainingRun) -> None:
    """Deletion wins the race: whatever the run wrote after its persona's files were removed
    (modeling creates missing folders as it saves) is removed too, with the folders left empty."""
    prefix = run.work_dir_name()
    storage.delete_tree(prefix)
    storage.remove_empty_parents(prefix)


def run_training(
    run_id: int, resume: bool = False, on_progress: Callable | None = None
) -> TrainingRun:
    """Train, store, evaluate and activate the model of a queued run. Failures end in status
    failed with a readable error; the persona's previous active model stays. Raises RunDeleted
    when the persona is deleted before or while the run trains."""
    run = _claim(run_id)
    if run is None:
        return TrainingRun.objects.get(pk=run_id)
    heartbeat = Heartbeat(
        TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.RUNNING),
        f"heartbeat-run-{run.pk}",
    )
    heartbeat.start()
    try:
        # A later attempt always continues from the checkpoints an earlier one left.
        return _run_claimed(run, resume or run.attempts > 1, on_progress)
    finally:
        heartbeat.stop()
        if not _run_exists(run.pk):
            _remove_leftovers(run)


def _run_claimed(run: TrainingRun, resume: bool, on_progress: Callable | None) -> TrainingRun:
    try:
        work_dir, sync_checkpoints = _work_dir(run, resume)
        reporter = _Reporter(run, on_progress, sync_checkpoints)
        result = _train(run, resume, reporter, work_dir)
        reporter.flush()
        if result.cancelled:
            return _finish(run, TrainingRun.Status.CANCELLED, "Cancelled before the end.")
        _record_model(run, result)
        return _finish(run, TrainingRun.Status.SUCCEEDED)
    except RunDeleted:
        raise
    except Exception as exc:
        if not _run_exists(run.pk):
            raise RunDeleted(f"run {run.pk} was deleted") from exc
        logger.exception("Training run %s failed", run.pk)
        return _finish(run, TrainingRun.Status.FAILED, _readable(exc))
