"""The cluster tests need the components of tools/cluster/up.sh (``make cluster-up``). Without
them the tests are skipped, unless PAXSHARE_CLUSTER_REQUIRED=1 (as .ci/run sets), then they fail."""

from __future__ import annotations

import os

import pytest

from tests.cluster import harness


def _require(name: str, hostport: str) -> None:
    if harness.listening(hostport):
        return
    message = f"{name} not listening on {hostport}: run `make cluster-up` (tools/cluster/up.sh)"
    if os.environ.get("PAXSHARE_CLUSTER_REQUIRED") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def kafka() -> str:
    _require("Kafka", harness.KAFKA)
    return harness.KAFKA


@pytest.fixture
def prism(kafka):
    """A fresh Prism job server and SDK worker pool for each test. Prism is one process that keeps
    every job in memory; it was seen to exit in a CI run, and every later test failed with it.
    Fresh for each test, a runner that dies fails one test (with its log), not the rest."""
    _require("Prism job server", harness.JOB_ENDPOINT)  # brought up with the cluster
    harness.tool("prism.sh", "restart")
    _require("Prism job server", harness.JOB_ENDPOINT)
    _require("SDK worker pool", harness.WORKER_POOL)
    yield harness.JOB_ENDPOINT
    if harness.listening(harness.JOB_ENDPOINT):
        harness.cancel_running_jobs()  # none may outlive the test, whatever failed
    else:
        print(f"Prism exited during the test; the end of its log:\n{harness.log_tail('prism.log', 80)}")


@pytest.fixture(scope="session")
def flink() -> str:
    _require("Flink JobManager", harness.FLINK_REST.removeprefix("http://"))
    return harness.FLINK_REST
