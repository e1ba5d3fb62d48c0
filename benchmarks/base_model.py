"""The general base model: training time and how good it is at its own job, printed as JSON.

Trains it as `make run` does (`manage.py train_base_model`'s defaults: chitchat-dataset plus
chatterbot-corpus) unless --artifact names one already trained, then evaluates it on its own
held-out split: per-word perplexity against the word trigram, Hits@1 of 20, and replies to
--pairs held-out contexts (distinct-2, repeated replies, F1 against retrieval).

Usage: .venv/bin/python benchmarks/base_model.py [--artifact var/base_model] [--pairs 50]
       [--strategy rerank] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cli import parse_set  # noqa: E402
from modeling.artifact import read_json  # noqa: E402
from modeling.base import BASE_PRESET, base_config, train_base_model  # noqa: E402
from modeling.evaluate import evaluate_artifact  # noqa: E402
from modeling.options import DEFAULT_STRATEGY, STRATEGIES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, help="evaluate this base model, train none")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--strategy", choices=STRATEGIES, default=DEFAULT_STRATEGY)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="base-model-") as tmp:
        path = args.artifact
        if path is None:
            overrides = parse_set(args.set)
            started = time.monotonic()
            path = train_base_model(Path(tmp), base_config(**overrides)).artifact_dir
            wall = time.monotonic() - started
        else:
            wall = None
        metrics = read_json(path, "metrics.json")
        report = evaluate_artifact(path, max_pairs=args.pairs, strategy=args.strategy)
    report.pop("style", None)
    print(json.dumps({
        "preset": BASE_PRESET,
        "wall_seconds": None if wall is None else round(wall, 1),
        "train_seconds": metrics.get("train_seconds"),
        "epochs": metrics.get("epochs"),
        "stopped": metrics.get("stopped"),
        "train_examples": metrics.get("train_examples"),
        **report,
    }, ensure_ascii=False))



if __name__ == "__main__":
    main()
