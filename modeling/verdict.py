"""One verdict on a trained model, in plain words, from its evaluation figures.

"good" only when the model beats both baselines (trigram perplexity, retrieval F1 and Hits@1)
and its generated replies are not degenerate; the dashboard and `evaluate_persona` show it.
"""

from __future__ import annotations

# Degeneration limits: past these, replies read as word salad or as one canned answer.
MAX_REPEATED_REPLIES = 0.10
MAX_REPEATED_TOKENS = 0.05
MIN_DISTINCT_2 = 0.30
# Far past them the model is unusable whatever else it scores.
BROKEN_REPEATED_REPLIES = 0.5
BROKEN_REPEATED_TOKENS = 0.2
BROKEN_DISTINCT_2 = 0.1
# Under this many training pairs, more data is the first advice.
FEW_PAIRS = 1000


def verdict(m: dict) -> dict:
    """{"level": good | fair | poor | unknown, "summary", "problems": [...], "advice": [...]}"""
    if m.get("f1") is None or m.get("perplexity") is None:
        return {"level": "unknown", "summary": "Not evaluated yet.", "problems": [],
                "advice": []}
    losses = _baseline_losses(m)
    degenerate = _degeneration(m)
    broken = (
        _over(m, "repeated_replies", BROKEN_REPEATED_REPLIES)
        or _over(m, "repeated_tokens", BROKEN_REPEATED_TOKENS)
        or _under(m, "distinct_2", BROKEN_DISTINCT_2)
    )
    if not losses and not degenerate:
        level, summary = "good", "Replies beat the baselines and vary with what is said."
    elif broken or len(losses) == 3:
        level, summary = "poor", "Not worth talking to yet: the replies are mostly noise."
    else:
        level, summary = "fair", "Usable as a preview: it still loses on some checks."
    return {
        "level": level,
        "summary": summary,
        "problems": losses + degenerate,
        "advice": [] if level == "good" else _advice(m),
    }


def _baseline_losses(m: dict) -> list[str]:
    losses = []
    if _worse(m.get("perplexity"), m.get("baseline_trigram_perplexity"), lower_is_better=True):
        losses.append("predicts your real replies worse than a simple word-statistics model")
    if _worse(m.get("f1"), m.get("baseline_retrieval_f1")):
        losses.append("its replies share fewer words with yours than quoting your closest "
                      "past reply does")
    if _worse(m.get("hits_at_1"), m.get("baseline_retrieval_hits_at_1")):
        losses.append("picks your real reply out of 20 less often than word matching does")
    return losses


def _degeneration(m: dict) -> list[str]:
    problems = []
    if _over(m, "repeated_replies", MAX_REPEATED_REPLIES):
        problems.append(f"gives the same reply to different messages "
                        f"({m['repeated_replies']:.0%} of them)")
    if _over(m, "repeated_tokens", MAX_REPEATED_TOKENS):
        problems.append(f"stutters: {m['repeated_tokens']:.0%} of its words repeat the one before")
    if _under(m, "distinct_2", MIN_DISTINCT_2):
        problems.append("uses the same few phrases over and over")
    return problems


def _advice(m: dict) -> list[str]:
    advice = []
    pairs = m.get("train_pairs")
    if isinstance(pairs, int) and pairs < FEW_PAIRS:
        advice.append(f"Add more chats: it learned from {pairs} replies of yours; "
                      f"a few thousand make a big difference.")
    if m.get("base_model") is False:
        advice.append("Train again once the base model is ready: starting from it teaches "
                      "the model English before your style.")
    if m.get("preset") == "quick":
        advice.append("Train with the Standard preset: Quick is a preview.")
    if not advice:
        advice.append("Train longer (the Thorough preset) or add more chats.")
    return advice


def _worse(value, baseline, lower_is_better: bool = False) -> bool:
    """Missing figures count as a loss: nothing shows as good unless it was measured."""
    if value is None or baseline is None:
        return baseline is not None
    return value >= baseline if lower_is_better else value <= baseline


def _over(m: dict, key: str, limit: float) -> bool:
    return m.get(key) is not None and m[key] > limit


def _under(m: dict, key: str, limit: float) -> bool:
    return m.get(key) is not None and m[key] < limit
