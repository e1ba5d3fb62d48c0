import shutil
import signal
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from personas.management.cli import ProgressBar, parse_overrides
from personas.services import base_model
from personas.services.training import PRESET_NAMES


class Command(BaseCommand):
    help = (
        "Train the general conversational base model (chitchat-dataset and chatterbot-corpus "
        "English plus --extra corpora) into settings.BASE_MODEL_DIR; persona training starts "
        "from it when present. "
        "--set key=value overrides any config field."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--preset", choices=PRESET_NAMES,
            help="a preset's shape instead of the base model's own (modeling.base.base_config)",
        )
        parser.add_argument(
            "--extra", action="append", default=[], type=Path, metavar="PATH",
            help="another general corpus (a ConvAI2 JSON or chatterbot-corpus YAML file)",
        )
        parser.add_argument("--set", action="append", default=[], dest="overrides",
                            metavar="KEY=VALUE")
        parser.add_argument(
            "--if-missing", action="store_true",
            help="do nothing when a base model is already there (`make run` starts it this way)",
        )

    def handle(self, preset, extra, overrides, if_missing, **options):
        from modeling.base import base_config, base_model_at, train_base_model
        from modeling.config import make_config

        target = Path(settings.BASE_MODEL_DIR)
        if if_missing and base_model_at(target) is not None:
            self.stdout.write(f"Base model already at {target}.")
            return

        for path in extra:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
        try:
            values = parse_overrides(overrides)
            config = make_config(preset, **values) if preset else base_config(**values)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        # Train beside the target and swap at the end: persona training never sees half a model.
        staging = Path(tempfile.mkdtemp(prefix="base-model-", dir=target.parent))
        bar = ProgressBar(f"base model ({config.preset})")
        started = time.monotonic()

        def progress(record) -> None:
            bar(record)
            # The time limit usually ends the run: the share of the expected time is the truth.
            elapsed = time.monotonic() - started
            base_model.report_progress(
                int(100 * elapsed / max(elapsed + record.eta_s, 1.0)), record.eta_s
            )

        base_model.report_progress(0, None)
        # `make run` stops a background run with SIGTERM: unwind, so the staging folder goes.
        previous = signal.signal(signal.SIGTERM, _exit)
        try:
            result = train_base_model(staging, config, extra_paths=extra, progress=progress)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, Exception):
                base_model.report_failure(f"{type(exc).__name__}: {exc}")
            else:
                base_model.clear_status()  # stopped, not failed: the next start trains it
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)
            bar.close()
        artifact = Path(result.artifact_dir)
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        artifact.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        base_model.clear_status()
        self.stdout.write(f"Base model saved to {target}: {result.metrics}")


def _exit(signum, frame):
    raise SystemExit(128 + signum)
