"""Every knob of the model and its training, as two dataclasses saved with each artifact."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from modeling.errors import ConfigError

ATTENTIONS = ("dot", "general", "bahdanau")
OPTIMIZERS = ("rmsprop", "adam")
SCHEDULES = ("constant", "cosine")
TOKENIZERS = ("unigram", "bpe")


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 8000
    tokenizer: str = "unigram"
    embedding_dim: int = 128
    hidden_size: int = 256
    num_layers: int = 1
    bidirectional: bool = False
    # Luong "general" by default: additive attention costs a tanh over [batch, target, source,
    # hidden] per step, several times the rest of the attention on CPU.
    attention: str = "general"
    input_feeding: bool = False
    dropout: float = 0.2
    tie_embeddings: bool = False
    addressee_dim: int = 16
    # Rows of the addressee table; row 0 is "anyone", the fallback for unseen names.
    max_addressees: int = 32
    context_turns: int = 3
    max_source_len: int = 64
    max_target_len: int = 32
    # Retrieve and refine: the encoder also reads the persona's real reply to the most similar
    # message (modeling.retrieval). Off for the base model, which has no persona.
    retrieve: bool = False

    def __post_init__(self) -> None:
        _check(self.attention in ATTENTIONS, f"attention must be one of {ATTENTIONS}")
        _check(self.tokenizer in TOKENIZERS, f"tokenizer must be one of {TOKENIZERS}")
        _check(self.vocab_size >= 32, "vocab_size must be at least 32")
        _check(self.num_layers >= 1, "num_layers must be at least 1")
        _check(0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)")
        _check(
            not self.bidirectional or self.hidden_size % 2 == 0,
            "a bidirectional encoder needs an even hidden_size",
        )
        _check(self.max_addressees >= 1, "max_addressees must be at least 1")
        _check(self.context_turns >= 1, "context_turns must be at least 1")
        _check(self.max_source_len >= 8 and self.max_target_len >= 4, "lengths too small")


@dataclass(frozen=True)
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    preset: str = "custom"
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "rmsprop"
    learning_rate: float = 2e-3
    lr_schedule: str = "cosine"
    warmup_steps: int = 50
    clipnorm: float = 5.0
    label_smoothing: float = 0.0
    # 0 = full softmax; otherwise the number of sampled classes (the notebook used 512). Sampled
    # by default: about 2-3x the reference step's speed; validation always uses the full softmax.
    sampled_softmax: int = 512
    val_fraction: float = 0.1
    early_stopping_patience: int = 3
    checkpoint_every: int = 500
    max_minutes: float | None = None
    seed: int = 0
    # Share of general (base corpus) pairs mixed into persona training, relative to persona pairs.
    general_share: float = 0.3
    # Probability of training on the "anyone" addressee so the fallback row learns too.
    addressee_dropout: float = 0.1
    # XLA recompiles per padded batch shape and measured slower on CPU: off unless shapes are fixed.
    jit_compile: bool = False
    # bfloat16 compute with float32 weights; None = where the hardware has native bfloat16
    # (measured about 2x faster on this CPU's AMX), else float32.
    bfloat16: bool | None = None

    def __post_init__(self) -> None:
        _check(self.optimizer in OPTIMIZERS, f"optimizer must be one of {OPTIMIZERS}")
        _check(self.lr_schedule in SCHEDULES, f"lr_schedule must be one of {SCHEDULES}")
        _check(self.epochs >= 1, "epochs must be at least 1")
        _check(self.batch_size >= 1, "batch_size must be at least 1")
        _check(self.learning_rate > 0, "learning_rate must be positive")
        _check(0.0 <= self.val_fraction < 1.0, "val_fraction must be in [0, 1)")
        _check(0.0 <= self.label_smoothing < 1.0, "label_smoothing must be in [0, 1)")
        _check(self.sampled_softmax >= 0, "sampled_softmax must be >= 0")
        _check(self.max_minutes is None or self.max_minutes > 0, "max_minutes must be positive")
        _check(self.checkpoint_every >= 1, "checkpoint_every must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        model = ModelConfig(**_known(ModelConfig, data.pop("model", {})))
        return cls(model=model, **_known(cls, data))


PRESETS: dict[str, dict[str, Any]] = {
    # Demo quality in at most 3 minutes for 10,000 pairs on 2 CPU cores. Small chats need
    # more epochs than 20 to fit (danny.yml, 2,100 pairs: held-out perplexity 730 with 20, 356
    # with 40); early stopping and the time limit end the run.
    "quick": dict(
        retrieve=True,
        epochs=40,
        max_minutes=2.5,
        batch_size=64,
        learning_rate=3e-3,
        sampled_softmax=256,
        vocab_size=2000,
        embedding_dim=96,
        hidden_size=192,
        num_layers=1,
        max_source_len=48,
        max_target_len=24,
        dropout=0.1,
        warmup_steps=30,
    ),
    # Fine-tuning the base model (its shape wins; see modeling.train._prepare) in at most 10
    # minutes. A constant learning rate with early stopping on validation: on the long-answer
    # chat, 15 cosine-decayed epochs left Hits@1 at chance (0.06); 42 constant ones gave 0.54.
    # Replies up to 96 tokens: long answers are learned whole, not cut at the base's 48.
    "standard": dict(
        retrieve=True,
        epochs=100,
        max_minutes=10,
        batch_size=64,
        sampled_softmax=512,
        lr_schedule="constant",
        early_stopping_patience=5,
        vocab_size=8000,
        embedding_dim=128,
        hidden_size=256,
        num_layers=2,
        max_target_len=96,
    ),
    "thorough": dict(
        retrieve=True,
        epochs=40,
        max_minutes=180,
        batch_size=64,
        sampled_softmax=512,
        learning_rate=1.5e-3,
        vocab_size=16000,
        embedding_dim=256,
        hidden_size=512,
        num_layers=2,
        bidirectional=True,
        dropout=0.3,
        max_source_len=96,
        max_target_len=40,
        early_stopping_patience=4,
    ),
}


def make_config(preset: str = "quick", **overrides: Any) -> TrainConfig:
    """A preset with overrides that may name TrainConfig or ModelConfig fields."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    model_names = {f.name for f in fields(ModelConfig)}
    train_names = {f.name for f in fields(TrainConfig)} - {"model", "preset"}
    unknown = set(values) - model_names - train_names
    if unknown:
        raise ConfigError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    model = ModelConfig(**{k: v for k, v in values.items() if k in model_names})
    return TrainConfig(
        model=model, preset=preset, **{k: v for k, v in values.items() if k in train_names}
    )


def with_model(config: TrainConfig, model: ModelConfig) -> TrainConfig:
    return replace(config, model=model)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)
