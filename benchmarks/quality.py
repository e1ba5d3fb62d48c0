"""Reply quality end to end on three kinds of chat, printed as JSON (one object per case).

Cases: `short_turns` (a generated WhatsApp chat of short informal turns), `danny` (the seed
notebook's danny.yml, from ../shared, skipped with a reason when absent) and `long_answers`
(generated question/answer pairs with 30-100-word answers). Each is read through `ingestion`,
trained from the base model with a preset, and evaluated on its held-out split with
`modeling.evaluate` (every figure, the verdict and the training seconds).

Usage: .venv/bin/python benchmarks/quality.py [--base var/base_model] [--preset standard]
       [--max-minutes 10] [--cases short_turns danny long_answers] [--set KEY=VALUE ...]
Not part of `make test` (about 30 minutes); tests/benchmarks runs a tiny version.
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
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.chats import long_answers_csv, short_turns_whatsapp  # noqa: E402
from benchmarks.cli import parse_set  # noqa: E402
from ingestion import build_pairs  # noqa: E402
from modeling.base import base_model_at, general_pairs  # noqa: E402
from modeling.config import make_config  # noqa: E402
from modeling.evaluate import evaluate_artifact  # noqa: E402
from modeling.options import DEFAULT_MODE, DEFAULT_STRATEGY, MODES, STRATEGIES  # noqa: E402
from modeling.train import train  # noqa: E402

# The shared corpora beside the repository (DIGITAL_YOU_SHARED, as for the tests).
SHARED = Path(os.environ.get("DIGITAL_YOU_SHARED") or ROOT.parent / "shared")
DANNY = SHARED / "corpora" / "seed-notebook" / "yml" / "danny.yml"
CASES = ("short_turns", "danny", "long_answers")


def case_pairs(name: str, folder: Path, scale: float = 1.0):
    """The case's training pairs, or a reason it cannot run here."""
    if name == "short_turns":
        return build_pairs(short_turns_whatsapp(folder, int(6000 * scale)), ["Sam"])
    if name == "long_answers":
        return build_pairs(long_answers_csv(folder / "answers.csv", int(1000 * scale)))
    if name == "danny":
        if not DANNY.is_file():
            return f"{DANNY} is missing (it lives in ../shared beside the repository)"
        return build_pairs(DANNY)
    raise ValueError(f"unknown case {name!r}; choose from {CASES}")


def run_case(name: str, base: Path | None, preset: str, overrides: dict, scale: float = 1.0,
             max_pairs: int = 200, strategies: tuple[str, ...] = (DEFAULT_STRATEGY,),
             keep: Path | None = None, modes: tuple[str, ...] = (DEFAULT_MODE,)) -> list[dict]:
    """One report per decoding strategy and reply mode, all of the same trained model."""
    with tempfile.TemporaryDirectory(prefix=f"quality-{name}-") as tmp:
        pairs = case_pairs(name, Path(tmp), scale)
        if isinstance(pairs, str):
            return [{"case": name, "skipped": pairs}]
        config = make_config(preset, **overrides)
        started = time.monotonic()
        out = keep / name if keep else Path(tmp) / "run"
        result = train(pairs, out, config, base_model=base,
                       general_pairs=general_pairs() if base is not None else ())
        seconds = time.monotonic() - started
        reports = [evaluate_artifact(result.artifact_dir, max_pairs, s, m)
                   for m in modes for s in strategies]
    facts = {
        "case": name,
        "corpus_pairs": len(pairs),
        "base_model": base is not None,
        "preset": preset,
        "train_seconds": round(seconds, 1),
        "stopped": result.metrics.get("stopped"),
        "epochs": result.metrics.get("epochs"),
    }
    return [{**facts, **_without(report, "samples", "style")} for report in reports]


def _without(report: dict, *keys: str) -> dict:
    return {k: v for k, v in report.items() if k not in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=Path(
        os.environ.get("DIGITAL_YOU_BASE_MODEL", ROOT / "var" / "base_model")))
    parser.add_argument("--no-base", action="store_true", help="train from scratch")
    parser.add_argument("--preset", default="standard")
    parser.add_argument("--max-minutes", type=float, default=10.0)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--strategies", nargs="+", default=[DEFAULT_STRATEGY], choices=STRATEGIES)
    parser.add_argument("--modes", nargs="+", default=[DEFAULT_MODE], choices=MODES)
    parser.add_argument("--keep", type=Path, help="keep each case's trained model here")
    args = parser.parse_args()
    base = None if args.no_base else base_model_at(args.base)
    if not args.no_base and base is None:
        sys.exit(f"no base model at {args.base}: train one (manage.py train_base_model) "
                 "or pass --no-base")
    overrides = {"max_minutes": args.max_minutes, **parse_set(args.set)}
    for name in args.cases:
        for report in run_case(name, base, args.preset, overrides,
                               strategies=tuple(args.strategies), keep=args.keep,
                               modes=tuple(args.modes)):
            print(json.dumps(report, ensure_ascii=False), flush=True)



if __name__ == "__main__":
    main()
