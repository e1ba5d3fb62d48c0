"""The background worker: the configured queue's own worker command (db_worker for the
embedded queue, rqworker with Redis), plus the timer that rescues work whose worker died."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from personas.services.rescue import RescueTimer


class Command(BaseCommand):
    help = "Runs queued tasks; rescues dead training runs and reads at start and on a timer."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", default=",".join(settings.TASK_QUEUES),
            help="the task queues to serve, comma-separated (default: all, in that order)",
        )

    def handle(self, queue, **options):
        timer = RescueTimer()
        timer.start()
        try:
            if settings.REDIS_URL:
                call_command("rqworker", *queue.split(","), with_scheduler=True)
            else:
                # No autoreload: a reload would kill a training run mid-way.
                call_command("db_worker", queue_name=queue, reload=False)
        finally:
            timer.stop()
