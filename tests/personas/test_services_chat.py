"""Chat service: saved messages, the model cache, corrupt-artifact fallback."""

import pytest

from personas.models import ChatMessage, Conversation
from personas.services import chat, storage
from personas.services.training import activate_model

pytestmark = pytest.mark.django_db


def corrupt(model) -> None:
    for path in storage.local_dir(model.artifact_path).rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage")


def test_reply_is_streamed_and_saved_whole(make_persona, install_model, tiny_artifact):
    persona = make_persona()
    install_model(persona, tiny_artifact)
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)
    stream = chat.reply_stream(conversation, "how are you", strategy="greedy")
    assert list(conversation.messages.values_list("role", "text")) == [("user", "how are you")]
    parts = list(stream)
    assert len(parts) >= 2 and all(isinstance(p, str) for p in parts)
    assert stream.message.text == "".join(parts) == stream.text
    assert list(conversation.messages.values_list("role", flat=True)) == ["user", "persona"]
    conversation.refresh_from_db()
    assert conversation.title == "how are you"
    for strategy, options in (("beam", {"beam_width": 3}), ("sample", {"temperature": 0.7})):
        assert list(chat.reply_stream(conversation, "bye", strategy=strategy, **options))
    assert conversation.messages.filter(role="persona").count() == 3


def test_a_resent_message_reuses_what_its_first_attempt_saved(
    make_persona, install_model, tiny_artifact
):
    persona = make_persona()
    install_model(persona, tiny_artifact)
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)

    def saved():
        return list(conversation.messages.values_list("role", "text"))

    # The server died mid-reply: the message was saved, its reply never was.
    chat.reply_stream(conversation, "are you there")
    stream = chat.reply_stream(conversation, "are you there", resend=True)
    reply = "".join(stream)
    assert saved() == [("user", "are you there"), ("persona", reply)]

    # Answered after the client had gone: the saved reply comes back whole, nothing new.
    again = chat.reply_stream(conversation, "are you there", resend=True)
    assert list(again) == [] and (again.message, again.text) == (stream.message, reply)
    assert len(saved()) == 2

    # The same text sent again on purpose is a new message.
    list(chat.reply_stream(conversation, "are you there"))
    assert len(saved()) == 4


def test_context_is_the_last_turns_oldest_first(make_persona):
    persona = make_persona()
    conversation = Conversation.objects.create(persona=persona, addressee="Alex")
    for role, text in [("user", "a"), ("persona", "b"), ("user", "c"), ("persona", "d")]:
        ChatMessage.objects.create(conversation=conversation, role=role, text=text)
    assert chat.context_turns(conversation, 3, "Sam") == [
        ("Sam", "b"), ("Alex", "c"), ("Sam", "d")
    ]


def test_decode_options_are_checked():
    assert chat.decode_options("sample", {"temperature": "9", "top_k": 5, "text": "x"}) == {
        "temperature": 2.0, "top_k": 5
    }
    with pytest.raises(ValueError, match="Unknown strategy"):
        chat.decode_options("loud", {})
    with pytest.raises(ValueError, match="temperature must be a number"):
        chat.decode_options("sample", {"temperature": "nan"})
    for infinite in (float("inf"), float("-inf"), "1e999"):
        with pytest.raises(ValueError, match="top_k must be a number"):
            chat.decode_options("sample", {"top_k": infinite})


def test_cache_is_bounded_and_follows_the_active_model(
    make_persona, install_model, tiny_artifact, settings
):
    settings.MODEL_CACHE_SIZE = 1
    persona = make_persona()
    first = install_model(persona, tiny_artifact)
    assert chat.get_chatbot(first) is chat.get_chatbot(first)
    second = install_model(persona, tiny_artifact)
    assert chat.choose_model(persona).model_version == second  # no restart needed
    assert chat.cached_version_ids() == [second.pk]
    activate_model(persona, first)
    assert chat.choose_model(persona).model_version == first


def test_corrupt_model_falls_back_to_the_previous_one(make_persona, install_model, tiny_artifact):
    persona = make_persona()
    first = install_model(persona, tiny_artifact)
    second = install_model(persona, tiny_artifact)
    corrupt(second)
    choice = chat.choose_model(persona)
    assert choice.model_version == first
    assert "version 2 could not be loaded" in choice.notice
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)
    stream = chat.reply_stream(conversation, "hi")
    assert stream.notice and list(stream)
    corrupt(first)
    chat.forget(chat.cached_version_ids())  # a model already in memory keeps answering
    with pytest.raises(chat.NoModel, match="damaged"):
        chat.choose_model(persona)
