"""Repairing text as exports deliver it: mojibake and stray control characters."""

import re

import ftfy

# C0/C1 controls except tab and newline: left behind by double encoding, rejected by YAML parsers.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def repair(text: str) -> str:
    """Undo mojibake (double-encoded UTF-8, latin-1 read as UTF-8) without touching style."""
    if text.isascii():
        return text
    return CONTROL_RE.sub("", ftfy.fix_encoding(text))
