from collections import Counter

import numpy as np

from modeling.artifact import load, read_json
from modeling.base import corpus_files, general_pairs, train_base_model
from modeling.train import train
from tests.modeling.conftest import chat_pairs, tiny_config


def test_general_pairs_come_from_chitchat_dataset_and_the_chatterbot_corpus():
    files = corpus_files()
    assert len(files) > 10 and all(f.suffix == ".yml" for f in files)
    pairs = general_pairs()
    sources = Counter(p.source for p in pairs)
    assert sources["dataset.json"] > 120_000  # chitchat-dataset: every turn that answers
    assert {"greetings.yml", "ai.yml"} <= set(sources)
    assert all(p.response.strip() and p.context for p in pairs)
    # No persona: the responder's own earlier turns are "me", the other side "them".
    assert {s for p in pairs for s, _ in p.context} == {"me", "them"}


def test_persona_training_starts_from_the_base_model_and_mixes_general_pairs(tmp_path):
    base_config = tiny_config(epochs=1, batch_size=64, vocab_size=300, hidden_size=24)
    base = train_base_model(tmp_path / "base", base_config)
    base_bot = load(base.artifact_dir)
    general = general_pairs()
    persona = train(chat_pairs(), tmp_path / "persona", tiny_config(epochs=1, general_share=0.5),
                    base_model=base.artifact_dir, general_pairs=general)
    bot = load(persona.artifact_dir)
    assert bot.tokenizer.proto == base_bot.tokenizer.proto
    # The base model's shape, not tiny_config's; the run's own lengths.
    shape = ("vocab_size", "embedding_dim", "hidden_size", "num_layers", "attention")
    assert all(getattr(bot.config, f) == getattr(base_bot.config, f) for f in shape)
    assert bot.config.max_target_len == tiny_config().model.max_target_len
    data = read_json(persona.artifact_dir, "data.json")
    assert data["general_pairs"] == round(0.5 * data["train_pairs"])
    assert persona.metrics["train_examples"] == data["train_pairs"] + data["general_pairs"]
    # Training moved the weights away from the base model's.
    assert any(not np.array_equal(a, b) for a, b in
               zip(bot.model.get_weights(), base_bot.model.get_weights(), strict=True))
