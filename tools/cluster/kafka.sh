#!/usr/bin/env bash
# A single-node Apache Kafka broker in KRaft mode (broker and controller in one process), on
# loopback, from the jars that install.sh staged with Maven.
#   tools/cluster/kafka.sh start|stop|status|topic NAME [PARTITIONS]
source "$(dirname "$0")/common.sh"

LIBS="$CLUSTER_HOME/kafka/libs"
CONF="$CLUSTER_HOME/kafka/server.properties"
LOGS="$DATA_DIR/kafka"

write_config() {
  mkdir -p "$(dirname "$CONF")"
  cat > "$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$LOGS
num.partitions=2
offsets.topic.replication.factor=1
offsets.topic.num.partitions=2
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=168
PROPS
  cat > "$CLUSTER_HOME/kafka/log4j2.properties" <<PROPS
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
PROPS
}

java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC "-Dlog4j2.configurationFile=$CLUSTER_HOME/kafka/log4j2.properties"
           -cp "$LIBS/*")

case "${1:-}" in
  start)
    [[ -d "$LIBS" ]] || { log "Kafka jars missing: run tools/cluster/install.sh"; exit 1; }
    write_config
    if [[ ! -f "$LOGS/meta.properties" ]]; then
      # KRaft: format the storage once with a fresh cluster id.
      "$JAVA_BIN" "${java_opts[@]}" kafka.tools.StorageTool format -t "$("$JAVA_BIN" "${java_opts[@]}" kafka.tools.StorageTool random-uuid)" \
        -c "$CONF" > "$LOG_DIR/kafka-format.log" 2>&1 || { cat "$LOG_DIR/kafka-format.log"; exit 1; }
    fi
    start_bg kafka "$LOG_DIR/kafka.log" "$JAVA_BIN" "${java_opts[@]}" kafka.Kafka "$CONF"
    wait_port "$KAFKA_PORT" kafka 120
    log "kafka listening on 127.0.0.1:$KAFKA_PORT" ;;
  stop) stop_pid kafka 30 ;;
  status) pid="$(pid_of kafka)"; [[ -n "$pid" ]] && echo "kafka running (pid $pid, 127.0.0.1:$KAFKA_PORT)" || { echo "kafka stopped"; exit 3; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
