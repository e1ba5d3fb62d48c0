from modeling.verdict import verdict

GOOD = {
    "perplexity": 80.0, "baseline_trigram_perplexity": 120.0,
    "f1": 0.18, "baseline_retrieval_f1": 0.12,
    "hits_at_1": 0.45, "baseline_retrieval_hits_at_1": 0.2,
    "repeated_replies": 0.02, "repeated_tokens": 0.0, "distinct_2": 0.5,
    "train_pairs": 3000, "base_model": True, "preset": "standard",
}


def test_a_model_that_beats_every_baseline_and_varies_is_good():
    found = verdict(GOOD)
    assert found["level"] == "good" and not found["problems"] and not found["advice"]


def test_the_word_salad_model_of_the_issue_is_poor_despite_its_perplexity():
    # Perplexity 30 against 322 (the truncation bug), one reply for every question.
    salad = {**GOOD, "perplexity": 30.0, "baseline_trigram_perplexity": 322.0,
             "repeated_replies": 1.0, "repeated_tokens": 0.3, "distinct_2": 0.007,
             "hits_at_1": 0.05, "f1": 0.05, "train_pairs": 920, "base_model": False}
    found = verdict(salad)
    assert found["level"] == "poor"
    assert any("same reply" in p for p in found["problems"])
    assert any("more chats" in a for a in found["advice"])
    assert any("base model" in a for a in found["advice"])


def test_losing_any_one_baseline_or_repeating_replies_is_never_good():
    for change in ({"perplexity": 130.0}, {"f1": 0.1}, {"hits_at_1": 0.1},
                   {"repeated_replies": 0.2}, {"repeated_tokens": 0.1}, {"distinct_2": 0.2}):
        assert verdict({**GOOD, **change})["level"] != "good", change


def test_a_missing_ranking_figure_is_not_counted_as_a_win():
    assert verdict({**GOOD, "hits_at_1": None})["level"] != "good"
    assert verdict({})["level"] == "unknown"
