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
