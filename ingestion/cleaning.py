"""The cleaning policy: which messages train the persona and how their text is tidied."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import Message

URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"]+", re.I)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# No lookbehind: a leading character class lets the regex engine skip ahead quickly.
PHONE_RE = re.compile(r"[\d+(][\d ()./-]{6,}\d(?!\w)")
DATE_LIKE_RE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3]+"
)
# The notebook kept letters, digits and sentence punctuation only (and now the privacy masks).
SPECIAL_RE = re.compile(r"(<(?:url|email|phone)>)|[^\w\s.,!?']|_")
SPACE_RE = re.compile(r"[^\S\n]+")


def _char_class(chars: str, predicate, last: int) -> str:
    """A regex character class of `chars` plus every character up to `last` meeting predicate,
    written as explicit ranges."""
    codes = sorted({*map(ord, chars), *(c for c in range(last + 1) if predicate(chr(c)))})
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(
        re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges
    ) + "]"


# The characters that give cleaning work to do: every URL holds ":" or ".", every e-mail "@", every
# phone number a digit, and whitespace other than the plain space is normalised (this is the
# str.split() whitespace set). Listed out as ranges rather than written with \d, so that the regex
# engine tests a character with a bitmap lookup instead of a Unicode category lookup: several
# times faster on emoji text. Every decimal digit and space lies below U+20000.
WORK_HINT_RE = re.compile(
    _char_class("@:.", lambda c: (c.isdecimal() or c.isspace()) and c != " ", 0x1FFFF)
)
# The same class for ASCII-only text (isascii() is O(1)): a bitmap test per character is several
# times cheaper than the Unicode digit lookup.
ASCII_WORK_HINT_RE = re.compile(r"[0-9@:.\t-\r\x1c-\x1f]")


def _mask_phone(match: re.Match) -> str:
    found = match.group()
    start = match.start()
    before = match.string[start - 1 : start]
    digits = sum(c.isdigit() for c in found)
    if (before.isalnum() or before == "_") or not 8 <= digits <= 15:
        return found
    if DATE_LIKE_RE.fullmatch(found.strip()):
        return found
    return "<phone>"


@dataclass(frozen=True, slots=True)
class CleaningPolicy:
    """Defaults keep the person's style (emoji, casing, punctuation) and mask private data."""

    drop_system: bool = True
    drop_media: bool = True
    drop_forwarded: bool = True  # forwarded text is someone else's words
    mask_urls: bool = True
    mask_emails: bool = True
    mask_phones: bool = True
    normalize_whitespace: bool = True
    keep_newlines: bool = False
    lowercase: bool = False
    strip_emoji: bool = False
    strip_special: bool = False

    @classmethod
    def strict(cls) -> CleaningPolicy:
        """The original notebook's filter: lowercase, no emoji, no special characters."""
        return cls(lowercase=True, strip_emoji=True, strip_special=True)

    def keeps(self, message: Message) -> bool:
        kind = message.kind
        if kind == "system":
            return not self.drop_system
        if kind == "media":
            return not self.drop_media
        return not (self.drop_forwarded and message.forwarded_from)

    def clean(self, text: str) -> str:
        """Tidy one message text; an empty result means nothing is left to learn from."""
        # Most chat texts need nothing from the style-keeping policies: one C-speed scan proves it.
        if (
            not (self.lowercase or self.strip_emoji or self.strip_special)
            and (ASCII_WORK_HINT_RE if text.isascii() else WORK_HINT_RE).search(text) is None
            and "  " not in text
            and text.strip(" ") == text
        ):
            return text
        return self.tidy(text)

    def tidy(self, text: str) -> str:
        """`clean` without its shortcut for texts that need nothing."""
        if self.mask_urls and ("://" in text or "www." in text.lower()):
            text = URL_RE.sub("<url>", text)
        if self.mask_emails and "@" in text:
            text = EMAIL_RE.sub("<email>", text)
        if self.mask_phones and PHONE_RE.search(text):
            text = PHONE_RE.sub(_mask_phone, text)
        if self.strip_emoji:
            text = EMOJI_RE.sub(" ", text)
        if self.strip_special:
            text = SPECIAL_RE.sub(lambda m: m.group(1) or " ", text)
        if self.lowercase:
            text = text.lower()
        # isprintable() is False for any whitespace but the ASCII space: one C-speed check.
        if self.normalize_whitespace and (
            "  " in text or not text.isprintable() or text.strip(" ") != text
        ):
            if self.keep_newlines:
                text = "\n".join(
                    " ".join(part.split()) for part in text.split("\n") if part.strip()
                )
            else:
                text = " ".join(text.split())
        return text

    def apply(self, message: Message) -> str:
        """The cleaned text of a message, or "" when the policy drops it."""
        return self.clean(message.text) if self.keeps(message) else ""
