"""One versioned directory per trained model, and loading it back as a ready Chatbot.

Layout: manifest.json (format, version, sha256 of every file), config.json, weights.npz,
tokenizer.model, history.json, metrics.json, data.json (fingerprint, persona names,
addressees), train.jsonl and heldout.jsonl (the split, for evaluation).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingestion.records import Pair
from modeling.config import ModelConfig, TrainConfig
from modeling.decode import Decoder, as_turns
from modeling.errors import ArtifactError
from modeling.model import Seq2Seq
from modeling.options import DEFAULT_MODE, DEFAULT_STRATEGY, MODES, QUOTE_MIN_SIMILARITY
from modeling.retrieval import ReplyIndex
from modeling.tokenizer import Tokenizer

if TYPE_CHECKING:
    from modeling.train import Setup

FORMAT = "digital-you-seq2seq"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REQUIRED = ("config.json", "weights.npz", "tokenizer.model", "data.json", "metrics.json")


def save(directory: Path, setup: Setup, model: Seq2Seq, history: list[dict], metrics: dict) -> Path:
    """Writes the artifact next to its final place, then swaps it in (never half-written)."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".artifact-", dir=directory.parent))
    np.savez(tmp / "weights.npz", *model.get_weights())
    setup.tokenizer.save(tmp / "tokenizer.model")
    _dump(tmp / "config.json", setup.config.to_dict())
    _dump(tmp / "history.json", history)
    _dump(tmp / "metrics.json", metrics)
    _dump(
        tmp / "data.json",
        {
            "fingerprint": setup.fingerprint,
            "persona_names": setup.me,
            "addressees": setup.addressees,
            "train_pairs": len(setup.train_pairs),
            "heldout_pairs": len(setup.heldout_pairs),
            "general_pairs": len(setup.general),
            "base_model": setup.base_weights is not None,
        },
    )
    _write_pairs(tmp / "train.jsonl", setup.train_pairs)
    _write_pairs(tmp / "heldout.jsonl", setup.heldout_pairs)
    files = {p.name: _sha256(p) for p in sorted(tmp.iterdir())}
    _dump(
        tmp / MANIFEST,
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files,
        },
    )
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(tmp, directory)
    return directory


class Chatbot:
    """A loaded model ready to generate replies."""

    def __init__(
        self,
        path: Path,
        train_config: TrainConfig,
        tokenizer: Tokenizer,
        model: Seq2Seq,
        data: dict,
        metrics: dict,
        index: ReplyIndex | None = None,
    ):
        self.path = path
        self.train_config = train_config
        self.config: ModelConfig = train_config.model
        self.tokenizer = tokenizer
        self.model = model
        self.persona_names: list[str] = list(data.get("persona_names", []))
        self.addressees: list[str] = list(data.get("addressees", ["<anyone>"]))[1:]
        self.metrics = metrics
        # What the verdict's advice depends on: how much data, which preset, whether the run
        # started from the base model.
        self.data_facts = {
            "train_pairs": data.get("train_pairs"),
            "base_model": data.get("base_model"),
            "preset": train_config.preset,
        }
        self._table = list(data.get("addressees", ["<anyone>"]))
        self._decoder = Decoder(model, tokenizer, train_config.model)
        self.index = index

    def retrieved(self, contexts: Sequence[Sequence[tuple[str, str]]]) -> list[str | None]:
        """The real reply retrieval finds for each context (None everywhere without retrieval)."""
        if self.index is None:
            return [None] * len(contexts)
        return self.index.replies(contexts)

    def quote(self, context: Sequence[tuple[str, str] | str]) -> Pair | None:
        """The training pair whose real reply quote mode gives for this context, if any: its
        message must be close enough to this one. The reply is the cleaned text, so masked
        phone numbers, emails and links stay masked."""
        pair, similarity = self._match(as_turns(context))
        return pair if similarity >= QUOTE_MIN_SIMILARITY else None

    def generate(
        self,
        context: Sequence[tuple[str, str] | str],
        addressee: str | None = None,
        strategy: str = DEFAULT_STRATEGY,
        mode: str = DEFAULT_MODE,
        **opts: Any,
    ) -> Iterator[str]:
        """Yields text increments of the reply; they concatenate to the full reply."""
        return self.answer(context, addressee, strategy, mode, **opts)[0]

    def answer(
        self,
        context: Sequence[tuple[str, str] | str],
        addressee: str | None = None,
        strategy: str = DEFAULT_STRATEGY,
        mode: str = DEFAULT_MODE,
        **opts: Any,
    ) -> tuple[Iterator[str], Pair | None]:
        """The reply's text increments, and the training pair it quotes when it is a quote.
        One lookup in the index serves both quoting and blending."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
        turns = as_turns(context)
        pair, similarity = (None, 0.0) if mode == "generate" else self._match(turns)
        if mode == "quote" and pair is not None and similarity >= QUOTE_MIN_SIMILARITY:
            return iter([pair.response]), pair
        increments = self._decoder.generate(
            turns, self.persona_names, self._table, addressee, strategy,
            retrieved=None if pair is None else pair.response, **opts,
        )
        return increments, None

    def _match(self, turns: Sequence[tuple[str, str]]) -> tuple[Pair | None, float]:
        """The training pair whose message is most like this one, and how alike (cosine)."""
        hit = None if self.index is None else self.index.best([turns])[0]
        return (None, 0.0) if hit is None else (self.index.pairs[hit[0]], hit[1])

    def reply(self, context, addressee: str | None = None, strategy: str = DEFAULT_STRATEGY,
              mode: str = DEFAULT_MODE, **opts: Any) -> str:
        return "".join(self.generate(context, addressee, strategy, mode, **opts))

    def warm_up(self) -> None:
        """Compile the encoder and the greedy/sampling step now (seconds on a CPU), so that a
        server pays it once at load time instead of in the first chats' replies."""
        self.reply(["hi"], max_length=2)


def load(path: Path) -> Chatbot:
    path = Path(path)
    _verified_manifest(path)
    try:
        config = TrainConfig.from_dict(json.loads((path / "config.json").read_text()))
        data = json.loads((path / "data.json").read_text())
        metrics = json.loads((path / "metrics.json").read_text())
        tokenizer = Tokenizer.load(path / "tokenizer.model")
        with np.load(path / "weights.npz") as stored:
            weights = [stored[f"arr_{i}"] for i in range(len(stored.files))]
        model = Seq2Seq(config.model, tokenizer.vocab_size)
        model.set_weights(weights)
    except ArtifactError:
        raise
    except Exception as exc:  # any unreadable part means the artifact is unusable
        raise ArtifactError(f"artifact {path} is unreadable: {exc}") from exc
    # The index is rebuilt from the saved training split: what the model was trained against.
    index = ReplyIndex(read_pairs(path, "train")) if config.model.retrieve else None
    return Chatbot(path, config, tokenizer, model, data, metrics, index)


def read_pairs(path: Path, split: str) -> list[Pair]:
    """The saved training ("train") or held-out ("heldout") pairs of an artifact."""
    _verified_manifest(Path(path))
    try:
        with open(Path(path) / f"{split}.jsonl", encoding="utf-8") as handle:
            return [Pair.from_dict(json.loads(line)) for line in handle if line.strip()]
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactError(f"artifact {path} has an unreadable {split} split: {exc}") from exc


def read_json(path: Path, name: str) -> Any:
    _verified_manifest(Path(path))
    return json.loads((Path(path) / name).read_text())


def _verified_manifest(path: Path) -> dict:
    if not path.is_dir():
        raise ArtifactError(f"no model artifact at {path}")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"artifact {path} has no readable manifest: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"{path} is not a {FORMAT} artifact")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"artifact {path} has unsupported format version "
            f"{manifest.get('format_version')!r} (expected {FORMAT_VERSION})"
        )
    files = manifest.get("files", {})
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise ArtifactError(f"artifact {path} manifest lacks {', '.join(missing)}")
    for name, digest in files.items():
        file = path / name
        if not file.is_file():
            raise ArtifactError(f"artifact {path} is missing {name}")
        if _sha256(file) != digest:
            raise ArtifactError(f"artifact {path} is corrupt: {name} does not match its checksum")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def _write_pairs(path: Path, pairs: Sequence[Pair]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair.to_dict(), ensure_ascii=False) + "\n")
