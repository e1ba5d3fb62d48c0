#!/usr/bin/env bash
# Starts the web server (HTTP + websockets) and the background task worker together,
# in the foreground; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"

# The worker trains at a lower CPU priority so chat replies stay fast (README "Scaling out").
if [ -n "${REDIS_URL:-}" ]; then
  worker=(nice -n 10 "$PY" manage.py rqworker default --with-scheduler)
else
  # No autoreload: a reload would kill a training run mid-way.
  worker=(nice -n 10 "$PY" manage.py db_worker --queue-name default --no-reload)
fi

"${worker[@]}" &
worker_pid=$!
# The general base model persona training starts from (README "Quick start"): trained once, in
# the background, the first time the app runs; its log is var/base_model.log.
var_dir="${DIGITAL_YOU_VAR:-var}"  # settings.VAR_DIR's default
mkdir -p "$var_dir"
nice -n 10 "$PY" manage.py train_base_model --if-missing > "$var_dir/base_model.log" 2>&1 &
base_pid=$!
# -v 0: Daphne's access log prints share tokens; the app logs requests itself, redacted.
.venv/bin/daphne -v 0 -b "$HOST" -p "$PORT" avatar_site.asgi:application &
web_pid=$!
trap 'kill $web_pid $worker_pid $base_pid 2>/dev/null; wait 2>/dev/null' INT TERM EXIT
echo "Digital You on http://$HOST:$PORT  (worker pid $worker_pid, web pid $web_pid; Ctrl-C stops both)"
wait -n $web_pid $worker_pid
