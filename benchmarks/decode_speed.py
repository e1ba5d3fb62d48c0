"""Decoding latency for the reference shape, printed as JSON.

Encoder time, time to the first token (encoder + first step + token choice) and mean
per-token latency of greedy decoding through the same Decoder the chat uses, with a fixed
number of tokens (end-of-reply suppressed by an untrained model is not relied on: the
per-token loop is timed directly). The machine is shared: load averages are reported.

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
from modeling.tokenizer import BOS, Tokenizer  # noqa: E402

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
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    tok = tokenizer()
    tf.keras.utils.set_random_seed(0)
    model = Seq2Seq(REFERENCE, tok.vocab_size)
    decoder = Decoder(model, tok, REFERENCE)
    source = list(np.random.default_rng(1).integers(10, tok.vocab_size, 20))
    who = tf.constant([0], tf.int32)
    no_options = {"no_repeat_ngram": 3}

    def run_once():
        started = time.perf_counter()
        enc, keys, mask, states = decoder.encode(source)
        enc.numpy()
        encoded = time.perf_counter()
        attn = tf.zeros([1, REFERENCE.hidden_size])
        token = tf.constant([BOS], tf.int32)
        produced: list[int] = []
        marks = []
        for _ in range(args.tokens):
            log_probs, states, attn = decoder.step(token, who, states, attn, enc, keys, mask)
            row = decoder._allowed(log_probs.numpy()[0], produced,
                                   no_options["no_repeat_ngram"])
            choice = int(np.argmax(row))
            produced.append(choice)
            token = tf.constant([choice], tf.int32)
            marks.append(time.perf_counter())
        first = marks[0] - started
        per_token = (marks[-1] - marks[0]) / (len(marks) - 1)
        return encoded - started, first, per_token

    for _ in range(3):  # trace and warm up
        run_once()
    runs = [run_once() for _ in range(args.repeats)]
    stream_started = time.perf_counter()
    reply = "".join(decoder.generate(["hello there how are you"], [], ["<anyone>"], None,
                                     max_length=args.tokens))
    stream_s = time.perf_counter() - stream_started
    result = {
        "shape": "emb 128, 1 layer, hidden 256, vocab 8000, additive attention, 20 source tokens",
        "encoder_ms": round(statistics.median(r[0] for r in runs) * 1000, 2),
        "first_token_ms": round(statistics.median(r[1] for r in runs) * 1000, 2),
        "per_token_ms": round(statistics.median(r[2] for r in runs) * 1000, 3),
        "generate_stream_ms_per_token": round(
            stream_s * 1000 / max(1, len(tok.encode(reply))), 3),
        "tokens": args.tokens,
        "repeats": args.repeats,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
