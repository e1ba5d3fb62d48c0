import math
from dataclasses import replace

import pytest

from ingestion.records import Pair
from modeling.artifact import load
from modeling.evaluate import (
    TrigramLM,
    distinct,
    evaluate_artifact,
    model_hits_at_1,
    ranking_candidates,
    repeated_replies,
    repeated_tokens,
    style,
    token_f1,
)
from modeling.train import train
from tests.modeling.conftest import tiny_config

KEYS = {"perplexity", "baseline_trigram_perplexity", "truncated_share", "hits_at_1",
        "baseline_retrieval_hits_at_1", "f1", "baseline_retrieval_f1", "distinct_1",
        "distinct_2", "repeated_replies", "repeated_tokens", "mean_length", "real_mean_length",
        "style", "sounds_like_you", "samples", "verdict"}
# The reply every held-out question got in the issue that asked for honest figures.
SALAD = "I is is is the... the. the the. of.. of the.,.., the."


def test_evaluate_reports_every_key_with_sane_values(tiny_artifact):
    report = evaluate_artifact(tiny_artifact, max_pairs=10)
    assert KEYS <= set(report)
    assert report["split"] == "heldout" and 0 < report["pairs"] <= 10
    assert report["perplexity"] > 1 and report["baseline_trigram_perplexity"] > 1
    for key in ("f1", "baseline_retrieval_f1", "distinct_1", "distinct_2"):
        assert 0.0 <= report[key] <= 1.0
    assert set(report["style"]) == {"generated", "real", "baseline_retrieval"}
    assert set(report["style"]["real"]) == {"mean_length", "emoji_rate", "lowercase_rate",
                                            "question_rate"}
    sly = report["sounds_like_you"]
    assert 0 <= sly["generated"] <= 1 and sly["real"] >= 0.5 and sly["other_speakers"] <= 0.5
    assert report["samples"] and {"context", "real", "generated"} <= set(report["samples"][0])
    assert 0.0 <= report["hits_at_1"] <= 1.0 and 0.0 <= report["truncated_share"] <= 1.0
    assert report["verdict"]["level"] in ("good", "fair", "poor")


def test_degeneration_figures_flag_one_canned_stuttering_reply():
    salad = [SALAD] * 10
    assert repeated_replies(salad) == 1.0
    assert repeated_tokens(salad) > 0.2
    assert distinct(salad, 2) < 0.1
    varied = ["see you at six", "the blue one please", "no idea, ask Jo", "pizza again?"]
    assert repeated_replies(varied) == 0.0 and repeated_tokens(varied) == 0.0
    assert repeated_replies(varied + ["See you at six!"]) == pytest.approx(2 / 5)


def test_ranking_candidates_hold_the_real_reply_first_and_no_copy_of_it():
    replies = [f"reply {i}" for i in range(30)] + ["reply 3"]
    candidates = ranking_candidates(replies, seed=0)
    assert all(row[0] == i and len(row) == 20 for i, row in enumerate(candidates))
    assert 30 not in candidates[3][1:] and 3 not in candidates[30][1:]


def test_token_f1_and_distinct():
    assert token_f1("Yes please!", "yes please") == 1.0
    assert token_f1("no", "yes") == 0.0
    assert token_f1("a b", "a c") == pytest.approx(0.5)
    assert distinct(["a a a"], 1) == pytest.approx(1 / 3)
    assert distinct(["a b", "a b"], 2) == pytest.approx(0.5)


def test_style_statistics():
    stats = style(["hi 😀", "How are you?", "ok"])
    assert stats["mean_length"] == pytest.approx(2.0)
    assert stats["emoji_rate"] == pytest.approx(1 / 3)
    assert stats["question_rate"] == pytest.approx(1 / 3)
    assert stats["lowercase_rate"] == pytest.approx(2 / 3)


def test_trigram_lm_prefers_seen_text_and_counts_words():
    lm = TrigramLM(["see you soon", "see you later"] * 5)
    seen, unseen = lm.perplexity(["see you soon"]), lm.perplexity(["purple elephants dance"])
    assert 1 < seen < unseen
    assert math.isfinite(unseen)


def test_trigram_scores_only_the_words_a_cut_reply_keeps():
    lm = TrigramLM(["see you soon"] * 5)
    # Cut after two words: "see you" scored, the unseen tail and the end are not.
    assert lm.perplexity(["see you purple elephants"], [2]) < lm.perplexity(["see you"])
    assert lm.perplexity(["see you purple elephants"], [2]) < 2


def test_hits_at_1_rewards_a_model_that_reads_the_context_and_not_one_that_ignores_it(
    tmp_path,
):
    words = "apple river mountain violin rocket garden winter coffee tiger pencil".split()
    pairs = [Pair((("Ann", w),), w, "Ann", "t.txt", f"c{k}") for k in range(4) for w in words]
    result = train(pairs, tmp_path, tiny_config(epochs=40, learning_rate=3e-3, val_fraction=0.0,
                                                dropout=0.0, hidden_size=64, embedding_dim=32,
                                                lr_schedule="constant"))
    bot = load(result.artifact_dir)
    seen = pairs[:len(words)]
    candidates = ranking_candidates([p.response for p in seen], seed=0)
    # 20 candidates: chance is 0.05.
    assert model_hits_at_1(bot, seen, candidates) >= 0.4
    # The same model, every context blanked: it can only guess the reply it likes best.
    blind = [replace(p, context=(("Ann", "hello"),)) for p in seen]
    assert model_hits_at_1(bot, blind, candidates) <= 0.2
