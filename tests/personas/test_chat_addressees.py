""""Talking to" on the chat page lists the people and groups a real training run learned,
once each: the model's "anyone" row is the page's own first option, and a group in a renamed
export is "the group in FILE", not the file's name."""

import re

import pytest
from django.urls import reverse

from personas.models import TrainingRun
from personas.services.training import create_run, run_training
from personas.services.uploads import parse_data_file, store_upload
from tests.personas.support import TINY_OVERRIDES, WHATSAPP_SAMPLE, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GROUP_CHAT = "\n".join(
    f"1/3/21, 10:{minute:02d} - {author}: {text}"
    for minute, (author, text) in enumerate(
        [("Jo", "who is in for saturday?"), ("Sam", "me! where do we meet?"),
         ("Alex", "the usual spot"), ("Sam", "great, see you there")] * 6
    )
) + "\n"


def test_talking_to_lists_each_addressee_once(client, make_persona, media_root, tmp_path):
    persona = make_persona("ana", "sam", name="Sam", identities=["Sam"])
    group = tmp_path / "lorem-2000.txt"
    group.write_text(GROUP_CHAT)
    for path in (WHATSAPP_SAMPLE, group):
        data_file = parse_data_file(store_upload(persona, upload(path)))
        assert data_file.status == "parsed", data_file.error
    run = run_training(create_run(persona, "quick", {**TINY_OVERRIDES, "epochs": 1}).pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error

    client.force_login(persona.owner)
    html = client.get(reverse("persona_chat", args=["sam"])).content.decode()
    select = re.search(r'<select id="chat-addressee">(.*?)</select>', html, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert options[0] == ("", "anyone")
    names = [label for _, label in options[1:]]
    assert sorted(names) == ["Alex", "the group in lorem-2000.txt"]
    assert "<anyone>" not in html and "&lt;anyone&gt;" not in html


def test_migration_drops_the_anyone_row_stored_by_earlier_versions(make_persona):
    from importlib import import_module

    from django.apps import apps

    from personas.models import ModelVersion

    migration = import_module("personas.migrations.0002_addressees_without_anyone_row")
    persona = make_persona()
    old = ModelVersion.objects.create(
        persona=persona, version=1, artifact_path="a", addressees=["<anyone>", "Alex"]
    )
    new = ModelVersion.objects.create(persona=persona, version=2, artifact_path="b",
                                      addressees=["Alex"])
    migration.drop_anyone_row(apps, None)
    old.refresh_from_db(), new.refresh_from_db()
    assert old.addressees == ["Alex"] and new.addressees == ["Alex"]
