"""SentencePiece subword tokenizer trained in-process on the training text.

Subwords keep slang, typos and emoji (byte fallback covers characters never seen in training)
where the notebook's word vocabulary turned them into <unk>.
"""

from __future__ import annotations

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


class IncrementalDecoder:
    """Turns a growing token list into text increments that concatenate to the full decode.

    Text that ends in an incomplete byte-fallback character is held back until it completes.
    """

    def __init__(self, tokenizer: Tokenizer):
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._emitted = ""

    def push(self, token_id: int) -> str:
        self._ids.append(int(token_id))
        text = self._tokenizer.decode(self._ids)
        if text.endswith("\ufffd") or not text.startswith(self._emitted):
            return ""
        return self._advance(text)

    def finish(self) -> str:
        text = self._tokenizer.decode(self._ids)
        if not text.startswith(self._emitted):
            # Cannot happen with SentencePiece decoding; kept explicit rather than silent.
            raise RuntimeError("incremental decode diverged from the full decode")
        return self._advance(text)

    @property
    def text(self) -> str:
        return self._emitted

    def _advance(self, text: str) -> str:
        piece = text[len(self._emitted):]
        self._emitted = text
        return piece


def _non_empty(texts: Iterable[str]) -> Iterator[str]:
    for text in texts:
        text = text.strip()
        if text:
            yield text
