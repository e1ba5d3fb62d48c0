import json

from django.core.management.base import BaseCommand, CommandError

from personas.management.cli import find_persona
from personas.services import storage

KEYS = (
    "perplexity", "baseline_trigram_perplexity", "f1", "baseline_retrieval_f1",
    "distinct_1", "distinct_2", "style", "sounds_like_you", "samples",
)


class Command(BaseCommand):
    help = (
        "Evaluate the persona's active model on its held-out split against a trigram language "
        "model and a retrieval baseline."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="USER/SLUG")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument("--max-pairs", type=int, default=200, help="held-out pairs to score")

    def handle(self, target, as_json, max_pairs, **options):
        from modeling.errors import ArtifactError
        from modeling.evaluate import evaluate_artifact

        persona = find_persona(target)
        model = persona.active_model
        if model is None:
            raise CommandError(f"{target} has no trained model yet: run train_persona first.")
        try:
            result = evaluate_artifact(storage.local_dir(model.artifact_path), max_pairs=max_pairs)
        except ArtifactError as exc:
            raise CommandError(
                f"The model files of {target} v{model.version} are damaged: {exc}"
            ) from None
        model.metrics = {**model.metrics, **result}
        model.save(update_fields=["metrics"])
        if as_json:
            self.stdout.write(_dumps({key: result.get(key) for key in KEYS}))
        else:
            self.print_report(target, model.version, result)

    def print_report(self, target: str, version: int, result: dict) -> None:
        self.stdout.write(f"{target} model v{version}")
        rows = [
            ("perplexity", "perplexity", "baseline_trigram_perplexity"),
            ("token F1", "f1", "baseline_retrieval_f1"),
        ]
        self.stdout.write(f"{'':12}{'model':>10}{'baseline':>10}")
        for label, mine, base in rows:
            self.stdout.write(f"{label:12}{_num(result.get(mine)):>10}{_num(result.get(base)):>10}")
        self.stdout.write(f"distinct-1/2: {_num(result.get('distinct_1'))} / "
                          f"{_num(result.get('distinct_2'))}")
        self.stdout.write(f"sounds like you: {_dumps(result.get('sounds_like_you'))}")
        self.stdout.write(f"style: {_dumps(result.get('style'))}")
        for sample in (result.get("samples") or [])[:5]:
            self.stdout.write(f"- {_dumps(sample)}")


def _num(value) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "n/a"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
