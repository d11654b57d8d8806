# Shared settings and helpers for the tools/cluster scripts (sourced, not run).
# Everything lives under $PAXSHARE_CLUSTER_HOME (default: .cluster/ in the checkout): the staged
# jars, the Flink distribution, the Prism binary, data directories, logs and one PID file per
# process. Every process binds to loopback and is stopped by the PID it was started with.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_HOME="${PAXSHARE_CLUSTER_HOME:-$REPO_ROOT/.cluster}"
VENV_BIN="${PAXSHARE_VENV_BIN:-$REPO_ROOT/.venv/bin}"
RUN_DIR="$CLUSTER_HOME/run"      # PID files
LOG_DIR="$CLUSTER_HOME/logs"
DATA_DIR="$CLUSTER_HOME/data"

# Ports (loopback only). Kafka: client and KRaft controller listeners.
KAFKA_PORT="${PAXSHARE_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${PAXSHARE_KAFKA_CONTROLLER_PORT:-19093}"
FLINK_REST_PORT="${PAXSHARE_FLINK_REST_PORT:-18081}"
FLINK_RPC_PORT="${PAXSHARE_FLINK_RPC_PORT:-16123}"
PRISM_JOB_PORT="${PAXSHARE_PRISM_JOB_PORT:-18097}"
PRISM_WEB_PORT="${PAXSHARE_PRISM_WEB_PORT:-18098}"
WORKER_POOL_PORT="${PAXSHARE_WORKER_POOL_PORT:-15000}"

# Versions. Kafka and Flink are pinned here; Prism is built at exactly the Python SDK's version.
KAFKA_VERSION=4.4.0
FLINK_VERSION=1.20.3

JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}java"

mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_DIR"

log() { echo "[cluster] $*" >&2; }

# pid_of NAME: the live PID recorded for NAME, or nothing.
pid_of() {
  local f="$RUN_DIR/$1.pid"
  [[ -f "$f" ]] || return 0
  local pid; pid="$(cat "$f")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# start_bg NAME LOGFILE CMD...: start CMD in its own session, record its PID.
start_bg() {
  local name="$1" logfile="$2"; shift 2
  if [[ -n "$(pid_of "$name")" ]]; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
  setsid "$@" >"$logfile" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
  log "$name started (pid $!, log $logfile)"
}

# stop_pid NAME [TIMEOUT]: TERM the recorded PID, then KILL it after TIMEOUT seconds.
stop_pid() {
  local name="$1" timeout="${2:-20}" pid
  pid="$(pid_of "$name")"
  if [[ -z "$pid" ]]; then rm -f "$RUN_DIR/$name.pid"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((timeout * 4))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then log "$name (pid $pid) did not stop; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$RUN_DIR/$name.pid"
  log "$name stopped (pid $pid)"
}

# wait_port PORT NAME [TIMEOUT]: wait until something listens on 127.0.0.1:PORT.
wait_port() {
  local port="$1" name="$2" timeout="${3:-90}"
  for _ in $(seq 1 $((timeout * 2))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  log "$name did not open port $port within ${timeout}s; see $LOG_DIR"; return 1
}
