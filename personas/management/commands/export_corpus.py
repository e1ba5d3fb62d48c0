"""`manage.py export_corpus PATH [PATH ...] --me NAME [--format yml|jsonl] [-o OUT]`."""

import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ingestion import CleaningPolicy, IngestionError, build_pairs, write_corpus


class Command(BaseCommand):
    help = (
        "Turn chat exports into training pairs for the person named by --me (pair formats such"
        " as YAML corpora and ConvAI2 need no --me) and write them as YAML or JSON Lines."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", metavar="PATH", nargs="+", type=Path)
        parser.add_argument(
            "--me",
            action="append",
            default=[],
            metavar="NAME",
            help="an author name that is this person (repeat for aliases)",
        )
        parser.add_argument("--format", choices=("yml", "jsonl"), default="yml")
        parser.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
        parser.add_argument("--context-turns", type=int, default=3)
        parser.add_argument(
            "--strict",
            action="store_true",
            help="the original notebook's cleaning: lowercase, no emoji or special characters",
        )
        parser.add_argument("--convai2-side", default="Bot", choices=("Bot", "Human"))

    def handle(self, paths, me, format, output, context_turns, strict, convai2_side, **options):
        policy = CleaningPolicy.strict() if strict else CleaningPolicy()
        try:
            pairs = build_pairs(
                paths, me, policy=policy, context_turns=context_turns, convai2_side=convai2_side
            )
        except IngestionError as exc:
            raise CommandError(str(exc)) from exc
        if not pairs:
            who = ", ".join(me) if me else "nobody (no --me given)"
            raise CommandError(
                f"No training pairs: the identity {who} never answers anyone in these files. "
                "Check the names with: manage.py inspect_archive PATH"
            )
        if output is None:
            buffer = io.StringIO()  # Django's stdout wrapper would add a newline per write
            write_corpus(pairs, format, buffer)
            self.stdout.write(buffer.getvalue(), ending="")
        else:
            with open(output, "w", encoding="utf-8") as out:
                write_corpus(pairs, format, out)
        self.stderr.write(f"{len(pairs)} pairs written to {output or 'stdout'}")
