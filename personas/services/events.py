"""Best-effort pushes to channel-layer groups (the database stays the source of truth)."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def training_group(run_id: int) -> str:
    return f"training-{run_id}"


def persona_group(persona_id: int) -> str:
    return f"persona-{persona_id}"


def broadcast(group: str, frame: dict) -> None:
    """Send frame to every socket in group as a {"type": "push", "frame": frame} event."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "push", "frame": frame})
    except Exception:  # a down Redis must never break training or parsing
        logger.warning("Could not push to %s", group, exc_info=True)
