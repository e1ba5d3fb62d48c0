"""Lookup time of the reply index (modeling.retrieval) for 50,000 pairs, printed as JSON.

Usage: .venv/bin/python benchmarks/retrieval_speed.py [--pairs 50000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from ingestion.records import Pair  # noqa: E402
from modeling.retrieval import ReplyIndex  # noqa: E402

WORDS = ("gym dinner tonight friday game tacos movie work tired call late party beach coffee "
         "report slides train bus rain sunny weekend mum birthday cake pizza").split()


def message(rng: np.random.Generator) -> str:
    return " ".join(rng.choice(WORDS, int(rng.integers(3, 12))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    pairs = [Pair((("them", message(rng)),), message(rng), None, "b", "c")
             for _ in range(args.pairs)]
    started = time.perf_counter()
    index = ReplyIndex(pairs)
    build = time.perf_counter() - started
    times = []
    for _ in range(args.queries):
        context = (("them", message(rng)),)
        tick = time.perf_counter()
        index.best([context])
        times.append((time.perf_counter() - tick) * 1000)
    times.sort()
    print(json.dumps({"pairs": args.pairs, "build_s": round(build, 2),
                      "lookup_ms_median": round(statistics.median(times), 3),
                      "lookup_ms_p95": round(times[int(0.95 * len(times))], 3)}))


if __name__ == "__main__":
    main()
