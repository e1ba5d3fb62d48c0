"""Before its first step a run says what it is doing, with counts, in the frames the page
shows (it used to sit at 0% with "preparing the data and the model…" for half a minute)."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from personas.models import TrainingRun
from personas.services import events
from personas.services.training import create_run, run_training
from personas.services.uploads import parse_data_file, store_upload
from tests.personas.support import TINY_OVERRIDES, TINY_PAIRS, WHATSAPP_SAMPLE, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_frames_name_the_stages_before_training_with_counts(make_persona, media_root):
    persona = make_persona(identities=["Sam"])
    for path in (TINY_PAIRS, WHATSAPP_SAMPLE):
        assert parse_data_file(store_upload(persona, upload(path))).status == "parsed"
    run = create_run(persona, "quick", {**TINY_OVERRIDES, "epochs": 1})
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(events.training_group(run.pk), channel)

    assert run_training(run.pk).status == TrainingRun.Status.SUCCEEDED
    phases = []
    while True:  # the frames in order, up to the one that ends the run
        frame = async_to_sync(layer.receive)(channel)["frame"]
        if frame["phase"] and frame["phase"] not in phases and not frame["total_steps"]:
            phases.append(frame["phase"])
        if frame["status"] != "running":
            break
    assert phases[0] == "loading TensorFlow…"
    assert phases[1] == "reading 2 files…"
    pairs, rest = phases[2].split(" ", 1)
    assert int(pairs.replace(",", "")) > 100
    assert rest == "training pairs from 2 files; training the tokenizer and building the model…"
