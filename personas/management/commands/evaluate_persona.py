import json

from django.core.management.base import BaseCommand, CommandError

from personas.management.cli import find_persona
from personas.services import storage

KEYS = (
    "verdict", "perplexity", "baseline_trigram_perplexity", "truncated_share", "hits_at_1",
    "baseline_retrieval_hits_at_1", "f1", "baseline_retrieval_f1", "distinct_1", "distinct_2",
    "repeated_replies", "repeated_tokens", "mean_length", "real_mean_length", "style",
    "sounds_like_you", "samples",
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
        verdict = result["verdict"]
        self.stdout.write(f"{target} model v{version}: {verdict['level'].upper()}. "
                          f"{verdict['summary']}")
        for problem in verdict["problems"]:
            self.stdout.write(f"  - it {problem}")
        for tip in verdict["advice"]:
            self.stdout.write(f"  > {tip}")
        rows = [
            ("perplexity", "perplexity", "baseline_trigram_perplexity"),
            ("token F1", "f1", "baseline_retrieval_f1"),
            ("Hits@1/20", "hits_at_1", "baseline_retrieval_hits_at_1"),
            ("distinct-2", "distinct_2", "baseline_retrieval_distinct_2"),
        ]
        self.stdout.write(f"{'':12}{'model':>10}{'baseline':>10}")
        for label, mine, base in rows:
            self.stdout.write(f"{label:12}{_num(result.get(mine)):>10}{_num(result.get(base)):>10}")
        self.stdout.write(
            f"repeated replies {_num(result.get('repeated_replies'))}, repeated words "
            f"{_num(result.get('repeated_tokens'))}, mean length "
            f"{_num(result.get('mean_length'))} words (real {_num(result.get('real_mean_length'))})"
            f", replies cut by training {_num(result.get('truncated_share'))}"
        )
        self.stdout.write(f"sounds like you: {_dumps(result.get('sounds_like_you'))}")
        self.stdout.write(f"style: {_dumps(result.get('style'))}")
        for sample in (result.get("samples") or [])[:5]:
            self.stdout.write(f"- {_dumps(sample)}")


def _num(value) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "n/a"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
