#!/usr/bin/env bash
# Starts the web server (HTTP + websockets) and the background task workers together,
# in the foreground; Ctrl-C stops them all. Each one that exits is started again on its own
# (the others keep running), after a pause that grows while it keeps crashing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"

# Two workers, one reading uploads and one training, so that a long training never keeps an
# upload waiting. They run db_worker, or rqworker when REDIS_URL is set, and rescue work whose
# worker died; at a lower CPU priority so chat replies stay fast (README "Scaling out").

say() { echo "[run.sh $(date +%H:%M:%S)] $*" >&2; }

# Runs NAME's command until this script stops, starting it again whenever it exits. The pause
# before a restart doubles with each crash (1 s up to 30 s) so a process that cannot start does
# not spin, and drops back to 1 s once it has run for a minute.
supervise() {
  local name=$1 delay=1 child=0 started status
  shift
  trap 'kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM
  while true; do
    started=$SECONDS
    "$@" &
    child=$!
    say "started $name (pid $child)"
    status=0
    wait "$child" || status=$?
    if ((SECONDS - started >= 60)); then delay=1; fi
    say "$name (pid $child) exited with status $status; restarting it in ${delay}s"
    sleep "$delay" &
    wait $! || true
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

supervise parser nice -n 10 "$PY" manage.py worker --queue parsing &
parser_sup=$!
supervise trainer nice -n 10 "$PY" manage.py worker --queue training &
trainer_sup=$!
# The general base model persona training starts from (README "Quick start"): trained once, in
# the background, the first time the app runs; its log is var/base_model.log.
# TRAIN_BASE_MODEL=0 skips it.
var_dir="${DIGITAL_YOU_VAR:-var}"  # settings.VAR_DIR's default
mkdir -p "$var_dir"
base_pid=
if [ "${TRAIN_BASE_MODEL:-1}" = 1 ]; then
  nice -n 10 "$PY" manage.py train_base_model --if-missing > "$var_dir/base_model.log" 2>&1 &
  base_pid=$!
fi
# -v 0: Daphne's access log prints share tokens; the app logs requests itself, redacted.
supervise web "$PY" -m daphne -v 0 -b "$HOST" -p "$PORT" avatar_site.asgi:application &
web_sup=$!
trap 'kill $web_sup $parser_sup $trainer_sup $base_pid 2>/dev/null; wait 2>/dev/null' INT TERM EXIT
echo "Digital You on http://$HOST:$PORT  (Ctrl-C stops it)"
wait
