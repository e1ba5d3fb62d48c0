"""The load benchmark with small numbers: it runs end to end and loses nothing.
(The full run, 20 clients, is reported in the issue; speed is not asserted here.)"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_small_chat_load_while_training():
    result = subprocess.run(
        [sys.executable, "benchmarks/chat_load.py", "--clients", "3", "--messages", "2",
         "--tiny", "--max-seconds", "500"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout)
    assert summary["messages_sent"] == 6
    assert summary["replies"] == 6
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["lost_replies"] == 0
    assert summary["first_token_ms"]["p95"] > 0
    assert summary["tokens_per_s_per_client"]["min"] > 0
    assert summary["background_training"]["active"] is True
