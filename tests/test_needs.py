"""A test that needs the shared corpora or a browser skips without them, with one line saying
why, and fails instead under DIGITAL_YOU_REQUIRE_ALL_TESTS=1 (CI), so CI cannot pass by
skipping. Checked on the real tests, in a pytest of their own with the needs made missing."""

import os
import subprocess
import sys

import pytest

from tests.needs import REPO, REQUIRE_ALL


def run_pytest(tmp_path, test: str, require_all: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ALL}
    # COLUMNS: the summary lines are cut to the terminal's width otherwise.
    env.update(
        DIGITAL_YOU_SHARED=str(tmp_path / "no-shared"), DIGITAL_YOU_CHROMIUM="", COLUMNS="400"
    )
    # Only the virtualenv on PATH: no chromium to find, whatever this machine has installed.
    env["PATH"] = os.path.dirname(sys.executable)
    if require_all:
        env[REQUIRE_ALL] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", test],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        ("tests/ingestion/test_seed_notebook.py::test_danny_comes_out_with_real_emoji",
         "needs the shared corpora in"),
        ("tests/e2e/test_journey.py", "install chromium to run the browser test"),
    ],
)
def test_missing_need_skips_for_users_and_fails_under_the_variable(tmp_path, test, reason):
    user = run_pytest(tmp_path, test, require_all=False)
    assert user.returncode == 0, user.stdout
    assert "1 skipped" in user.stdout and "SKIPPED [1]" in user.stdout and reason in user.stdout

    ci = run_pytest(tmp_path, test, require_all=True)
    assert ci.returncode == 1, ci.stdout
    # A need checked in a fixture (the browser) fails as an error, one in the test as a failure.
    assert ("1 failed" in ci.stdout or "1 error" in ci.stdout), ci.stdout
    assert reason in ci.stdout and REQUIRE_ALL in ci.stdout
