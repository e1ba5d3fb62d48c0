from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils import timezone

from personas.management.cli import ProgressBar, find_persona, parse_overrides
from personas.models import TrainingRun
from personas.services.training import (
    PRESET_NAMES,
    NoUsableData,
    RunDeleted,
    TrainingAlreadyActive,
    create_run,
    run_training,
)


class Command(BaseCommand):
    help = (
        "Train a persona's model in this process with a progress bar (the same code path as the "
        "web app's background task) and record the new model version. --set key=value overrides "
        "any TrainConfig or ModelConfig field, e.g. --set hidden_size=32 --set vocab_size=300 "
        "for a tiny test model."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="USER/SLUG")
        parser.add_argument("--preset", choices=PRESET_NAMES, default="quick")
        parser.add_argument("--epochs", type=int)
        parser.add_argument("--max-minutes", type=float)
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--resume", action="store_true",
            help="continue the persona's last unfinished run from its checkpoint",
        )
        parser.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
            help="override a config field (repeatable), e.g. --set hidden_size=32",
        )

    def handle(self, target, preset, epochs, max_minutes, seed, resume, overrides, **options):
        persona = find_persona(target)
        config = parse_overrides(overrides)
        config.update(
            {k: v for k, v in {"epochs": epochs, "max_minutes": max_minutes, "seed": seed}.items()
             if v is not None}
        )
        run = self.resumable_run(persona) if resume else self.new_run(persona, preset, config)
        bar = ProgressBar(f"{target} ({run.preset})")
        try:
            run = run_training(run.pk, resume=resume, on_progress=bar)
        except RunDeleted:
            raise CommandError(f"{target} was deleted while training; nothing was kept.") from None
        finally:
            bar.close()
        if run.status == TrainingRun.Status.SUCCEEDED:
            model = run.model
            ppl = model.metrics.get("perplexity")
            baseline = model.metrics.get("baseline_trigram_perplexity")
            verdict = model.metrics.get("verdict") or {}
            self.stdout.write(
                f"Model version {model.version} of {target} is active "
                f"(held-out perplexity {_fmt(ppl)}, trigram baseline {_fmt(baseline)}).\n"
                f"Verdict: {verdict.get('level', 'unknown')}: {verdict.get('summary', '')} "
                f"Run evaluate_persona {target} for the details."
            )
            return
        if run.status == TrainingRun.Status.RUNNING:
            raise CommandError(f"Run {run.pk} is being trained by another worker right now.")
        raise CommandError(f"Training {run.status}: {run.error or 'no reason recorded'}")

    def new_run(self, persona, preset, overrides) -> TrainingRun:
        try:
            return create_run(persona, preset, overrides)
        except (NoUsableData, TrainingAlreadyActive) as exc:
            raise CommandError(str(exc)) from None

    def resumable_run(self, persona) -> TrainingRun:
        run = persona.runs.exclude(status=TrainingRun.Status.SUCCEEDED).first()
        if run is None:
            raise CommandError(f"{persona} has no unfinished training run to resume.")
        if run.status in (TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED):
            try:
                TrainingRun.objects.filter(pk=run.pk).update(
                    status=TrainingRun.Status.QUEUED, cancel_requested=False, error="",
                    finished_at=None, heartbeat_at=timezone.now(),
                )
            except IntegrityError:
                raise CommandError(f"{persona} is already training.") from None
        self.stdout.write(f"Resuming run {run.pk} from its last checkpoint.")
        return run


def _fmt(value) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "n/a"
