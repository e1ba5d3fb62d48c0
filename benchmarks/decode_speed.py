"""Decoding latency for the reference shape, printed as JSON.

Encoder time, time to the first token (encoder + first step + token choice) and per-token
latency of the compiled greedy step driven as Decoder.sequential drives it, for a fixed number
of tokens; then the full streaming Decoder.generate (what Chatbot.generate runs) per strategy,
its per-token figure being (end - first piece) / (tokens - 1), tokens counted by re-encoding
the reply. Medians and bests of R repeats; the machine is shared, so load averages are shown.

Usage: .venv/bin/python benchmarks/decode_speed.py [--tokens N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from modeling.config import ModelConfig  # noqa: E402
from modeling.decode import Decoder  # noqa: E402
from modeling.model import Seq2Seq  # noqa: E402
from modeling.tokenizer import Tokenizer  # noqa: E402

REFERENCE = ModelConfig(vocab_size=8000, embedding_dim=128, hidden_size=256, num_layers=1,
                        attention="bahdanau", max_source_len=20, max_target_len=64)


def tokenizer() -> Tokenizer:
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(2, 9)))
             for _ in range(20000)]
    lines = [" ".join(rng.choice(words, 12)) for _ in range(20000)]
    return Tokenizer.train(lines, REFERENCE.vocab_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--xla", action=argparse.BooleanOptionalAction, default=True,
                        help="compile the decode step with XLA (fastest for one stream; the "
                        "server decodes without it, see modeling.decode.Decoder)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    tok = tokenizer()
    tf.keras.utils.set_random_seed(0)
    model = Seq2Seq(REFERENCE, tok.vocab_size)
    decoder = Decoder(model, tok, REFERENCE, xla=args.xla)
    source = list(np.random.default_rng(1).integers(10, tok.vocab_size, 20))
    ints = tf.constant([0, 3, 0, 0, 0, 0])  # addressee, no-repeat 3-grams, greedy
    floats = tf.constant([1.0, 1.0])

    def run_once():
        """The compiled greedy step exactly as Decoder.sequential drives it."""
        started = time.perf_counter()
        carry, memory = decoder.encode(source)
        memory.numpy()
        encoded = time.perf_counter()
        history, length = decoder._history(1, 0), tf.constant(0)
        marks = []
        for _ in range(args.tokens):
            token, history, length, carry = decoder.select(history, length, carry, memory,
                                                           ints, floats)
            int(token.numpy()[0])
            marks.append(time.perf_counter())
        first = marks[0] - started
        per_token = (marks[-1] - marks[0]) / (len(marks) - 1)
        return encoded - started, first, per_token

    def stream_once(strategy):
        """Chatbot.generate's path: options, encoding, compiled steps, incremental text."""
        started = time.perf_counter()
        first = None
        pieces = []
        for piece in decoder.generate(["hello there how are you"], [], ["<anyone>"], None,
                                      strategy, max_length=args.tokens, seed=0):
            first = first or time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        tokens = len(tok.encode("".join(pieces)))
        if strategy == "beam":  # the reply arrives whole at the end: per token = total / tokens
            return first - started, (ended - started) / tokens, tokens, ended - started
        return (first - started, (ended - first) / max(1, tokens - 1), tokens,
                ended - started)

    for _ in range(3):  # trace, compile and warm up
        run_once()
        for strategy in ("greedy", "sample", "beam"):
            stream_once(strategy)
    runs = [run_once() for _ in range(args.repeats)]
    streams = {s: [stream_once(s) for _ in range(args.repeats)]
               for s in ("greedy", "sample", "beam")}

    def best(values, scale=1000, digits=3):
        return round(min(values) * scale, digits)

    def median(values, scale=1000, digits=3):
        return round(statistics.median(values) * scale, digits)

    result = {
        "shape": "emb 128, 1 layer, hidden 256, vocab 8000, additive attention, 20 source tokens",
        "encoder_ms": {"median": median(r[0] for r in runs), "best": best(r[0] for r in runs)},
        "first_token_ms": {"median": median(r[1] for r in runs),
                           "best": best(r[1] for r in runs)},
        "step_ms_per_token": {"median": median(r[2] for r in runs),
                              "best": best(r[2] for r in runs)},
        "generate": {
            strategy: {
                "first_piece_ms": median(r[0] for r in rs),
                "ms_per_token": {"median": median(r[1] for r in rs),
                                 "best": best(r[1] for r in rs)},
                "tokens": rs[0][2],
                "total_ms": median(r[3] for r in rs),
            }
            for strategy, rs in streams.items()
        },
        "xla": args.xla,
        "tokens": args.tokens,
        "repeats": args.repeats,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
