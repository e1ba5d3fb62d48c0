"""What a few tests need beyond a clone: the shared corpora beside the repo, and a browser.

A user's `make test` skips such a test with a one-line reason (`-ra` prints it). CI sets
DIGITAL_YOU_REQUIRE_ALL_TESTS=1, under which a missing need fails the test instead, so CI can
never pass by skipping. DIGITAL_YOU_SHARED points at another shared folder (or at an empty one,
to see what a fresh clone does)."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REQUIRE_ALL = "DIGITAL_YOU_REQUIRE_ALL_TESTS"
SHARED = Path(os.environ.get("DIGITAL_YOU_SHARED") or REPO.parent / "shared")
SEED = SHARED / "corpora" / "seed-notebook"


def missing(reason: str):
    """Skip with `reason`, or fail under DIGITAL_YOU_REQUIRE_ALL_TESTS=1."""
    if os.environ.get(REQUIRE_ALL) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ALL}=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


def shared(path: Path) -> Path:
    """`path` (under SHARED), or skip: the shared corpora exist only on the team's machines."""
    if not SHARED.exists():
        # One reason for every such test, so that -ra prints it once with a count.
        missing(f"needs the shared corpora in {SHARED} (see README, Tests)")
    if not path.exists():
        missing(f"needs {path} (see README, Tests)")
    return path


def chromium() -> str:
    """The Chromium executable Playwright drives (its own browser download is not used)."""
    found = os.environ.get("DIGITAL_YOU_CHROMIUM") or shutil.which("chromium")
    if not found or not Path(found).exists():
        missing("install chromium to run the browser test (see README, Tests)")
    return found
