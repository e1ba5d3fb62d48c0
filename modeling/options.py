"""Decoding strategies and their options: plain Python, so the web app can validate a chat's
choice without loading TensorFlow. modeling.decode implements them."""

from typing import Any

STRATEGIES = ("greedy", "beam", "sample", "rerank")
# What chats and evaluation use unless told otherwise: on every chat of benchmarks/quality.py
# reranking repeats far fewer replies than greedy decoding, at about the same F1.
DEFAULT_STRATEGY = "rerank"
# Where a reply comes from: the model alone; the model reading the persona's closest real reply
# (retrieve and refine); or that real reply itself when its message is close enough.
MODES = ("generate", "blend", "quote")
DEFAULT_MODE = "blend"
# quote: the least cosine similarity (modeling.retrieval) between the message and the one the
# real reply answered.
QUOTE_MIN_SIMILARITY = 0.6
DEFAULTS: dict[str, Any] = {
    "max_length": None,  # None = the model's max_target_len
    "no_repeat_ngram": 3,  # 0 disables
    "beam_width": 4,
    "length_penalty": 0.6,  # GNMT alpha; 0 = raw log-probability
    "temperature": 0.8,
    "top_k": 0,  # 0 disables
    "top_p": 0.9,  # 1 disables
    "seed": None,
    "candidates": 8,  # rerank: the greedy reply and this many - 1 sampled ones
    # rerank: weight of -log p(reply) in the score (0 = likelihood alone). 1 = pointwise mutual
    # information; on the base model's held-out chats 0.5 gave 22% repeated replies, 1 gave 8%.
    "anti_lm": 1.0,
}
