"""What the pages say about a persona: its state, data size and evaluation headline."""

from dataclasses import dataclass

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
    perplexity: float | None
    baseline_perplexity: float | None
    # Share of generated (and, for reference, real) replies a style classifier attributes to
    # the persona (modeling.evaluate.sounds_like_you).
    sounds_like_you: float | None
    sounds_like_you_real: float | None = None

    @property
    def sounds_like_you_percent(self) -> int | None:
        return None if self.sounds_like_you is None else round(100 * self.sounds_like_you)

    @property
    def sounds_like_you_real_percent(self) -> int | None:
        return None if self.sounds_like_you_real is None else round(100 * self.sounds_like_you_real)


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
    """Perplexity against the trigram baseline and the "sounds like you" score, when measured."""
    if not metrics:
        return None
    sounds = metrics.get("sounds_like_you")
    sounds = sounds if isinstance(sounds, dict) else {"generated": sounds}
    found = Headline(
        perplexity=_number(metrics.get("perplexity", metrics.get("val_perplexity"))),
        baseline_perplexity=_number(metrics.get("baseline_trigram_perplexity")),
        sounds_like_you=_number(sounds.get("generated")),
        sounds_like_you_real=_number(sounds.get("real")),
    )
    return found if any(v is not None for v in (found.perplexity, found.sounds_like_you)) else None
