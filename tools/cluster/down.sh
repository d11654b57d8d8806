#!/usr/bin/env bash
# Stop every component that up.sh started, by the PIDs it recorded (safe to run twice).
source "$(dirname "$0")/common.sh"
status=0
for p in prism flink kafka; do "$REPO_ROOT/tools/cluster/$p.sh" stop || status=1; done
exit $status
