"""Training loop: teacher forcing, masked cross-entropy, checkpoints, resume, early stopping.

One compiled step per padded batch shape. Everything random (data order, dropout, sampled
softmax) derives from (seed, epoch) or (seed, step), so a resumed run replays exactly the
steps an uninterrupted run would have taken.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ingestion.records import Pair
from modeling import artifact, checkpoint
from modeling.config import TrainConfig
from modeling.data import (
    Batch,
    Example,
    addressee_table,
    dataset,
    fingerprint,
    make_batches,
    make_examples,
    persona_names,
    split_pairs,
    usable,
)
from modeling.errors import NoTrainingData
from modeling.hardware import fast_bfloat16
from modeling.model import Seq2Seq
from modeling.perplexity import PerplexityMeter
from modeling.retrieval import ReplyIndex
from modeling.tokenizer import EOS, Tokenizer

# Before they are first measured: seconds to trace and run the validation graph beyond its
# batches' share of a training step, and to write a checkpoint or the artifact.
VALIDATION_TRACE_S = 3.0
SAVE_S = 2.0
# Seconds between progress callbacks (each may write to a database); epoch ends always report.
PROGRESS_EVERY_S = 1.0
HISTORY_POINTS = 200


@dataclass(frozen=True)
class Progress:
    step: int
    total_steps: int
    epoch: int  # 1-based
    train_loss: float
    val_perplexity: float | None
    tokens_per_s: float
    eta_s: float


@dataclass
class TrainResult:
    artifact_dir: Path
    metrics: dict
    history: list[dict]
    cancelled: bool
    addressees: list[str]


@dataclass
class Setup:
    """Everything fixed before the first step; saved so resume reuses it verbatim."""

    config: TrainConfig
    tokenizer: Tokenizer
    train_pairs: list[Pair]
    heldout_pairs: list[Pair]
    general: list[Pair]
    me: list[str]
    addressees: list[str]
    fingerprint: str
    base_weights: list[np.ndarray] | None = None


@dataclass
class State:
    step: int = 0
    epoch: int = 0
    best_val: float | None = None
    bad_epochs: int = 0
    stopped: str = "completed"
    train_seconds: float = 0.0
    tokens: int = 0
    history: list[dict] = field(default_factory=list)


def train(
    pairs: Sequence[Pair],
    out_dir: Path,
    config: TrainConfig,
    *,
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: bool = False,
    base_model: Path | None = None,
    general_pairs: Sequence[Pair] = (),
) -> TrainResult:
    started = time.monotonic()
    out_dir = Path(out_dir)
    ckpt_dir = out_dir / "checkpoints"
    saved = checkpoint.latest(ckpt_dir) if resume else None
    if saved is not None:
        setup = checkpoint.load_setup(ckpt_dir)
    else:
        setup = _prepare(pairs, config, base_model, general_pairs)
        checkpoint.save_setup(ckpt_dir, setup)
    config = setup.config
    run = _Run(setup)
    state = State()
    best_weights: list[np.ndarray] | None = None
    if saved is not None:
        state, best_weights = checkpoint.restore(saved, run.model, run.optimizer, State)
        if state.stopped == "time_limit":
            state.stopped = "completed"  # a resumed run gets a fresh time budget
    elif setup.base_weights is not None:
        run.model.set_weights(setup.base_weights)

    end = started + config.max_minutes * 60 if config.max_minutes else None
    started_step = state.step
    reporter = _Reporter(progress, run.total_steps)
    cancelled = False
    while state.epoch < config.epochs and state.stopped == "completed":
        batches = run.epoch_batches(state.epoch)
        first = state.step - state.epoch * run.steps_per_epoch
        epoch_done = True
        for batch in dataset(batches[first:]):
            if should_stop is not None and should_stop():
                cancelled = True
                break
            deadline = run.deadline(end, state)
            # At least one step per call, so even a tiny budget yields a trained model.
            if deadline is not None and state.step > started_step and time.monotonic() > deadline:
                state.stopped = "time_limit"
                epoch_done = False
                break
            tick = time.monotonic()
            loss_sum, count = run.train_step(*batch, tf.constant([config.seed, state.step]))
            count = int(count)
            state.train_seconds += time.monotonic() - tick
            state.tokens += count
            state.step += 1
            run.record_loss(float(loss_sum) / max(count, 1))
            if state.step % run.history_every == 0:
                state.history.append(run.step_entry(state))
            if state.step % config.checkpoint_every == 0:
                tick = time.monotonic()
                checkpoint.save(ckpt_dir, run.model, run.optimizer, state, best_weights)
                run.save_seconds = time.monotonic() - tick
            reporter.maybe(state, run, deadline, force=False)
        if cancelled:
            break
        if not epoch_done and state.step == state.epoch * run.steps_per_epoch:
            break  # out of time before this epoch took a step: nothing new to validate
        tick = time.monotonic()
        val = run.validate()
        run.val_seconds = time.monotonic() - tick
        state.history.append({**run.step_entry(state), "kind": "epoch", "val_perplexity": val})
        if val is None or state.best_val is None or val < state.best_val:
            state.best_val = val
            state.bad_epochs = 0
            best_weights = [w.copy() for w in run.model.get_weights()]
        else:
            state.bad_epochs += 1
            if state.bad_epochs >= config.early_stopping_patience:
                state.stopped = "early_stopping"
        if epoch_done:
            state.epoch += 1
        reporter.maybe(state, run, run.deadline(end, state), force=True)

    checkpoint.save(ckpt_dir, run.model, run.optimizer, state, best_weights)
    artifact_dir = out_dir / "artifact"
    metrics = run.metrics(state)
    if not cancelled:
        if best_weights is not None:
            run.model.set_weights(best_weights)
        artifact.save(artifact_dir, setup, run.model, state.history, metrics)
    return TrainResult(artifact_dir, metrics, state.history, cancelled, list(setup.addressees))


def _prepare(
    pairs: Sequence[Pair],
    config: TrainConfig,
    base_model: Path | None,
    general_pairs: Sequence[Pair],
) -> Setup:
    pairs = usable(pairs)
    if not pairs:
        raise NoTrainingData("no usable pairs: every pair lacks a reply or a context")
    train_pairs, heldout = split_pairs(pairs, config.val_fraction, config.seed)
    general = _mix_general(usable(general_pairs), len(train_pairs), config)
    base_weights = None
    if base_model is not None:
        base = artifact.load(base_model)
        # The persona model continues the base model, so it takes its shape and tokenizer;
        # what it reads (how much context and reply, retrieval or not) is the run's own: no
        # weight depends on it.
        inputs = {name: getattr(config.model, name)
                  for name in ("context_turns", "max_source_len", "max_target_len", "retrieve")}
        config = replace(config, model=replace(base.config, **inputs))
        tokenizer = base.tokenizer
        base_weights = base.model.get_weights()
    else:
        texts = [t for p in train_pairs + general for _, t in p.context] + [
            p.response for p in train_pairs + general
        ]
        tokenizer = Tokenizer.train(texts, config.model.vocab_size, config.model.tokenizer)
    return Setup(
        config=config,
        tokenizer=tokenizer,
        train_pairs=train_pairs,
        heldout_pairs=heldout,
        general=general,
        me=persona_names(train_pairs + heldout),
        addressees=addressee_table(pairs, config.model.max_addressees),
        fingerprint=fingerprint(pairs),
        base_weights=base_weights,
    )


def _mix_general(general: list[Pair], persona_count: int, config: TrainConfig) -> list[Pair]:
    if not general or config.general_share <= 0:
        return []
    count = min(len(general), int(round(config.general_share * persona_count)))
    rng = np.random.default_rng([config.seed, 1])
    return [general[i] for i in sorted(rng.choice(len(general), count, replace=False))]


def _retrieved(setup: Setup) -> tuple[list[str | None], list[str | None]]:
    """Retrieved replies for the training pairs (each its nearest *other* pair's, so the model
    learns to copy only what fits) and the held-out ones; none without retrieval."""
    if not setup.config.model.retrieve:
        return [], []
    index = ReplyIndex(setup.train_pairs)
    return (index.replies([p.context for p in setup.train_pairs], exclude_self=True),
            index.replies([p.context for p in setup.heldout_pairs]))


class _Run:
    """The model, optimizer, data and compiled steps for one training run."""

    def __init__(self, setup: Setup):
        config = setup.config
        self.config = config
        keras.utils.set_random_seed(config.seed)
        bfloat16 = fast_bfloat16() if config.bfloat16 is None else config.bfloat16
        self.model = Seq2Seq(
            config.model, setup.tokenizer.vocab_size, "bfloat16" if bfloat16 else "float32"
        )
        me, table, tokenizer = setup.me, setup.addressees, setup.tokenizer
        train_found, heldout_found = _retrieved(setup)
        train_examples = make_examples(setup.train_pairs, tokenizer, me, table, config.model,
                                       train_found)
        general_examples = make_examples(setup.general, tokenizer, me, table, config.model)
        self.examples = train_examples + general_examples
        heldout = make_examples(setup.heldout_pairs, tokenizer, me, table, config.model,
                                heldout_found)
        self.val_batches = make_batches(heldout, config.batch_size, None)
        self.steps_per_epoch = -(-len(self.examples) // config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.history_every = max(1, self.total_steps // HISTORY_POINTS)
        self.val_seconds: float | None = None  # the last validation's duration
        self.save_seconds: float | None = None  # the last checkpoint's duration
        self.recent: deque[float] = deque(maxlen=20)  # for progress reports
        self.since_entry: list[float] = []  # for the next history point
        self.optimizer = make_optimizer(config, self.total_steps)
        self.optimizer.build(self.model.trainable_weights)
        self.sampler = make_sampler(self.examples, setup.tokenizer.vocab_size, config)
        self.train_step = build_train_step(self.model, self.optimizer, config, self.sampler)
        self.perplexity = PerplexityMeter(self.model)

    def epoch_batches(self, epoch: int) -> list[Batch]:
        rng = np.random.default_rng([self.config.seed, 2, epoch])
        examples = self.examples
        if self.config.addressee_dropout > 0:
            drop = rng.random(len(examples)) < self.config.addressee_dropout
            examples = [
                replace(e, addressee=0) if d else e for e, d in zip(examples, drop, strict=True)
            ]
        return make_batches(examples, self.config.batch_size, rng)

    def deadline(self, end: float | None, state: State) -> float | None:
        """When to stop stepping so that the last validation, checkpoint and artifact still
        finish by `end` (the time budget covers them, not only the steps)."""
        if end is None:
            return None
        validation = self.val_seconds
        if validation is None:
            # Forward only: about a third of a training step per batch.
            step_s = state.train_seconds / state.step if state.step else 0.0
            validation = VALIDATION_TRACE_S + len(self.val_batches) * step_s / 3
        save = SAVE_S if self.save_seconds is None else self.save_seconds
        return end - 1.2 * (validation + 2 * save)

    def validate(self) -> float | None:
        """Per-word perplexity on the held-out split (None without one)."""
        return self.perplexity(self.val_batches)

    def record_loss(self, loss: float) -> None:
        self.recent.append(loss)
        self.since_entry.append(loss)

    def recent_loss(self) -> float:
        return float(np.mean(self.recent)) if self.recent else float("nan")

    def step_entry(self, state: State) -> dict:
        window, self.since_entry = self.since_entry or list(self.recent), []
        return {
            "kind": "step",
            "step": state.step,
            "epoch": state.epoch + 1,
            "train_loss": float(np.mean(window)) if window else None,
            "val_perplexity": None,
            "tokens_per_s": _rate(state),
            "elapsed_s": round(state.train_seconds, 2),
        }

    def metrics(self, state: State) -> dict:
        return {
            "val_perplexity": state.best_val,
            "train_loss": self.recent_loss(),
            "steps": state.step,
            "total_steps": self.total_steps,
            "epochs": state.epoch,
            "stopped": state.stopped,
            "train_examples": len(self.examples),
            "heldout_batches": len(self.val_batches),
            "tokens_per_s": _rate(state),
            "train_seconds": round(state.train_seconds, 2),
        }


class _Reporter:
    def __init__(self, callback: Callable[[Progress], None] | None, total_steps: int):
        self.callback = callback
        self.total_steps = total_steps
        self.last = 0.0

    def maybe(self, state: State, run: _Run, deadline: float | None, force: bool) -> None:
        now = time.monotonic()
        if self.callback is None or (not force and now - self.last < PROGRESS_EVERY_S):
            return
        self.last = now
        steps_per_s = state.step / state.train_seconds if state.train_seconds else 0.0
        eta = (self.total_steps - state.step) / steps_per_s if steps_per_s else 0.0
        if deadline is not None:
            eta = min(eta, max(0.0, deadline - now))
        val = next(
            (h["val_perplexity"] for h in reversed(state.history) if h["kind"] == "epoch"), None
        )
        self.callback(
            Progress(
                step=state.step,
                total_steps=self.total_steps,
                epoch=min(state.epoch + 1, run.config.epochs),
                train_loss=run.recent_loss(),
                val_perplexity=val,
                tokens_per_s=_rate(state),
                eta_s=round(eta, 1),
            )
        )


def build_train_step(model: Seq2Seq, optimizer, config: TrainConfig, sampler=None):
    """Compiled (source, decoder_in, decoder_out, addressee, seed) -> (loss sum, token count)."""
    variables = model.trainable_weights
    apply = fused_update(optimizer, variables, config.clipnorm, sparse=not config.jit_compile)

    def step(source, decoder_in, decoder_out, addressee, seed):
        with tf.GradientTape() as tape:
            nll = model.token_nll(
                source, decoder_in, decoder_out, addressee, seed, config.label_smoothing, sampler
            )
            loss_sum = tf.reduce_sum(nll)
            count = tf.reduce_sum(tf.cast(decoder_out > 0, tf.float32))
            loss = loss_sum / tf.maximum(count, 1.0)
        apply(tape.gradient(loss, variables))
        return loss_sum, count

    signature = [tf.TensorSpec([None, None], tf.int32)] * 3 + [
        tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([2], tf.int32),
    ]
    return tf.function(step, input_signature=signature, jit_compile=config.jit_compile)


def _rate(state: State) -> float:
    return round(state.tokens / state.train_seconds, 1) if state.train_seconds else 0.0


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup, then cosine decay to a tenth of the peak over the planned steps."""

    def __init__(self, peak: float, warmup: int, total: int, cosine: bool):
        self.peak, self.warmup, self.total, self.cosine = peak, warmup, max(total, 1), cosine

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = tf.minimum(1.0, (step + 1) / max(self.warmup, 1))
        if not self.cosine:
            return self.peak * warm
        progress = tf.minimum(1.0, step / self.total)
        return self.peak * warm * (0.1 + 0.45 * (1 + tf.cos(math.pi * progress)))

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup": self.warmup,
            "total": self.total,
            "cosine": self.cosine,
        }


def make_optimizer(config: TrainConfig, total_steps: int) -> keras.optimizers.Optimizer:
    schedule = WarmupCosine(
        config.learning_rate, config.warmup_steps, total_steps, config.lr_schedule == "cosine"
    )
    if config.optimizer == "adam":
        return keras.optimizers.Adam(schedule)
    return keras.optimizers.RMSprop(schedule)


def fused_update(
    optimizer: keras.optimizers.Optimizer, variables, clipnorm: float, sparse: bool = True
):
    """(gradients) -> None: the Keras optimizer's update, through TensorFlow's fused kernels.

    Keras applies RMSprop/Adam as about ten elementwise ops per variable and densifies the
    embedding and output gradients to clip them. Here each variable takes one kernel, and
    RMSprop updates only the rows a gradient touches (embedding lookups, sampled softmax), as
    TF1's sparse RMSprop did. The state lives in the Keras optimizer's variables, so
    checkpoints keep their layout. Each gradient is clipped to norm clipnorm on its own.
    sparse=False densifies row gradients (XLA has no sparse RMSprop kernel).
    """
    adam = isinstance(optimizer, keras.optimizers.Adam)
    if adam:
        slots = [
            (m.value, v.value)
            for m, v in zip(optimizer._momentums, optimizer._velocities, strict=True)
        ]
    else:
        # The fused RMSprop kernel also writes a momentum buffer; at momentum 0 it never reads
        # it back, so the buffer is scratch and is not saved.
        slots = [
            (v.value, tf.Variable(tf.zeros(v.shape), trainable=False))
            for v in optimizer._velocities
        ]

    def clip(values):
        return values * (clipnorm / tf.maximum(tf.norm(values), clipnorm))

    def apply(grads):
        lr = optimizer.learning_rate  # the schedule at the current iteration
        t = tf.cast(optimizer.iterations + 1, tf.float32)
        for grad, variable, (first, second) in zip(grads, variables, slots, strict=True):
            if grad is None:
                continue
            if isinstance(grad, tf.IndexedSlices) and (adam or not sparse):
                grad = tf.convert_to_tensor(grad)  # TensorFlow has no sparse fused Adam
            var, first, second = variable.value.handle, first.handle, second.handle
            if adam:
                tf.raw_ops.ResourceApplyAdam(
                    var=var,
                    m=first,
                    v=second,
                    beta1_power=optimizer.beta_1**t,
                    beta2_power=optimizer.beta_2**t,
                    lr=lr,
                    beta1=optimizer.beta_1,
                    beta2=optimizer.beta_2,
                    epsilon=optimizer.epsilon,
                    grad=clip(grad),
                )
            else:
                rmsprop = dict(var=var, ms=first, mom=second, lr=lr, rho=optimizer.rho,
                               momentum=0.0, epsilon=optimizer.epsilon)
                if isinstance(grad, tf.IndexedSlices):
                    rows, position = tf.unique(grad.indices)
                    values = tf.math.unsorted_segment_sum(grad.values, position, tf.shape(rows)[0])
                    tf.raw_ops.ResourceSparseApplyRMSProp(
                        **rmsprop, grad=clip(values), indices=rows
                    )
                else:
                    tf.raw_ops.ResourceApplyRMSProp(**rmsprop, grad=clip(grad))
        optimizer.iterations.assign_add(1)

    return apply


def make_sampler(examples: Sequence[Example], vocab: int, config: TrainConfig):
    """Unigram^0.75 proposal over target tokens for sampled softmax (None = full softmax)."""
    if not config.sampled_softmax or config.sampled_softmax >= vocab // 2:
        return None
    counts = np.ones(vocab)
    counts[EOS] += len(examples)
    for e in examples:
        np.add.at(counts, list(e.target), 1)
    weights = counts**0.75
    return tf.constant(np.log(weights / weights.sum()), tf.float32), config.sampled_softmax
