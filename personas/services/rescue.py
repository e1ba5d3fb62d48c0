"""Rescuing work whose worker died, done by the workers themselves.

A training run or a file being read beats a heartbeat; one that has been silent for
TRAINING_STALE_AFTER_S is re-queued (runs) or marked failed (reads). Every worker checks when it
starts and then on a timer, so the rescue never waits for someone to open a page or a socket.
"""

import logging
import threading

from django.conf import settings
from django.db import connection

from personas.services.training import mark_stale_runs
from personas.services.uploads import mark_stale_parses

logger = logging.getLogger(__name__)


def rescue_stale_work() -> None:
    requeued = mark_stale_runs()
    if requeued:
        logger.warning("Re-queued training runs whose worker stopped responding: %s", requeued)
    mark_stale_parses()


class RescueTimer(threading.Thread):
    """Runs rescue_stale_work at once and then every half stale period, until stopped."""

    def __init__(self):
        super().__init__(name="rescue-stale-work", daemon=True)
        self.interval = max(1.0, settings.TRAINING_STALE_AFTER_S / 2)
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                rescue_stale_work()
            except Exception:
                # A database hiccup must not end the timer: the next pass tries again.
                logger.warning("Rescuing stale work failed", exc_info=True)
            finally:
                connection.close()
            if self.stopped.wait(self.interval):
                return

    def stop(self) -> None:
        self.stopped.set()
        self.join()
