#!/usr/bin/env bash
# Scaled-out run on one machine: WEB Daphne processes (ports BASE_PORT, BASE_PORT+1, ...) and
# WORKERS training workers plus one upload reader (RQ), all sharing PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
# Put the web ports behind one address with any HTTP/websocket proxy (README "Scaling out").
# Ctrl-C stops everything; so does any one process dying.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/digitalyou}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
# The processes serve plain HTTP on 127.0.0.1; turn this on when a TLS proxy fronts them.
export DJANGO_SECURE_COOKIES="${DJANGO_SECURE_COOKIES:-0}"
WEB="${WEB:-2}"
WORKERS="${WORKERS:-2}"
BASE_PORT="${BASE_PORT:-8001}"
HOST="${HOST:-127.0.0.1}"
# Training is batch work: at a lower CPU priority it never slows live chat replies down
# (benchmarks/chat_load.py --worker-nice 0 shows the difference).
WORKER_NICE="${WORKER_NICE:-10}"
daphne_args=()
# Behind a proxy, take the client address from X-Forwarded-For (login throttling keys on it).
if [ "${PROXY_HEADERS:-0}" = 1 ]; then daphne_args+=(--proxy-headers); fi

"$PY" - <<'PY'
# Create the database named in DATABASE_URL when the server has no such database yet.
import os

import dj_database_url
import psycopg
from psycopg import sql

db = dj_database_url.parse(os.environ["DATABASE_URL"])
params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"],
          "password": db["PASSWORD"]}.items() if v}
with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        print(f"created database {db['NAME']}")
PY
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0

pids=()
stop() {
  trap - INT TERM EXIT
  # Twice: an RQ worker's first signal waits for its running job, the second stops the job at
  # once (a training run interrupted that way resumes later from its checkpoint).
  kill "${pids[@]}" 2>/dev/null || true
  sleep 1
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# WORKERS training workers, and one that reads uploads (so a long training never holds them).
nice -n "$WORKER_NICE" "$PY" manage.py worker --queue parsing &
pids+=($!)
for ((i = 0; i < WORKERS; i++)); do
  nice -n "$WORKER_NICE" "$PY" manage.py worker --queue training &
  pids+=($!)
done
for ((i = 0; i < WEB; i++)); do
  port=$((BASE_PORT + i))
  # -v 0: Daphne's access log prints share tokens; the app logs requests itself, redacted.
  .venv/bin/daphne -v 0 "${daphne_args[@]}" -b "$HOST" -p "$port" avatar_site.asgi:application &
  pids+=($!)
  echo "web $((i + 1))/$WEB on http://$HOST:$port  (pid $!)"
done
echo "$WORKERS workers, $WEB web processes; health: http://$HOST:$BASE_PORT/healthz; Ctrl-C stops all"
wait -n "${pids[@]}"
