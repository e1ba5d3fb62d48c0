"""Loading JSON exports with one clear error for broken files."""

import json

from ..errors import IngestionError
from ..sources import Document


def load_json(doc: Document):
    try:
        return json.loads(doc.read_text().lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise IngestionError(f"{doc.name}: broken JSON ({exc})") from exc
