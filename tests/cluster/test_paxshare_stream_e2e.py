"""End to end on the cluster route: ``paxshare replay`` publishes a generated set to the real Kafka
broker (with resends, changes and late ones), ``paxshare stream`` runs on the Prism job server with SDK workers in the
external worker pool, and the sealed flags and partner files it writes, opened with the units' and
partners' keys, hold the same flag ids and partner record ids as ``paxshare run`` on the same
input less the messages the stream labelled late (a list or PNR that arrives after its flight's
close-out goes to late/, where batch has no notion of arrival): none missing, none duplicated.
Cancellations agree without help: neither run shares a person a cancellation names. The crash
case kills the SDK worker pool by PID mid-stream and runs the same command again.

Runs in CI with the cluster up (.ci/run); by hand:
    make cluster-up && .venv/bin/pytest -q -s tests/cluster/test_paxshare_stream_e2e.py"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster import harness
from tests.cluster.paxshare_outputs import (PAXSHARE, REPO, batch_reference, differences, flags, paxshare, prepare,
                                            replay_command, settled, shared, stream_command)


def _first_flag(out: Path, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if list(out.glob("flags/*/*.sealed")):
            return True
        time.sleep(0.5)
    return False


def _crash_and_resubmit(runner: subprocess.Popen, command: list[str], stream: Path) -> subprocess.Popen:
    """SIGKILL the SDK worker pool once the first flags are out, let the job fail, start a new
    pool and run the same command again (Prism keeps no checkpoint: the stream reads the retained
    topics from the start and rebuilds its per-flight state from the messages)."""
    assert _first_flag(stream, limit=300), "no flag before the crash"
    harness.tool("prism.sh", "kill-workers")
    try:
        status = runner.wait(timeout=180)
    finally:
        if runner.poll() is None:
            runner.kill()
    log = runner.communicate()[0].decode(errors="replace")
    assert status == 1, f"the job did not fail with its workers ({status}):\n{log[-3000:]}"  # 1: FAILED
    harness.cancel_running_jobs()
    harness.tool("prism.sh", "start-workers")
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("crash", [False, pytest.param(True, marks=pytest.mark.flaky(reruns=1))],
                         ids=["steady", "worker-crash"])
def test_stream_on_the_cluster_route_equals_the_batch_run(prism, tmp_path, crash):
    """``worker-crash``: the SDK workers are killed by PID mid-stream and the same command is run
    again on the same output folder; the outputs, opened and listed by id, are still exactly the
    batch run's: what came out twice came out under the same id, in the same file, with the same
    content."""
    common = prepare(tmp_path, travellers=1500)
    keys, stream = tmp_path / "keys", tmp_path / "stream"
    topics = harness.new_topics("api", "pnr")
    command = stream_command(topics, stream, common, harness.beam_args())
    runner = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    replay = None
    try:
        time.sleep(10)
        replay = subprocess.Popen(replay_command(tmp_path / "data", topics, rate=50 if crash else 200),
                                  cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if crash:
            runner = _crash_and_resubmit(runner, command, stream)
        assert replay.wait(timeout=300) == 0, replay.communicate()[0].decode(errors="replace")[-3000:]
        is_settled = settled(stream, keys, seconds=30, limit=400)
        running = runner.poll() is None
    finally:
        for process in (replay, runner):
            if process is not None and process.poll() is None:
                process.terminate()
        log = runner.communicate(timeout=120)[0].decode(errors="replace")
        harness.cancel_running_jobs()
    assert running and is_settled, f"the stream stopped early or never settled:\n{log[-4000:]}"
    expected_flags, expected_shared, late = batch_reference(tmp_path, stream, common)
    assert expected_flags and expected_shared
    got_flags, got_shared = flags(stream, keys), shared(stream, keys)
    problems = [d for d in (differences("flags", got_flags, expected_flags),
                            differences("partner records", got_shared, expected_shared)) if d]
    assert not problems, "\n".join(problems) + "\n" + log[-3000:]
    print(f"{len(got_flags)} flags, {len(got_shared)} partner records, equal to the batch run; {len(late)} late"
          + (" (after a worker crash and a resubmission)" if crash else ""))


def test_a_timed_stream_on_the_job_server_stops_by_itself(prism, tmp_path):
    """``--duration`` on the PortableRunner: the stream ends by itself, cleanly, when its time is
    up, and cancels its job on the job server. (A longer run was once seen to end in
    DEADLINE_EXCEEDED from ``wait_until_finish(duration=...)``; this short one does not reproduce
    that, it guards the polling that replaced it.)"""
    keys, out = tmp_path / "keys", tmp_path / "out"
    paxshare("keys", "demo", "--dir", str(keys))
    topics = harness.new_topics("api", "pnr")
    started = time.monotonic()
    done = subprocess.run(
        [*PAXSHARE, "stream", "--kafka-bootstrap", harness.KAFKA, "--api-topic", topics["api"],
         "--pnr-topic", topics["pnr"], "--output", str(out), "--keys", str(keys), "--duration", "20",
         "--", *harness.beam_args()],
        cwd=REPO, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "DEADLINE_EXCEEDED" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-4000:]
    assert "stream stopped after" in done.stderr
    assert time.monotonic() - started < 200
    assert harness.cancel_running_jobs() == 0  # nothing left running
