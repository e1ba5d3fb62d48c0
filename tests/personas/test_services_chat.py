"""Chat service: saved messages, the model cache, corrupt-artifact fallback, reply modes,
quotes and their provenance, the guard against repeated replies."""

import pytest
from django.contrib.auth.models import User

from personas.models import ChatMessage, Conversation, Persona, ShareLink
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


# Sam's replies in the chat with Mom, as quote mode gives them: cleaned, so masked.
MOM_ASKS = {
    "what is your new phone number": "it is <phone> now, the old one is gone",
    "and your work email": "<email> but only for work things",
    "where did you find that pasta recipe": "right here <url> enjoy",
}


def test_quotes_keep_masks_and_tell_only_the_owner_where_they_were_said(
    make_persona, install_model, quoting_artifact
):
    persona = make_persona(reply_mode="quote")
    install_model(persona, quoting_artifact)
    own = Conversation.objects.create(persona=persona, user=persona.owner)
    for message, quote in MOM_ASKS.items():
        stream = chat.reply_stream(own, message)
        assert "".join(stream) == quote == stream.message.text
        assert stream.provenance == "from your chat with Mom, 2019-04-16"
    # The unmasked originals appear nowhere in what was saved.
    saved = " ".join(ChatMessage.objects.values_list("text", flat=True))
    assert not any(item in saved for item in ("7700", "900123", "sam.doe", "example.com"))
    # A pair-format file has no one on the other side, and no dates.
    stream = chat.reply_stream(own, "what are you reading")
    assert "".join(stream) == "a long book about the sea"
    assert stream.provenance == "from your chats in tiny-pairs.yml"

    friend = User.objects.create_user("bo", password="x-long-pw-1")
    persona.shared_with.add(friend)
    link = ShareLink.objects.create(persona=persona)
    others = [
        Conversation.objects.create(persona=persona, user=friend),
        Conversation.objects.create(persona=persona, share_link=link, visitor_key="session:v"),
        # The owner through their own share link sees what its visitors see.
        Conversation.objects.create(
            persona=persona, user=persona.owner, share_link=link, visitor_key="user:1"
        ),
    ]
    for conversation in others:
        stream = chat.reply_stream(conversation, "what is your new phone number")
        assert "".join(stream) == MOM_ASKS["what is your new phone number"]
        assert stream.quoted is not None and stream.provenance == ""


def test_generate_and_blend_modes_never_quote(make_persona, install_model, quoting_artifact):
    persona = make_persona(reply_mode="generate")
    install_model(persona, quoting_artifact)
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)
    for mode in ("generate", "blend"):
        Persona.objects.filter(pk=persona.pk).update(reply_mode=mode)
        conversation.persona.refresh_from_db()
        stream = chat.reply_stream(conversation, "what is your new phone number")
        assert list(stream) and stream.quoted is None and stream.provenance == ""


def test_a_reply_given_to_another_message_is_sampled_again(
    make_persona, install_model, quoting_artifact
):
    persona = make_persona(reply_mode="quote")
    install_model(persona, quoting_artifact)
    quote = "hey there, good to see you"
    conversation = Conversation.objects.create(persona=persona, user=persona.owner)
    # Given before to another message (case and spacing do not make it another reply).
    for role, text in [("user", "hello"), ("persona", "Hey there,  good to SEE you ")]:
        ChatMessage.objects.create(conversation=conversation, role=role, text=text)
    stream = chat.reply_stream(conversation, "hi")
    reply = "".join(stream)
    assert chat.normalized(reply) != quote and reply.strip()
    assert stream.quoted is None and stream.provenance == ""  # no longer a quote
    # The same answer to the same message again is no repeat: the quote stands.
    again = Conversation.objects.create(persona=persona, user=persona.owner)
    for role, text in [("user", "hi"), ("persona", quote)]:
        ChatMessage.objects.create(conversation=again, role=role, text=text)
    stream = chat.reply_stream(again, "Hi")
    assert "".join(stream) == quote and stream.provenance


def attempts_of(*replies: list[str], consumed: list | None = None):
    """Attempts as chat streams them: one iterator of increments per try. `consumed` records
    each increment as the guard takes it."""
    def attempt(increments):
        for increment in increments:
            if consumed is not None:
                consumed.append(increment)
            yield increment

    return (attempt(increments) for increments in replies)


def test_the_guard_streams_at_once_unless_the_text_could_be_a_repeat():
    consumed = []
    given = {"hey there"}
    stream = chat.without_repeats(attempts_of(["so ", "yes", " indeed"], consumed=consumed), given)
    assert next(stream) == "so " and consumed == ["so "]  # nothing like "hey there": streamed
    assert list(stream) == ["yes", " indeed"]

    consumed = []
    stream = chat.without_repeats(attempts_of(["Hey ", "there ", "friend"], consumed=consumed),
                                  given)
    # "Hey there" could still end as the earlier reply: held until "friend" rules it out.
    assert next(stream) == "Hey " and consumed == ["Hey ", "there ", "friend"]
    assert list(stream) == ["there ", "friend"]


def test_the_guard_tries_again_and_gives_the_last_try_when_all_repeat():
    given = {"hey there", "bye"}
    tries = attempts_of(["HEY ", " there"], ["bye"], ["ok then"], ["never reached"])
    assert "".join(chat.without_repeats(tries, given)) == "ok then"
    assert "".join(chat.without_repeats(attempts_of(["bye"], ["Bye "]), given)) == "Bye "


def test_replies_to_other_messages_are_the_ones_guarded(make_persona):
    conversation = Conversation.objects.create(persona=make_persona())
    script = [("user", "hi"), ("persona", "Hello!"), ("user", "how are you"),
              ("persona", "fine"), ("persona", "and  you?"), ("user", "HI"), ("persona", "yo")]
    for role, text in script:
        ChatMessage.objects.create(conversation=conversation, role=role, text=text)
    # "hi" was answered "Hello!" and "yo": giving those to "hi" again is no repeat.
    assert chat.replies_to_other_messages(conversation, "hi ") == {"fine", "and you?"}
    assert chat.replies_to_other_messages(conversation, "bye") == {
        "hello!", "fine", "and you?", "yo"
    }
