"""`make run`'s script keeps the web server and the worker up independently of each other."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTED = re.compile(r"started (\w+) \(pid (\d+)\)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunScript:
    """bin/run.sh in its own process group, its log collected as it is written."""

    def __init__(self, var: Path):
        self.port = _free_port()
        env = {
            k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith("DIGITAL_YOU")
        }
        env.update(
            DIGITAL_YOU_VAR=str(var), PY=sys.executable, PORT=str(self.port),
            TRAIN_BASE_MODEL="0", DJANGO_SECURE_COOKIES="0",
        )
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)
        self.process = subprocess.Popen(
            ["bin/run.sh"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self):
        for line in self.process.stderr:
            self.lines.append(line)

    def pids(self, name: str) -> list[int]:
        return [int(pid) for kind, pid in STARTED.findall("".join(self.lines)) if kind == name]

    def wait_for(self, check, what: str, timeout: float = 90):
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, f"{what}; log:\n{''.join(self.lines)[-3000:]}"
            time.sleep(0.2)

    def healthy(self) -> bool:
        try:
            url = f"http://127.0.0.1:{self.port}/healthz"
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self):
        self.process.terminate()  # the script alone, as Ctrl-C's trap would be
        self.process.wait(30)

    def running(self, pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.fixture
def run_script(tmp_path):
    script = RunScript(tmp_path)
    yield script
    if script.process.poll() is None:
        script.stop()
    with contextlib.suppress(ProcessLookupError):  # whatever a failed test left behind
        os.killpg(script.process.pid, signal.SIGKILL)


def test_a_crashed_process_is_restarted_alone(run_script):
    run_script.wait_for(run_script.healthy, "the web server did not come up")
    run_script.wait_for(lambda: run_script.pids("trainer"), "the worker did not start")
    [web], [worker] = run_script.pids("web"), run_script.pids("trainer")

    os.kill(worker, signal.SIGKILL)
    run_script.wait_for(lambda: len(run_script.pids("trainer")) == 2, "worker not restarted")
    assert run_script.healthy() and run_script.pids("web") == [web]  # the web server stayed
    assert f"trainer (pid {worker}) exited with status 137; restarting it in 1s" in "".join(
        run_script.lines
    )

    os.kill(web, signal.SIGKILL)
    run_script.wait_for(lambda: len(run_script.pids("web")) == 2, "web server not restarted")
    run_script.wait_for(run_script.healthy, "the restarted web server does not answer")
    assert len(run_script.pids("trainer")) == 2 and len(run_script.pids("parser")) == 1
    assert run_script.running(run_script.pids("trainer")[-1])  # and still runs

    run_script.stop()
    latest = [run_script.pids("web")[-1], run_script.pids("trainer")[-1]]
    run_script.wait_for(lambda: not any(map(run_script.running, latest)), "not all stopped", 30)
