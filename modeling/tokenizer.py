"""SentencePiece subword tokenizer trained in-process on the training text.

Subwords keep slang, typos and emoji (byte fallback covers characters never seen in training)
where the notebook's word vocabulary turned them into <unk>.
"""

from __future__ import annotations

import codecs
import functools
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import sentencepiece as spm

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SEP, ME, THEM = "<sep>", "<me>", "<them>"
MASKS = ("<url>", "<email>", "<phone>")
USER_SYMBOLS = (SEP, ME, THEM, *MASKS)
# Byte fallback adds 256 byte pieces; below this size they would crowd out real subwords.
MIN_VOCAB_FOR_BYTE_FALLBACK = 512


class Tokenizer:
    def __init__(self, model_proto: bytes):
        self.proto = bytes(model_proto)
        self._sp = spm.SentencePieceProcessor(model_proto=self.proto)
        self.sep = self._sp.piece_to_id(SEP)
        self.me = self._sp.piece_to_id(ME)
        self.them = self._sp.piece_to_id(THEM)

    @classmethod
    def train(
        cls, texts: Iterable[str], vocab_size: int, model_type: str = "unigram"
    ) -> Tokenizer:
        buffer = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=_non_empty(texts),
            model_writer=buffer,
            model_type=model_type,
            vocab_size=vocab_size,
            # A small chat corpus may not support the requested size; use what it supports.
            hard_vocab_limit=False,
            byte_fallback=vocab_size >= MIN_VOCAB_FOR_BYTE_FALLBACK,
            character_coverage=1.0,
            # Identity keeps text exactly as typed (NFKC would rewrite some symbols).
            normalization_rule_name="identity",
            pad_id=PAD, bos_id=BOS, eos_id=EOS, unk_id=UNK,
            pad_piece="<pad>", bos_piece="<s>", eos_piece="</s>", unk_piece="<unk>",
            user_defined_symbols=list(USER_SYMBOLS),
            input_sentence_size=2_000_000,
            shuffle_input_sentence=True,
            num_threads=2,
            minloglevel=2,
        )
        return cls(buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> Tokenizer:
        return cls(Path(path).read_bytes())

    def save(self, path: Path) -> None:
        Path(path).write_bytes(self.proto)

    @property
    def vocab_size(self) -> int:
        return self._sp.get_piece_size()

    @property
    def special_ids(self) -> tuple[int, ...]:
        """Ids a reply must never contain (the masks stay allowed: they are real text)."""
        return (PAD, BOS, UNK, self.sep, self.me, self.them)

    def encode(self, text: str) -> list[int]:
        return self._sp.encode(text, out_type=int)

    def decode(self, ids: Iterable[int]) -> str:
        return self._sp.decode([int(i) for i in ids if i not in (PAD, BOS, EOS)])

    def piece(self, token_id: int) -> str:
        return self._sp.id_to_piece(int(token_id))

    @functools.cached_property
    def surfaces(self) -> tuple[str | int, ...]:
        """Per id: the text it decodes to, or its byte value for a byte-fallback piece."""
        sp = self._sp
        return tuple(
            int(sp.id_to_piece(i)[3:5], 16) if sp.is_byte(i)
            else "" if sp.is_control(i)
            else " \u2047 " if sp.is_unknown(i)
            else sp.id_to_piece(i).replace("\u2581", " ")
            for i in range(sp.get_piece_size())
        )

    @functools.cached_property
    def word_starts(self) -> tuple[bool, ...]:
        """Per id: whether the piece begins a whitespace word."""
        return tuple(isinstance(s, str) and s.startswith(" ") for s in self.surfaces)


class IncrementalDecoder:
    """Turns a growing token list into text increments that concatenate to the full decode.

    Works piece by piece (no re-decoding of the whole reply per token). Byte-fallback pieces
    are held until they form complete UTF-8 characters; bytes that cannot complete one (cut
    off by a normal piece, invalid, or left at the end) are dropped, never shown as U+FFFD.
    """

    def __init__(self, tokenizer: Tokenizer):
        self._surfaces = tokenizer.surfaces
        self._bytes = codecs.getincrementaldecoder("utf-8")("ignore")
        self._parts: list[str] = []

    def push(self, token_id: int) -> str:
        surface = self._surfaces[int(token_id)]
        if isinstance(surface, int):
            text = self._bytes.decode(bytes((surface,)))
        elif not surface:  # control pieces decode to nothing and cut nothing off
            return ""
        else:
            self._bytes.reset()
            # SentencePiece drops the word-boundary space at the start of a text.
            text = surface if self._parts else surface.lstrip(" ")
        if text:
            self._parts.append(text)
        return text

    def finish(self) -> str:
        self._bytes.reset()
        return ""

    @property
    def text(self) -> str:
        return "".join(self._parts)


def _non_empty(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        text = text.strip()
        if text:
            yield text
