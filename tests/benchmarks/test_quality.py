"""A small run of benchmarks/quality.py: every figure is computed for each kind of chat."""

import pytest

from benchmarks.chats import long_answers_csv, short_turns_whatsapp
from benchmarks.quality import run_case
from ingestion import build_pairs

FIGURES = {"perplexity", "baseline_trigram_perplexity", "truncated_share", "hits_at_1",
           "baseline_retrieval_hits_at_1", "f1", "baseline_retrieval_f1", "distinct_2",
           "repeated_replies", "repeated_tokens", "mean_length", "real_mean_length",
           "sounds_like_you", "verdict", "train_seconds"}
TINY = dict(epochs=2, max_minutes=1, vocab_size=300, hidden_size=32, embedding_dim=16)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["short_turns", "long_answers"])
def test_each_case_reports_every_figure(case):
    reports = run_case(case, None, "quick", TINY, scale=0.1, max_pairs=12,
                       strategies=("greedy", "rerank"))
    assert [r["strategy"] for r in reports] == ["greedy", "rerank"]
    for report in reports:
        assert FIGURES <= set(report)
        assert report["verdict"]["level"] in ("good", "fair", "poor")
        assert 0 <= report["hits_at_1"] <= 1 and report["perplexity"] > 1


def test_generated_chats_have_the_shapes_the_issue_names(tmp_path):
    answers = build_pairs(long_answers_csv(tmp_path / "a.csv", 200))
    assert len(answers) == 200
    assert all(30 <= len(p.response.split()) <= 100 for p in answers)
    turns = build_pairs(short_turns_whatsapp(tmp_path, 900), ["Sam"])
    assert len(turns) > 250
    assert sum(len(p.response.split()) for p in turns) / len(turns) < 8
    # Replies vary: few come out word for word twice, as in a real chat.
    assert len({p.response for p in turns}) > 0.7 * len(turns)
