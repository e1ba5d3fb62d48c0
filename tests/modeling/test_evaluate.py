import math

import pytest

from modeling.evaluate import TrigramLM, distinct, evaluate_artifact, style, token_f1

KEYS = {"perplexity", "baseline_trigram_perplexity", "f1", "baseline_retrieval_f1",
        "distinct_1", "distinct_2", "style", "sounds_like_you", "samples"}


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
