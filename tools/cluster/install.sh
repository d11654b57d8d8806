#!/usr/bin/env bash
# Stage every cluster component under $PAXSHARE_CLUSTER_HOME, from the registries only:
#   - the Kafka broker's jars with Maven (tools/cluster/kafka/pom.xml);
#   - the Flink distribution from the PyPI apache-flink + apache-flink-libraries wheels, installed
#     --no-deps into their own folder (apache-flink pins an old apache-beam we must not import),
#     plus from Maven the SQL gateway jar its SQL client needs (the wheels leave it out) and
#     Flink's Kafka connector (tools/cluster/flink-kafka/pom.xml);
#   - Beam's Prism runner, built with `go install` at exactly the installed Python SDK's version.
# Each step is skipped when its result is already there for the same version.
#   tools/cluster/install.sh [kafka] [flink] [prism]      (default: all three)
source "$(dirname "$0")/common.sh"

steps=("$@"); [[ ${#steps[@]} -gt 0 ]] || steps=(kafka flink prism)

install_kafka() {
  local dest="$CLUSTER_HOME/kafka/libs" stamp="$CLUSTER_HOME/kafka/.installed"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$KAFKA_VERSION" ]] && { log "kafka $KAFKA_VERSION staged"; return; }
  rm -rf "$dest"; mkdir -p "$dest"
  mvn -B -q -f "$REPO_ROOT/tools/cluster/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$dest"
  echo "$KAFKA_VERSION" > "$stamp"; log "kafka $KAFKA_VERSION staged ($(ls "$dest" | wc -l) jars)"
}

install_flink() {
  local dest="$CLUSTER_HOME/flink" stamp="$CLUSTER_HOME/flink/.installed"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$FLINK_VERSION" ]] && { log "flink $FLINK_VERSION staged"; return; }
  rm -rf "$dest"; mkdir -p "$dest"
  "$VENV_BIN/python" -m pip install --quiet --no-deps --target "$dest" \
    "apache-flink==$FLINK_VERSION" "apache-flink-libraries==$FLINK_VERSION"
  [[ -x "$dest/pyflink/bin/jobmanager.sh" ]] || { log "no Flink distribution in the wheels"; exit 1; }
  mvn -B -q dependency:copy -Dartifact="org.apache.flink:flink-sql-gateway:$FLINK_VERSION" \
    -DoutputDirectory="$dest/pyflink/opt"
  mvn -B -q -f "$REPO_ROOT/tools/cluster/flink-kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest/connectors"
  echo "$FLINK_VERSION" > "$stamp"; log "flink $FLINK_VERSION staged"
}

install_prism() {
  local beam stamp="$CLUSTER_HOME/bin/.prism-version"
  beam="$("$VENV_BIN/python" -c 'import apache_beam; print(apache_beam.__version__)')"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$beam" && -x "$CLUSTER_HOME/bin/prism" ]] && { log "prism $beam built"; return; }
  command -v go >/dev/null || { log "Go is needed to build Prism (apt-get install golang-go)"; exit 1; }
  mkdir -p "$CLUSTER_HOME/bin"
  GOBIN="$CLUSTER_HOME/bin" GOFLAGS=-modcacherw go install "github.com/apache/beam/sdks/v2/go/cmd/prism@v$beam"
  echo "$beam" > "$stamp"; log "prism $beam built"
}

for s in "${steps[@]}"; do "install_$s"; done
