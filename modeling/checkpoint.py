"""Training checkpoints: the run's fixed setup once, then weights + optimizer + loop state."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ingestion.records import Pair
from modeling.config import TrainConfig
from modeling.errors import ArtifactError
from modeling.tokenizer import Tokenizer

if TYPE_CHECKING:
    from modeling.train import Setup

KEEP = 2
SETUP = "setup.json"


def save_setup(directory: Path, setup: Setup) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("step-*.npz"):
        old.unlink()  # a fresh run must never resume into an older run's steps
    setup.tokenizer.save(directory / "tokenizer.model")
    data = {
        "config": setup.config.to_dict(),
        "train": [p.to_dict() for p in setup.train_pairs],
        "heldout": [p.to_dict() for p in setup.heldout_pairs],
        "general": [p.to_dict() for p in setup.general],
        "me": setup.me,
        "addressees": setup.addressees,
        "fingerprint": setup.fingerprint,
    }
    _write_atomic(directory / SETUP, json.dumps(data, ensure_ascii=False).encode())


def load_setup(directory: Path) -> Setup:
    from modeling.train import Setup

    try:
        data = json.loads((directory / SETUP).read_text())
        tokenizer = Tokenizer.load(directory / "tokenizer.model")
    except (OSError, ValueError, RuntimeError) as exc:
        raise ArtifactError(f"checkpoint setup in {directory} is unreadable: {exc}") from exc
    return Setup(
        config=TrainConfig.from_dict(data["config"]),
        tokenizer=tokenizer,
        train_pairs=[Pair.from_dict(p) for p in data["train"]],
        heldout_pairs=[Pair.from_dict(p) for p in data["heldout"]],
        general=[Pair.from_dict(p) for p in data["general"]],
        me=list(data["me"]),
        addressees=list(data["addressees"]),
        fingerprint=data["fingerprint"],
    )


def latest(directory: Path) -> Path | None:
    if not (directory / SETUP).exists():
        return None
    found = sorted(directory.glob("step-*.npz"))
    return found[-1] if found else None


def save(directory: Path, model, optimizer, state, best: list[np.ndarray] | None) -> Path:
    arrays: dict[str, Any] = {}
    for i, w in enumerate(model.get_weights()):
        arrays[f"w{i}"] = w
    for i, v in enumerate(optimizer.variables):
        arrays[f"o{i}"] = np.asarray(v)
    for i, w in enumerate(best or []):
        arrays[f"b{i}"] = w
    arrays["state"] = np.frombuffer(json.dumps(asdict(state)).encode(), np.uint8)
    path = directory / f"step-{state.step:09d}.npz"
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    for old in sorted(directory.glob("step-*.npz"))[:-KEEP]:
        old.unlink()
    return path


def restore(path: Path, model, optimizer, state_type):
    try:
        with np.load(path) as data:
            weights = _series(data, "w")
            opt = _series(data, "o")
            best = _series(data, "b") or None
            state = state_type(**json.loads(bytes(data["state"]).decode()))
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactError(f"checkpoint {path} is unreadable: {exc}") from exc
    model.set_weights(weights)
    for variable, value in zip(optimizer.variables, opt, strict=True):
        variable.assign(value)
    return state, best


def _series(data, prefix: str) -> list[np.ndarray]:
    out = []
    while f"{prefix}{len(out)}" in data:
        out.append(data[f"{prefix}{len(out)}"])
    return out


def _write_atomic(path: Path, payload: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
