"""The general base model's state, as the dashboard shows it and persona training waits on it.

`manage.py train_base_model` writes a small status file beside the model folder while it
trains (progress, or the error it failed with); the model itself is there once its manifest
is. A status file that stops being updated belongs to a process that died.
"""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# Seconds without a progress write after which a "training" status counts as dead.
STALE_AFTER_S = 120
LOG_TAIL_LINES = 20
LOG_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class BaseModelState:
    key: str  # ready | training | failed | missing
    percent: int = 0
    eta_s: float | None = None
    error: str = ""

    @property
    def label(self) -> str:
        if self.key == "training":
            left = "" if self.eta_s is None else f", about {_minutes(self.eta_s)} left"
            return f"base model: training, {self.percent}%{left}"
        return {"ready": "base model: ready", "failed": "base model: training failed",
                "missing": "base model: not trained"}[self.key]


def status_path() -> Path:
    base = Path(settings.BASE_MODEL_DIR)
    return base.with_name(base.name + ".status.json")


def log_path() -> Path:
    return Path(settings.VAR_DIR) / "base_model.log"


def state() -> BaseModelState:
    from modeling.base import base_model_at  # no TensorFlow: artifact files only

    if base_model_at(settings.BASE_MODEL_DIR) is not None:
        return BaseModelState("ready", 100)
    try:
        status = json.loads(status_path().read_text())
    except (OSError, ValueError):
        return BaseModelState("missing")
    if status.get("state") == "failed":
        return BaseModelState("failed", error=str(status.get("error", "")))
    if status.get("state") == "training" and time.time() - status.get("at", 0) < STALE_AFTER_S:
        return BaseModelState("training", int(status.get("percent", 0)), status.get("eta_s"))
    return BaseModelState("missing")


def report_progress(percent: int, eta_s: float | None) -> None:
    _write({"state": "training", "percent": percent, "eta_s": eta_s, "at": time.time()})


def report_failure(error: str) -> None:
    _write({"state": "failed", "error": error, "at": time.time()})


def clear_status() -> None:
    status_path().unlink(missing_ok=True)


def log_tail() -> str:
    """The last lines of the base model's log (`make run` writes it)."""
    try:
        with open(log_path(), "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - LOG_TAIL_BYTES))
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    # The progress bar redraws itself with carriage returns: each redraw is a line.
    lines = [line for line in text.replace("\r", "\n").splitlines() if line.strip()]
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _write(status: dict) -> None:
    path = status_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, path)  # readers never see half a file


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
