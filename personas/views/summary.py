"""What the pages say about a persona: its state, data size and evaluation headline."""

from dataclasses import dataclass, field

from modeling.verdict import verdict
from personas.models import DataFile, Persona, TrainingRun


@dataclass(frozen=True, slots=True)
class PersonaState:
    key: str  # no-data | reading | ready-to-train | training | ready | failed
    label: str
    percent: int | None = None

    @property
    def busy(self) -> bool:
        """Work is under way in the background: the page keeps itself up to date."""
        return self.key in ("training", "reading")


@dataclass(frozen=True, slots=True)
class Headline:
    # modeling.verdict: good | fair | poor | unknown, with its plain-words summary and advice.
    level: str
    summary: str
    perplexity: float | None
    baseline_perplexity: float | None
    # Share of generated (and, for reference, real) replies a style classifier attributes to
    # the persona (modeling.evaluate.sounds_like_you); shown only beside the verdict.
    sounds_like_you: float | None
    sounds_like_you_real: float | None = None
    hits_at_1: float | None = None
    baseline_hits_at_1: float | None = None
    problems: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def good(self) -> bool:
        return self.level == "good"


def persona_state(persona: Persona) -> PersonaState:
    """The one state shown on the dashboard and the persona page (uses prefetched files/runs)."""
    runs = list(persona.runs.all())
    active = next((run for run in runs if run.is_active), None)
    if active is not None:
        return PersonaState("training", f"Training {active.percent}%", active.percent)
    if persona.active_model_id:
        return PersonaState("ready", "Ready")
    if runs and runs[0].status == TrainingRun.Status.FAILED:
        return PersonaState("failed", "Training failed")
    files = list(persona.files.all())
    if any(f.status in (DataFile.Status.PENDING, DataFile.Status.PARSING) for f in files):
        return PersonaState("reading", "Reading files")
    if any(f.status == DataFile.Status.PARSED for f in files):
        return PersonaState("ready-to-train", "Ready to train")
    return PersonaState("no-data", "No data yet")


def data_size(persona: Persona) -> int:
    return sum(f.size for f in persona.files.all())


def last_trained(persona: Persona):
    finished = [r.finished_at for r in persona.runs.all() if r.status == "succeeded"]
    return max(finished) if finished else None


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def headline(metrics: dict | None) -> Headline | None:
    """The verdict, with perplexity, Hits@1 and "sounds like you" beside it, when measured.

    Models evaluated before the verdict existed get one now from their stored figures; lacking
    the ranking figure, they never show as good."""
    if not metrics:
        return None
    found = metrics.get("verdict")
    found = found if isinstance(found, dict) and "level" in found else verdict(metrics)
    sounds = metrics.get("sounds_like_you")
    sounds = sounds if isinstance(sounds, dict) else {"generated": sounds}
    result = Headline(
        level=str(found["level"]),
        summary=str(found.get("summary", "")),
        perplexity=_number(metrics.get("perplexity", metrics.get("val_perplexity"))),
        baseline_perplexity=_number(metrics.get("baseline_trigram_perplexity")),
        sounds_like_you=_number(sounds.get("generated")),
        sounds_like_you_real=_number(sounds.get("real")),
        hits_at_1=_number(metrics.get("hits_at_1")),
        baseline_hits_at_1=_number(metrics.get("baseline_retrieval_hits_at_1")),
        problems=[str(p) for p in found.get("problems", [])],
        advice=[str(a) for a in found.get("advice", [])],
    )
    measured = (result.perplexity, result.sounds_like_you, result.hits_at_1)
    return result if any(v is not None for v in measured) else None
