"""Held-out evaluation of an artifact against a trigram LM and a TF-IDF retrieval baseline."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import linear_kernel
from sklearn.pipeline import make_pipeline

from ingestion.records import Pair
from modeling.artifact import Chatbot, load, read_pairs
from modeling.data import make_batches, make_examples, word_count
from modeling.perplexity import PerplexityMeter

EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")
WORD = re.compile(r"\w+|[\U0001F000-\U0001FAFF\u2600-\u27BF]", re.UNICODE)
SAMPLES = 5


def evaluate_artifact(path: Path, max_pairs: int = 200, strategy: str = "greedy") -> dict:
    bot = load(path)
    train = read_pairs(path, "train")
    heldout = read_pairs(path, "heldout")
    split = "heldout"
    if not heldout:  # tiny corpora have no held-out split: say so rather than fail
        heldout, split = train, "train"
    # Perplexities are cheap: over the whole split, as training's validation measures them.
    # Generation is not: its metrics use the first max_pairs pairs.
    perplexity = model_perplexity(bot, heldout)
    trigram = TrigramLM([p.response for p in train]).perplexity([p.response for p in heldout])
    heldout = heldout[:max_pairs]
    real = [p.response for p in heldout]
    generated = [bot.reply(p.context, p.addressee, strategy) for p in heldout]
    retrieved = retrieval_replies(train, heldout)
    return {
        "split": split,
        "pairs": len(heldout),
        "perplexity": perplexity,
        "baseline_trigram_perplexity": trigram,
        "f1": mean_f1(generated, real),
        "baseline_retrieval_f1": mean_f1(retrieved, real),
        "distinct_1": distinct(generated, 1),
        "distinct_2": distinct(generated, 2),
        "baseline_retrieval_distinct_1": distinct(retrieved, 1),
        "baseline_retrieval_distinct_2": distinct(retrieved, 2),
        "style": {
            "generated": style(generated),
            "real": style(real),
            "baseline_retrieval": style(retrieved),
        },
        "sounds_like_you": sounds_like_you(train, heldout, bot.persona_names,
                                           generated, retrieved),
        "samples": [
            {"context": [list(t) for t in p.context], "real": p.response, "generated": g,
             "baseline_retrieval": r}
            for p, g, r in zip(heldout[:SAMPLES], generated, retrieved, strict=False)
        ],
    }


def model_perplexity(bot: Chatbot, pairs: Sequence[Pair]) -> float | None:
    examples = make_examples(pairs, bot.tokenizer, bot.persona_names, ["<anyone>",
                             *bot.addressees], bot.config)
    return PerplexityMeter(bot.model)(make_batches(examples, 32, None))


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = words(prediction), words(reference)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or not common:
        return float(not pred and not ref)
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def mean_f1(predictions: Sequence[str], references: Sequence[str]) -> float:
    scores = [token_f1(p, r) for p, r in zip(predictions, references, strict=True)]
    return float(np.mean(scores)) if scores else 0.0


def distinct(texts: Sequence[str], n: int) -> float:
    grams = [tuple(w[i:i + n]) for w in map(words, texts) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def style(texts: Sequence[str]) -> dict:
    if not texts:
        return {"mean_length": 0.0, "emoji_rate": 0.0, "lowercase_rate": 0.0,
                "question_rate": 0.0}
    lettered = [t for t in texts if any(c.isalpha() for c in t)]
    return {
        "mean_length": float(np.mean([len(t.split()) for t in texts])),
        "emoji_rate": float(np.mean([bool(EMOJI.search(t)) for t in texts])),
        "lowercase_rate": float(np.mean([t == t.lower() for t in lettered])) if lettered else 0.0,
        "question_rate": float(np.mean(["?" in t for t in texts])),
    }


def retrieval_replies(train: Sequence[Pair], queries: Sequence[Pair]) -> list[str]:
    """The reply to the most similar training message (TF-IDF cosine on the answered turn)."""
    if not train:
        return ["" for _ in queries]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")
    try:
        index = vectorizer.fit_transform([p.context[-1][1] for p in train])
    except ValueError:  # nothing but stop words / empty texts
        return [train[0].response for _ in queries]
    scores = linear_kernel(vectorizer.transform([p.context[-1][1] for p in queries]), index)
    return [train[int(i)].response for i in scores.argmax(axis=1)]


class TrigramLM:
    """Word trigram LM, Jelinek-Mercer interpolated with an add-one unigram (unseen words too)."""

    LAMBDAS = (0.5, 0.3, 0.2)

    def __init__(self, sentences: Sequence[str]):
        self.tri: Counter[tuple[str, str, str]] = Counter()
        self.bi: Counter[tuple[str, str]] = Counter()
        self.uni: Counter[str] = Counter()
        self.bi_ctx: Counter[tuple[str, str]] = Counter()
        self.uni_ctx: Counter[str] = Counter()
        for sentence in sentences:
            tokens = ["<s>", "<s>", *sentence.split(), "</s>"]
            for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False):
                self.tri[a, b, c] += 1
                self.bi_ctx[a, b] += 1
                self.bi[b, c] += 1
                self.uni_ctx[b] += 1
                self.uni[c] += 1
        self.total = sum(self.uni.values())

    def prob(self, a: str, b: str, c: str) -> float:
        l3, l2, l1 = self.LAMBDAS
        p1 = (self.uni[c] + 1) / (self.total + len(self.uni) + 1)
        p2 = self.bi[b, c] / self.uni_ctx[b] if self.uni_ctx[b] else p1
        p3 = self.tri[a, b, c] / self.bi_ctx[a, b] if self.bi_ctx[a, b] else p2
        return l3 * p3 + l2 * p2 + l1 * p1

    def perplexity(self, sentences: Sequence[str]) -> float | None:
        log_sum, count = 0.0, 0
        for sentence in sentences:
            tokens = ["<s>", "<s>", *sentence.split(), "</s>"]
            for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False):
                log_sum -= math.log(self.prob(a, b, c))
            count += word_count(sentence)
        return math.exp(log_sum / count) if count else None


def sounds_like_you(train: Sequence[Pair], heldout: Sequence[Pair], me: Sequence[str],
                    generated: Sequence[str], retrieved: Sequence[str]) -> dict:
    """A char n-gram classifier of "the persona's reply" vs "another speaker's turn".

    Reports the share of generated, real held-out and retrieved replies it attributes to the
    persona, and the share of other speakers' held-out turns (its false-positive rate).
    """
    mine = [p.response for p in train]
    others = _other_turns(train, me)
    if not mine or not others:
        return {"generated": None, "real": None, "baseline_retrieval": None,
                "other_speakers": None, "note": "needs replies from the persona and others"}
    classifier = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=1000, class_weight="balanced"),
    )
    classifier.fit(mine + others, [1] * len(mine) + [0] * len(others))

    def share(texts: Sequence[str]) -> float | None:
        return float(np.mean(classifier.predict(list(texts)))) if texts else None

    return {
        "generated": share(generated),
        "real": share([p.response for p in heldout]),
        "baseline_retrieval": share(retrieved),
        "other_speakers": share(_other_turns(heldout, me)),
    }


def _other_turns(pairs: Sequence[Pair], me: Sequence[str]) -> list[str]:
    names = set(me)
    replies = {p.response for p in pairs}
    seen: set[str] = set()
    turns = []
    for p in pairs:
        for speaker, text in p.context:
            if speaker not in names and text not in replies and text not in seen and text.strip():
                seen.add(text)
                turns.append(text)
    return turns
