"""Values from query strings and websocket frames, parsed without surprises: a malformed value
is a 404 or an error frame, never an exception out of a view or a consumer."""

import json
import re

# ASCII digits only: str.isdigit() also accepts "²" or "١", which int() then refuses.
_ID_RE = re.compile(r"[0-9]{1,18}")


def parse_id(value) -> int | None:
    """A database id from an untrusted string or JSON number, or None."""
    if isinstance(value, bool):  # JSON true is not an id, though bool is an int
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and _ID_RE.fullmatch(value):
        return int(value)
    return None


def parse_frame(text: str):
    """A websocket frame's JSON, or None when it is not JSON (or nested too deep to parse)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
