#!/usr/bin/env bash
# Start every component: Kafka broker, Flink session cluster, Prism job server + SDK worker pool.
#   tools/cluster/up.sh [kafka] [flink] [prism]      (default: all three)
source "$(dirname "$0")/common.sh"
parts=("$@"); [[ ${#parts[@]} -gt 0 ]] || parts=(kafka flink prism)
for p in "${parts[@]}"; do "$REPO_ROOT/tools/cluster/$p.sh" start; done
