"""Held-out evaluation of an artifact against a trigram LM and a TF-IDF retrieval baseline."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import linear_kernel
from sklearn.pipeline import make_pipeline

from ingestion.records import Pair
from modeling.artifact import Chatbot, load, read_pairs
from modeling.data import Example, make_batches, make_examples
from modeling.decode import EMPTY_CONTEXT
from modeling.options import DEFAULT_MODE, DEFAULT_STRATEGY, DEFAULTS
from modeling.perplexity import PerplexityMeter
from modeling.retrieval import ReplyIndex
from modeling.verdict import verdict

EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")
WORD = re.compile(r"\w+|[\U0001F000-\U0001FAFF\u2600-\u27BF]", re.UNICODE)
SAMPLES = 5
# Hits@1 of 20, as in ConvAI2: the real reply against 19 others from the held-out split.
CANDIDATES = 20
# Ranking replies subtracts their own log-probability as reranking does (pointwise mutual
# information at the default weight): on the base model's held-out chats Hits@1 is 0.06 by
# likelihood alone, 0.08 at weight 0.5 and 0.175 at 1.
ANTI_LM_WEIGHT = DEFAULTS["anti_lm"]


def evaluate_artifact(path: Path, max_pairs: int = 200, strategy: str = DEFAULT_STRATEGY,
                      mode: str = DEFAULT_MODE) -> dict:
    bot = load(path)
    train = read_pairs(path, "train")
    heldout = read_pairs(path, "heldout")
    split = "heldout"
    if not heldout:  # tiny corpora have no held-out split: say so rather than fail
        heldout, split = train, "train"
    # Perplexities are cheap: over the whole split, as training's validation measures them,
    # both over exactly the words the model scores (a reply cut to max_target_len counts only
    # its kept words). Generation and ranking are not: they use the first max_pairs pairs.
    retrieve = mode != "generate"
    examples = bot_examples(bot, heldout, retrieve)
    perplexity = PerplexityMeter(bot.model)(make_batches(examples, 32, None))
    trigram = TrigramLM([p.response for p in train]).perplexity(
        [p.response for p in heldout], [None if e.complete else e.words for e in examples]
    )
    heldout = heldout[:max_pairs]
    real = [p.response for p in heldout]
    generated = [bot.reply(p.context, p.addressee, strategy, mode) for p in heldout]
    retrieved = retrieval_replies(train, heldout)
    candidates = ranking_candidates(real, seed=0)
    result = {
        "split": split,
        "pairs": len(heldout),
        "strategy": strategy,
        "mode": mode,
        "perplexity": perplexity,
        "baseline_trigram_perplexity": trigram,
        "truncated_share": float(np.mean([not e.complete for e in examples])),
        "hits_at_1": model_hits_at_1(bot, heldout, candidates, retrieve),
        "baseline_retrieval_hits_at_1": retrieval_hits_at_1(train, heldout, candidates),
        "ranking_candidates": max((len(c) for c in candidates), default=0),
        "f1": mean_f1(generated, real),
        "baseline_retrieval_f1": mean_f1(retrieved, real),
        "distinct_1": distinct(generated, 1),
        "distinct_2": distinct(generated, 2),
        "real_distinct_2": distinct(real, 2),
        "baseline_retrieval_distinct_1": distinct(retrieved, 1),
        "baseline_retrieval_distinct_2": distinct(retrieved, 2),
        "repeated_replies": repeated_replies(generated),
        "repeated_tokens": repeated_tokens(generated),
        "mean_length": mean_length(generated),
        "real_mean_length": mean_length(real),
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
    return {**result, "verdict": verdict({**bot.data_facts, **result})}


def bot_examples(bot: Chatbot, pairs: Sequence[Pair], retrieve: bool = True) -> list[Example]:
    """The pairs as the model reads them, with the retrieved replies unless `retrieve` is off."""
    found = bot.retrieved([p.context for p in pairs]) if retrieve else ()
    return make_examples(pairs, bot.tokenizer, bot.persona_names, ["<anyone>", *bot.addressees],
                         bot.config, found)


def ranking_candidates(replies: Sequence[str], seed: int) -> list[list[int]]:
    """Per reply: its own index first, then up to CANDIDATES - 1 other replies (never one with
    the same words, which no ranker could tell apart)."""
    rng = np.random.default_rng(seed)
    keys = [" ".join(words(r)) for r in replies]
    out = []
    for i in range(len(replies)):
        others = [j for j in rng.permutation(len(replies)).tolist() if keys[j] != keys[i]]
        out.append([i, *others[:CANDIDATES - 1]])
    return out


def model_hits_at_1(bot: Chatbot, pairs: Sequence[Pair], candidates: Sequence[list[int]],
                    retrieve: bool = True):
    """Share of contexts whose real reply the model ranks first among the candidates, by
    log p(reply | context) - ANTI_LM_WEIGHT * log p(reply): the mutual-information score that
    keeps short generic replies from winning every context (Li et al. 2016)."""
    rows = [c for c in candidates if len(c) > 1]
    if not rows:
        return None
    meter = PerplexityMeter(bot.model)
    scored = [
        replace(pairs[i], response=pairs[j].response) for i, c in enumerate(candidates)
        if len(c) > 1 for j in c
    ]
    conditional = -meter.reply_nll(bot_examples(bot, scored, retrieve))
    unconditional = -meter.reply_nll(bot_examples(bot, [
        replace(p, context=EMPTY_CONTEXT) for p in pairs
    ]))
    hits, start = [], 0
    for row in rows:
        scores = conditional[start:start + len(row)] - ANTI_LM_WEIGHT * unconditional[row]
        hits.append(int(np.argmax(scores)) == 0)
        start += len(row)
    return float(np.mean(hits))


def retrieval_hits_at_1(
    train: Sequence[Pair], pairs: Sequence[Pair], candidates: Sequence[list[int]]
) -> float | None:
    """The same ranking by TF-IDF cosine between the answered turn and each candidate."""
    rows = [(i, c) for i, c in enumerate(candidates) if len(c) > 1]
    if not rows:
        return None
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")
    try:
        vectorizer.fit([t for p in train for _, t in p.context] + [p.response for p in train])
    except ValueError:
        return 0.0
    queries = vectorizer.transform([p.context[-1][1] for p in pairs])
    replies = vectorizer.transform([p.response for p in pairs])
    hits = [
        int(np.argmax(linear_kernel(queries[i], replies[row]).ravel())) == 0 for i, row in rows
    ]
    return float(np.mean(hits))


def repeated_replies(replies: Sequence[str]) -> float:
    """Share of replies that were also given, word for word, to another context."""
    keys = [" ".join(words(r)) for r in replies]
    counts = Counter(keys)
    return float(np.mean([counts[k] > 1 for k in keys])) if keys else 0.0


def repeated_tokens(replies: Sequence[str]) -> float:
    """Share of words that repeat the word before them ("the the", "is is")."""
    pairs = [(a, b) for w in map(words, replies) for a, b in zip(w, w[1:], strict=False)]
    return float(np.mean([a == b for a, b in pairs])) if pairs else 0.0


def mean_length(texts: Sequence[str]) -> float:
    return float(np.mean([len(words(t)) for t in texts])) if texts else 0.0


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
    """The baseline: the reply to the most similar training message (modeling.retrieval), or
    the first reply when nothing matches."""
    if not train:
        return ["" for _ in queries]
    found = ReplyIndex(train).replies([p.context for p in queries])
    return [train[0].response if reply is None else reply for reply in found]


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

    def perplexity(
        self, sentences: Sequence[str], cuts: Sequence[int | None] = ()
    ) -> float | None:
        """Per word, end of sentence included. cuts[i], when given and not None: score only the
        first cuts[i] words of sentence i and no end (as the model scores a cut reply)."""
        log_sum, count = 0.0, 0
        for i, sentence in enumerate(sentences):
            cut = cuts[i] if i < len(cuts) else None
            scored = sentence.split() if cut is None else sentence.split()[:cut]
            tokens = ["<s>", "<s>", *scored] + (["</s>"] if cut is None else [])
            for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False):
                log_sum -= math.log(self.prob(a, b, c))
            count += len(tokens) - 2
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
