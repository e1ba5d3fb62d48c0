"""`make run-scaled` (bin/run-scaled.sh): N web processes and M workers come up healthy on
PostgreSQL and Redis, and one Ctrl-C stops them all."""

import os
import signal
import subprocess
import uuid

from redis import Redis
from rq import Worker

from tests.scale.conftest import ROOT, descendants, free_port, healthz, wait_for
from tests.scale.servers import (
    POSTGRES_URL,
    REDIS_URL,
    needs_postgres,
    needs_redis,
    postgres_connection,
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return subprocess.run(
        ["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True
    ).stdout.strip()[:1] not in ("Z", "")


@needs_postgres
@needs_redis
def test_run_scaled_starts_web_and_workers_and_ctrl_c_stops_all(tmp_path):
    database = f"digitalyou_scaled_{uuid.uuid4().hex[:8]}"
    base_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITAL_YOU_")} | {
        "DATABASE_URL": POSTGRES_URL.rsplit("/", 1)[0] + "/" + database,
        "REDIS_URL": REDIS_URL,
        "WEB": "2", "WORKERS": "2", "BASE_PORT": str(base_port),
        "DIGITAL_YOU_VAR": str(tmp_path / "var"),
    }
    log = (tmp_path / "run-scaled.log").open("w")
    script = subprocess.Popen(
        ["bin/run-scaled.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ports = [base_port, base_port + 1]
        for port in ports:
            health = wait_for(lambda p=port: healthz(p), 180, f"web on {port}")
            assert health["status"] == "ok"
            assert health["checks"]["database"]["vendor"] == "postgresql"
            assert health["checks"]["channel_layer"]["backend"] == "RedisChannelLayer"
        # WORKERS training workers and the upload reader registered with RQ (other tests'
        # workers may be counted too).
        def our_workers() -> int:
            family = descendants(script.pid)
            return sum(worker.pid in family for worker in Worker.all(connection=redis))

        redis = Redis.from_url(REDIS_URL)
        wait_for(lambda: our_workers() == 3, 120, "the three RQ workers to register")
        family = descendants(script.pid)

        os.killpg(script.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        script.wait(timeout=60)
        wait_for(lambda: not any(alive(pid) for pid in family), 30, "every process to stop")
        assert healthz(base_port) is None
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
        with postgres_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert "web 2/2 on" in (tmp_path / "run-scaled.log").read_text()
