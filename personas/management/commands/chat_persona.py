import sys

from django.core.management.base import BaseCommand, CommandError

from modeling.options import DEFAULT_STRATEGY, STRATEGIES
from personas.management.cli import find_persona
from personas.models import Conversation
from personas.services.chat import NoModel, reply_stream

QUIT_WORDS = {"exit", "quit", ":q"}


class Command(BaseCommand):
    help = (
        "Chat with a persona in the terminal; the reply streams as it is decoded. "
        "Interactive when no --message is given (Ctrl-D or 'exit' ends)."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="USER/SLUG")
        parser.add_argument("--message", help="send one message, print the reply, exit")
        parser.add_argument("--addressee", default="", help="who the persona is talking to")
        parser.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY)
        parser.add_argument("--temperature", type=float)

    def handle(self, target, message, addressee, strategy, temperature, **options):
        persona = find_persona(target)
        conversation = Conversation.objects.create(
            persona=persona, user=persona.owner, addressee=addressee, title="Terminal chat"
        )
        options = {"temperature": temperature}
        if message is not None:
            self.reply(conversation, message, strategy, options)
            return
        while True:
            try:
                text = input("you> ")
            except EOFError:
                self.stdout.write("")
                return
            if text.strip().lower() in QUIT_WORDS:
                return
            if text.strip():
                self.reply(conversation, text, strategy, options)

    def reply(self, conversation, text, strategy, options) -> None:
        try:
            stream = reply_stream(conversation, text, strategy, **options)
        except NoModel as exc:
            raise CommandError(str(exc)) from None
        if stream.notice:
            sys.stderr.write(stream.notice + "\n")
        self.stdout.write(f"{conversation.persona.name}> ", ending="")
        for increment in stream:
            self.stdout.write(increment, ending="")
            self.stdout.flush()
        self.stdout.write("")
