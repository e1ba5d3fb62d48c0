"""Decoding latency for the reference shape, printed as JSON.

Runs as the chat server does (one thread per TensorFlow op, modeling.hardware). For greedy
decoding of a 20-token source, driven through Decoder.sequential as Chatbot.generate drives
it: encoder time; time to the first token (encoder plus the first one-token call); per-token
latency (last token - first token) / (tokens - 1), tokens arriving in blocks of
modeling.decode.BLOCK after the first; CPU time per token (process time over the reply).
Then the streaming Decoder.generate per strategy (first piece, per token, total; the replies of
beam search and reranking arrive whole at the end, so their per-token figure is total / tokens).
Last, the same
greedy replies from 1 and from --threads threads at once: per-token latency, first-token p95
and throughput, to show decoding is not serialised between chats. Medians and bests of R
repeats; the machine is shared, so load averages are shown.

Usage: .venv/bin/python benchmarks/decode_speed.py [--tokens N] [--repeats R] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from reference import REFERENCE_MODEL  # noqa: E402  (benchmarks/reference.py)

from modeling.config import ModelConfig  # noqa: E402
from modeling.decode import BLOCK, DEFAULTS, Decoder  # noqa: E402
from modeling.hardware import serve_one_op_at_a_time  # noqa: E402
from modeling.model import Seq2Seq  # noqa: E402
from modeling.tokenizer import Tokenizer  # noqa: E402

# Long enough a target for the 40 generated tokens measured.
REFERENCE = ModelConfig(**REFERENCE_MODEL, max_target_len=64)


# rerank: 8 candidates (the default), whose first piece waits for all of them.
STREAMED = ("greedy", "sample", "beam", "rerank")


def tokenizer() -> Tokenizer:
    rng = np.random.default_rng(0)
    words = [
        "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(2, 9)))
        for _ in range(20000)
    ]
    lines = [" ".join(rng.choice(words, 12)) for _ in range(20000)]
    return Tokenizer.train(lines, REFERENCE.vocab_size)


def ms(values, pick=min):
    return round(pick(values) * 1000, 3)


def both(values):
    return {"median": ms(values, statistics.median), "best": ms(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    serve_one_op_at_a_time()
    load_before = os.getloadavg()
    tok = tokenizer()
    tf.keras.utils.set_random_seed(0)
    decoder = Decoder(Seq2Seq(REFERENCE, tok.vocab_size), tok, REFERENCE)
    source = list(np.random.default_rng(1).integers(10, tok.vocab_size, 20))
    greedy = {**DEFAULTS, "seed": 0}

    def encode_once():
        started = time.perf_counter()
        memory, _ = decoder.encode(source, 0)
        memory.values.numpy()
        return time.perf_counter() - started

    def greedy_once():
        """-> (first token, per token, CPU per token, tokens) of one greedy reply."""
        started, cpu = time.perf_counter(), time.process_time()
        marks = [
            time.perf_counter()
            for _ in decoder.sequential(source, 0, args.tokens, greedy, sample=False)
        ]
        cpu = time.process_time() - cpu
        return (
            marks[0] - started,
            (marks[-1] - marks[0]) / max(1, len(marks) - 1),
            cpu / len(marks),
            len(marks),
        )

    def stream_once(strategy):
        started = time.perf_counter()
        first = None
        pieces = []
        for piece in decoder.generate(
            ["hello there how are you"],
            [],
            ["<anyone>"],
            None,
            strategy,
            max_length=args.tokens,
            seed=0,
        ):
            first = first or time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        tokens = len(tok.encode("".join(pieces)))
        # Beam and rerank know their reply only at the end: per token of the whole call.
        per_token = (
            (ended - started) / tokens
            if strategy in ("beam", "rerank")
            else (ended - first) / max(1, tokens - 1)
        )
        return first - started, per_token, tokens, ended - started

    def concurrently(threads, replies):
        results = []

        def chat():
            results.extend(greedy_once() for _ in range(replies))

        workers = [threading.Thread(target=chat) for _ in range(threads)]
        started, cpu = time.perf_counter(), time.process_time()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        tokens = sum(r[3] for r in results)
        return {
            "threads": threads,
            "ms_per_token_median": ms([r[1] for r in results], statistics.median),
            "first_token_ms_p95": round(
                float(np.percentile([r[0] for r in results], 95)) * 1000, 3
            ),
            "tokens_per_s": round(tokens / wall),
            "cpu_ms_per_token": round(cpu / tokens * 1000, 3),
        }

    for _ in range(3):  # trace and warm up
        encode_once()
        greedy_once()
        for strategy in STREAMED:
            stream_once(strategy)
    encoder = [encode_once() for _ in range(args.repeats)]
    runs = [greedy_once() for _ in range(args.repeats)]
    streams = {
        s: [stream_once(s) for _ in range(args.repeats)] for s in STREAMED
    }
    concurrency = [concurrently(1, args.threads), concurrently(args.threads, 1)]

    result = {
        "shape": "emb 128, 1 layer, hidden 256, vocab 8000, additive attention, 20 source tokens",
        "encoder_ms": both(encoder),
        "first_token_ms": both([r[0] for r in runs]),
        "ms_per_token": both([r[1] for r in runs]),
        "cpu_ms_per_token": both([r[2] for r in runs]),
        "generate": {
            strategy: {
                "first_piece_ms": ms([r[0] for r in rs], statistics.median),
                "ms_per_token": both([r[1] for r in rs]),
                "tokens": rs[0][2],
                "total_ms": ms([r[3] for r in rs], statistics.median),
            }
            for strategy, rs in streams.items()
        },
        "concurrent": concurrency,
        "block": BLOCK,
        "tokens": args.tokens,
        "repeats": args.repeats,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
