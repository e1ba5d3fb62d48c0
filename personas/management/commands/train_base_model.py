import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from personas.management.cli import ProgressBar, parse_overrides
from personas.services.training import PRESET_NAMES


class Command(BaseCommand):
    help = (
        "Train the general conversational base model (chatterbot-corpus English plus --extra "
        "corpora) into settings.BASE_MODEL_DIR; persona training starts from it when present. "
        "--set key=value overrides any config field."
    )

    def add_arguments(self, parser):
        parser.add_argument("--preset", choices=PRESET_NAMES, default="quick")
        parser.add_argument(
            "--extra", action="append", default=[], type=Path, metavar="PATH",
            help="another general corpus (e.g. ../shared/corpora/seed-notebook/convai2/*.json)",
        )
        parser.add_argument("--set", action="append", default=[], dest="overrides",
                            metavar="KEY=VALUE")

    def handle(self, preset, extra, overrides, **options):
        from modeling.base import train_base_model
        from modeling.config import make_config

        for path in extra:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
        try:
            config = make_config(preset, **parse_overrides(overrides))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        target = Path(settings.BASE_MODEL_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Train beside the target and swap at the end: persona training never sees half a model.
        staging = Path(tempfile.mkdtemp(prefix="base-model-", dir=target.parent))
        bar = ProgressBar(f"base model ({preset})")
        try:
            result = train_base_model(staging, config, extra_paths=extra, progress=bar)
        except Exception:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            bar.close()
        artifact = Path(result.artifact_dir)
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        artifact.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        self.stdout.write(f"Base model saved to {target}: {result.metrics}")

