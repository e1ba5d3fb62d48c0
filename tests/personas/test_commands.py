"""The command-line contract: import -> train -> evaluate -> chat on danny.yml."""

import io
import json
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command

from personas.models import DataFile, Persona, TrainingRun
from personas.services import storage
from personas.services.training import create_run, run_training
from personas.services.uploads import parse_data_file, store_upload
from tests.needs import SEED, shared
from tests.personas.support import TINY_OVERRIDES, TINY_PAIRS, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EVALUATION_KEYS = {
    "perplexity", "baseline_trigram_perplexity", "f1", "baseline_retrieval_f1",
    "distinct_1", "distinct_2", "style", "sounds_like_you", "samples",
}


class RecordingOut(io.StringIO):
    """stdout that records writes and flushes in order."""

    def __init__(self):
        super().__init__()
        self.events: list[str | None] = []  # None marks a flush

    def write(self, text):
        self.events.append(text)
        return super().write(text)

    def flush(self):
        self.events.append(None)
        super().flush()


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def tiny_settings() -> list[str]:
    # danny.yml has more distinct characters (emoji) than the tiniest vocabulary holds.
    overrides = {**TINY_OVERRIDES, "epochs": 1, "batch_size": 32, "vocab_size": 600}
    return [arg for key, value in overrides.items() for arg in ("--set", f"{key}={value}")]


def test_cli_chain_on_danny(media_root, settings, monkeypatch):
    danny = shared(SEED / "yml" / "danny.yml")
    settings.EVALUATION_MAX_PAIRS = 8
    out = run("import_chats", "ana/danny", str(danny))
    assert "danny.yml: yaml" in out
    pairs = int(out.rsplit(";", 1)[1].split()[0])
    assert pairs > 1000
    persona = Persona.objects.get(owner__username="ana", slug="danny")
    assert "already imported" in run("import_chats", "ana/danny", str(danny))
    assert persona.files.count() == 1

    out = run("train_persona", "ana/danny", "--seed", "3", "--max-minutes", ".25", *tiny_settings())
    assert "Model version 1 of ana/danny is active" in out
    run_row = persona.runs.get()
    assert run_row.status == TrainingRun.Status.SUCCEEDED and run_row.overrides["seed"] == 3

    report = json.loads(run("evaluate_persona", "ana/danny", "--json", "--max-pairs", "8"))
    assert EVALUATION_KEYS <= set(report)
    assert report["perplexity"] > 1 and report["baseline_trigram_perplexity"] > 1
    assert "perplexity" in run("evaluate_persona", "ana/danny", "--max-pairs", "8")

    out = RecordingOut()
    call_command("chat_persona", "ana/danny", "--message", "Hi! How are you?", stdout=out)
    assert out.getvalue().startswith("danny> ") and len(out.getvalue().strip()) > len("danny>")
    saved = persona.conversations.get().messages.get(role="persona").text
    # Every decoded increment is written and flushed at once, not buffered to the end.
    increments = [e for e, after in pairwise(out.events) if e and after is None]
    assert "".join(increments) == saved

    monkeypatch.setattr("sys.stdin", io.StringIO("hello\nwhat do you like?\nexit\n"))
    out = run("chat_persona", "ana/danny", "--strategy", "beam")
    assert out.count("danny> ") == 2
    conversation = persona.conversations.order_by("-id").first()
    assert list(conversation.messages.values_list("role", flat=True)) == [
        "user", "persona", "user", "persona"
    ]


def test_train_without_data_fails_clearly(media_root, make_persona):
    make_persona("ana", "empty")
    with pytest.raises(CommandError, match="no usable data"):
        run("train_persona", "ana/empty")
    with pytest.raises(CommandError, match="No persona ana/nobody"):
        run("train_persona", "ana/nobody")
    with pytest.raises(CommandError, match="no trained model"):
        run("evaluate_persona", "ana/empty")
    with pytest.raises(CommandError, match="no unfinished training run"):
        run("train_persona", "ana/empty", "--resume")
    with pytest.raises(CommandError, match="USER/SLUG"):
        run("chat_persona", "just-a-name")


def test_bad_override_fails_the_run_with_its_name(media_root, make_persona):
    persona = make_persona("ana", "x")
    DataFile.objects.create(persona=persona, original_name="a", file="u/a", status="parsed")
    with pytest.raises(CommandError, match="no_such_field"):
        run("train_persona", "ana/x", "--set", "no_such_field=1")
    assert persona.runs.get().status == TrainingRun.Status.FAILED


def test_base_model_is_trained_and_then_used(media_root, make_persona, settings):
    from modeling.artifact import load  # TensorFlow: imported only when this test runs

    settings.EVALUATION_MAX_PAIRS = 4
    out = run("train_base_model", "--set", "max_minutes=0.1", *tiny_settings())
    assert "Base model saved to" in out
    base = load(settings.BASE_MODEL_DIR)
    assert base.config.hidden_size == TINY_OVERRIDES["hidden_size"]
    # How `make run` starts it: a second start keeps the model that is there.
    saved = (settings.BASE_MODEL_DIR / "manifest.json").stat().st_mtime_ns
    assert "already" in run("train_base_model", "--if-missing")
    assert (settings.BASE_MODEL_DIR / "manifest.json").stat().st_mtime_ns == saved

    persona = make_persona()
    parse_data_file(store_upload(persona, upload(TINY_PAIRS)))
    # The persona model continues the base model: its shape wins over the run's own.
    run_row = create_run(persona, "quick", {**TINY_OVERRIDES, "hidden_size": 24, "epochs": 1})
    run_row = run_training(run_row.pk)
    assert run_row.status == TrainingRun.Status.SUCCEEDED, run_row.error
    model = load(storage.local_dir(persona.versions.get().artifact_path))
    assert model.config.hidden_size == TINY_OVERRIDES["hidden_size"]
    assert model.tokenizer.vocab_size == base.tokenizer.vocab_size
