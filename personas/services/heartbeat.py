"""A thread that stamps heartbeat_at on a row while the work it stands for is alive, so that
other processes can tell a slow job from one whose worker died."""

import logging
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Beats on `rows` (a queryset filtered to the row while it is still in its working status)
    until stopped, also through long phases that report nothing."""

    def __init__(self, rows, name: str):
        super().__init__(name=name, daemon=True)
        self.rows = rows
        self.interval = max(1.0, min(10.0, settings.TRAINING_STALE_AFTER_S / 4))
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                self.rows.update(heartbeat_at=timezone.now())  # a fresh query each time
        except Exception:
            logger.warning("Heartbeat %s stopped", self.name, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()
