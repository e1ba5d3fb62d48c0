"""`manage.py inspect_archive PATH [PATH ...] [--json | --messages]`: what chat exports contain."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ingestion import IngestionError, inspect, iter_messages


class Command(BaseCommand):
    help = "Describe chat exports: format, conversations, participants, dates, skipped lines."

    def add_arguments(self, parser):
        parser.add_argument("paths", metavar="PATH", nargs="+", type=Path)
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print a JSON array")
        output.add_argument(
            "--messages", action="store_true", help="print the raw messages as JSON Lines"
        )

    def handle(self, paths, json: bool = False, messages: bool = False, **options):
        try:
            if messages:
                self._messages(paths)
            elif json:
                self._json(paths)
            else:
                for path in paths:
                    self._readable(inspect(path))
        except IngestionError as exc:
            raise CommandError(str(exc)) from exc

    def _json(self, paths):
        self.stdout.write(json_dumps([inspect(path) for path in paths], indent=2))

    def _messages(self, paths):
        for path in paths:
            for message in iter_messages(path):
                if message.kind != "text":
                    continue  # the same messages that `messages` counts
                record = {
                    "timestamp": message.timestamp.isoformat() if message.timestamp else None,
                    "author": message.author,
                    "text": message.text,
                    "conversation": message.conversation,
                }
                self.stdout.write(json_dumps(record))

    def _readable(self, summary: dict):
        write = self.stdout.write
        write(f"{summary['path']}: {summary['format']}")
        write(
            f"  {summary['messages']} messages in {summary['conversations']} conversation(s),"
            f" {summary['first'] or '?'} .. {summary['last'] or '?'}"
        )
        for name, count in list(summary["participants"].items())[:20]:
            write(f"  {count:>8}  {name}")
        if summary.get("suggested_identity"):
            write(f"  probably you: {summary['suggested_identity']}")
        if summary["skipped"]:
            write(f"  skipped {summary['skipped']} malformed line(s)")
        for warning in summary["warnings"][:20]:
            write(f"  warning: {warning}")


def json_dumps(value, **kwargs) -> str:
    return json.dumps(value, ensure_ascii=False, **kwargs)
