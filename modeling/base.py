"""The general conversational base model that persona training starts from."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import chatterbot_corpus
import chitchat_dataset

from ingestion import build_pairs
from ingestion.records import Pair
from modeling import artifact
from modeling.config import TrainConfig, make_config
from modeling.train import Progress, TrainResult, train

# The base model's shape is every persona model's shape (they continue it). One layer: within
# the 20-minute budget on 2 CPU cores, a 2-layer model saw under 2 epochs of chitchat-dataset;
# replies up to 48 tokens so long answers are learned further than the preset's 32.
BASE_PRESET = "standard"
BASE_OVERRIDES = dict(num_layers=1, max_target_len=48, epochs=10, max_minutes=18,
                      lr_schedule="cosine", early_stopping_patience=3, retrieve=False)


def base_config(**overrides) -> TrainConfig:
    return make_config(BASE_PRESET, **{**BASE_OVERRIDES, **overrides})


def base_model_at(path: Path | str) -> Path | None:
    """The trained base model at `path`, or None: an artifact is there once its manifest is."""
    path = Path(path)
    return path if (path / artifact.MANIFEST).is_file() else None


def corpus_files(language: str = "english") -> list[Path]:
    """The YAML files of the installed chatterbot-corpus package for a language."""
    root = Path(os.path.dirname(chatterbot_corpus.__file__)) / "data" / language
    return sorted(root.glob("*.yml"))


def chitchat_file() -> Path:
    """The chitchat-dataset corpus (7,168 chat-app conversations) its package ships."""
    return Path(os.path.dirname(chitchat_dataset.__file__)) / "dataset.json"


def general_pairs(extra_paths: Sequence[Path | str] = ()) -> list[Pair]:
    """chitchat-dataset and chatterbot-corpus English plus any given general corpora, parsed by
    ingestion; every speaker's turns are replies (there is no persona)."""
    return build_pairs([chitchat_file(), *corpus_files(), *map(Path, extra_paths)], everyone=True)


def train_base_model(
    out_dir: Path,
    config: TrainConfig,
    extra_paths: Sequence[Path | str] = (),
    progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    # No persona, so nothing to retrieve: over 130k pairs, retrieval would also cost hours.
    config = replace(config, model=replace(config.model, retrieve=False))
    return train(general_pairs(extra_paths), Path(out_dir), config, progress=progress)
