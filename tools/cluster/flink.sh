#!/usr/bin/env bash
# A Flink session cluster on loopback: one JobManager and TaskManagers as separate processes
# (default 2 TaskManagers with one slot each, parallelism 2), from the Flink distribution inside
# the PyPI apache-flink + apache-flink-libraries wheels that install.sh puts in its own folder.
#   tools/cluster/flink.sh start [TASKMANAGERS]   start the JobManager and TaskManagers
#   tools/cluster/flink.sh stop                   stop every process it started, by PID
#   tools/cluster/flink.sh status                 the REST overview (TaskManagers, slots, jobs)
#   tools/cluster/flink.sh kill-tm N              SIGKILL TaskManager N (crash test)
#   tools/cluster/flink.sh start-tm N             start TaskManager N (again)
#   tools/cluster/flink.sh wait-slots N           wait until N slots are registered
#   tools/cluster/flink.sh sql FILE               run a Flink SQL script (Kafka connector on the
#                                                 job's classpath); prints the submitted job id
#   tools/cluster/flink.sh cancel JOBID           cancel a job
source "$(dirname "$0")/common.sh"

FLINK_HOME="$CLUSTER_HOME/flink/pyflink"
CONF_DIR="$CLUSTER_HOME/flink/conf"
STATE="$DATA_DIR/flink"
REST="http://127.0.0.1:$FLINK_REST_PORT"

write_config() {
  mkdir -p "$CONF_DIR" "$STATE/checkpoints" "$STATE/savepoints" "$STATE/tmp"
  cp "$FLINK_HOME"/conf/log4j*.properties "$CONF_DIR/"
  # The JVM options line from the distribution's own config (Java 17 module opens).
  local java_opts; java_opts="$(grep -m1 '^      all:' "$FLINK_HOME/conf/config.yaml" | sed 's/^      all: //')"
  cat > "$CONF_DIR/config.yaml" <<YAML
env:
  java:
    opts:
      all: $java_opts
jobmanager:
  bind-host: 127.0.0.1
  rpc: {address: 127.0.0.1, port: $FLINK_RPC_PORT}
  memory: {process: {size: 1024m}}
  execution: {failover-strategy: region}
taskmanager:
  bind-host: 127.0.0.1
  host: 127.0.0.1
  numberOfTaskSlots: 1
  memory: {process: {size: 1280m}}
parallelism: {default: 2}
rest: {address: 127.0.0.1, bind-address: 127.0.0.1, port: $FLINK_REST_PORT}
blob: {server: {port: "0"}}
io: {tmp: {dirs: $STATE/tmp}}
execution:
  checkpointing: {interval: 5s, mode: EXACTLY_ONCE, dir: "file://$STATE/checkpoints", savepoint-dir: "file://$STATE/savepoints"}
state: {backend: {type: hashmap}}
restart-strategy: {type: fixed-delay, fixed-delay: {attempts: 20, delay: 2s}}
heartbeat: {interval: 2000, timeout: 8000}
YAML
}

flink_env=(env "FLINK_CONF_DIR=$CONF_DIR" "FLINK_LOG_DIR=$LOG_DIR" "FLINK_HOME=$FLINK_HOME")

start_tm() {
  local n="$1"
  start_bg "flink-taskmanager-$n" "$LOG_DIR/flink-taskmanager-$n.out" \
    "${flink_env[@]}" "FLINK_IDENT_STRING=tm$n" bash "$FLINK_HOME/bin/taskmanager.sh" start-foreground
}

slots() { curl -sf "$REST/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["slots-total"])' 2>/dev/null || echo 0; }

wait_slots() {
  local want="$1" timeout="${2:-120}"
  for _ in $(seq 1 "$timeout"); do [[ "$(slots)" -ge "$want" ]] && return 0; sleep 1; done
  log "flink: fewer than $want slots after ${timeout}s"; return 1
}

case "${1:-}" in
  start)
    tms="${2:-2}"
    [[ -x "$FLINK_HOME/bin/jobmanager.sh" ]] || { log "Flink missing: run tools/cluster/install.sh"; exit 1; }
    write_config
    start_bg flink-jobmanager "$LOG_DIR/flink-jobmanager.out" \
      "${flink_env[@]}" FLINK_IDENT_STRING=jm bash "$FLINK_HOME/bin/jobmanager.sh" start-foreground
    wait_port "$FLINK_REST_PORT" flink-jobmanager 120
    for n in $(seq 1 "$tms"); do start_tm "$n"; done
    wait_slots "$tms"
    log "flink session cluster up: $REST ($tms TaskManagers, $(slots) slots)" ;;
  stop)
    for f in "$RUN_DIR"/flink-taskmanager-*.pid; do [[ -e "$f" ]] && stop_pid "$(basename "$f" .pid)" 20; done
    stop_pid flink-jobmanager 20 ;;
  status) curl -sf "$REST/overview" && echo || { echo "flink stopped"; exit 3; } ;;
  kill-tm)
    pid="$(pid_of "flink-taskmanager-$2")"; [[ -n "$pid" ]] || { log "no TaskManager $2"; exit 1; }
    # start-foreground execs java in the recorded process, so this is the TaskManager JVM itself.
    kill -KILL "$pid"; rm -f "$RUN_DIR/flink-taskmanager-$2.pid"; log "killed TaskManager $2 (pid $pid)" ;;
  start-tm) start_tm "$2" ;;
  wait-slots) wait_slots "$2" "${3:-120}" ;;
  sql)
    jars=(); for j in "$CLUSTER_HOME"/flink/connectors/*.jar; do jars+=(-j "$j"); done
    out="$("${flink_env[@]}" bash "$FLINK_HOME/bin/sql-client.sh" "${jars[@]}" -f "$2" 2>&1)" || { echo "$out" >&2; exit 1; }
    job="$(grep -o 'Job ID: [0-9a-f]*' <<<"$out" | awk '{print $3}' | tail -1)"
    [[ -n "$job" && "$out" != *"[ERROR]"* ]] || { echo "$out" >&2; exit 1; }
    echo "$job" ;;
  cancel) curl -sf -X PATCH "$REST/jobs/$2?mode=cancel" >/dev/null ;;
  *) echo "usage: $0 start [N]|stop|status|kill-tm N|start-tm N|wait-slots N|sql FILE|cancel JOB" >&2; exit 2 ;;
esac
