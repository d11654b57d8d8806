#!/usr/bin/env bash
# Beam's Prism runner as a standalone job server, plus a Python SDK worker pool (the EXTERNAL
# environment), both on loopback. Pipelines are submitted with
#   --runner=PortableRunner --job_endpoint=localhost:$PRISM_JOB_PORT
#   --environment_type=EXTERNAL --environment_config=localhost:$WORKER_POOL_PORT
#   tools/cluster/prism.sh start|stop|restart|status|kill-workers|start-workers
# restart: a fresh job server and worker pool (the tests take one each: Prism keeps every job in
# memory, and a Prism that exits must not take the next test with it). The log of the one it
# replaces is kept as prism.log.1.
source "$(dirname "$0")/common.sh"

PRISM="$CLUSTER_HOME/bin/prism"

start_workers() {
  # The worker pool forks one SDK harness process per worker the runner asks for.
  # It starts `python` from PATH, so the project's virtualenv goes first.
  start_bg sdk-worker-pool "$LOG_DIR/sdk-worker-pool.log" \
    env "PATH=$VENV_BIN:$PATH" "$VENV_BIN/python" -m apache_beam.runners.worker.worker_pool_main --service_port="$WORKER_POOL_PORT"
  wait_port "$WORKER_POOL_PORT" sdk-worker-pool 60
}

start() {
  [[ -x "$PRISM" ]] || { log "Prism missing: run tools/cluster/install.sh"; exit 1; }
  start_bg prism "$LOG_DIR/prism.log" "$PRISM" --job_port="$PRISM_JOB_PORT" --web_port="$PRISM_WEB_PORT" \
    --idle_shutdown_timeout=-1ns --log_level=warn
  wait_port "$PRISM_JOB_PORT" prism 60
  start_workers
  log "prism job server on localhost:$PRISM_JOB_PORT, SDK worker pool on localhost:$WORKER_POOL_PORT"
}

stop() {
  stop_pid sdk-worker-pool 10
  stop_pid prism 10
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart)
    stop
    [[ -f "$LOG_DIR/prism.log" ]] && mv -f "$LOG_DIR/prism.log" "$LOG_DIR/prism.log.1"
    start ;;
  status)
    for n in prism sdk-worker-pool; do p="$(pid_of $n)"; echo "$n: ${p:-stopped}"; done ;;
  kill-workers)
    # Crash test: SIGKILL the worker pool and every SDK harness it forked.
    pid="$(pid_of sdk-worker-pool)"; [[ -n "$pid" ]] || { log "no worker pool"; exit 1; }
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
    rm -f "$RUN_DIR/sdk-worker-pool.pid"; log "killed SDK worker pool (process group $pid)" ;;
  start-workers) start_workers ;;
  *) echo "usage: $0 start|stop|restart|status|kill-workers|start-workers" >&2; exit 2 ;;
esac
