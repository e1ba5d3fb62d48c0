"""What the machine running training offers (TensorFlow places work on a visible GPU itself)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tensorflow as tf

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@cache
def fast_bfloat16() -> bool:
    """True on GPUs from Ampere on and on CPUs with native bfloat16 matrix instructions."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return tuple(details.get("compute_capability", (0, 0))) >= (8, 0)
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags.split() for flag in BF16_CPU_FLAGS)


@cache
def serve_one_op_at_a_time() -> None:
    """Run each TensorFlow op on one thread in a chat server.

    A server decodes many replies at once, one thread each; letting every small op fan out
    over all cores as well only adds contention (20 concurrent chats with a training run
    beside them: p95 first token 387-483 ms with TensorFlow's default pools, 198 ms with one
    thread per op). Takes effect only before TensorFlow's runtime starts; later it is a no-op.
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # the runtime already started (e.g. training ran first in this process)
