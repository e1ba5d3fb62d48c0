from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from personas.management.cli import get_or_create_user, split_target
from personas.models import DataFile, Persona
from personas.services.corpus import persona_pairs
from personas.services.uploads import (
    DuplicateUpload,
    UploadRejected,
    parse_data_file,
    store_upload,
)


class Command(BaseCommand):
    help = (
        "Store chat exports for a persona (created when needed) and read them. Without --me the "
        "suggested identity is used; pair formats (.yml, ConvAI2) need none."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="USER/SLUG")
        parser.add_argument("paths", metavar="PATH", nargs="+", type=Path)
        parser.add_argument(
            "--me", action="append", default=[], metavar="NAME",
            help="an author name that is this person (repeat for aliases)",
        )

    def handle(self, target, paths, me, **options):
        username, slug = split_target(target)
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
        user, created = get_or_create_user(username)
        if created:
            self.stdout.write(f"Created user {username} (no password; set one: changepassword).")
        persona, _ = Persona.objects.get_or_create(owner=user, slug=slug, defaults={"name": slug})
        failures = []
        for path in paths:
            data_file = self.store(persona, path)
            if data_file.status != DataFile.Status.PARSED:
                data_file = parse_data_file(data_file)
            if data_file.status == DataFile.Status.FAILED:
                failures.append(f"{path.name}: {data_file.error}")
                continue
            summary = data_file.summary
            self.stdout.write(
                f"{path.name}: {data_file.format}, {summary.get('conversations', 0)} "
                f"conversations, {summary.get('messages', 0)} messages"
            )
        if me:
            persona.identities = list(dict.fromkeys(me))
            persona.save(update_fields=["identities", "updated_at"])
        persona.refresh_from_db()
        pairs = persona_pairs(persona)
        identity = ", ".join(persona.identities) or "(pair format: no identity needed)"
        self.stdout.write(f"{target}: identity {identity}; {len(pairs)} training pairs.")
        if failures:
            raise CommandError("Some files could not be read:\n" + "\n".join(failures))

    def store(self, persona: Persona, path: Path) -> DataFile:
        with path.open("rb") as handle:
            try:
                return store_upload(persona, File(handle, name=path.name))
            except DuplicateUpload as exc:
                self.stdout.write(f"{path.name}: already imported.")
                return exc.existing
            except UploadRejected as exc:
                raise CommandError(str(exc)) from None
