"""The cluster route for real: a Kafka broker, Beam's Prism runner as a job server with Python SDK
workers in a separate worker pool, a streaming pipeline with per-flight state reading and writing
Kafka. Outputs are read back from Kafka and compared by stable id with the reference; the crash
test kills the SDK worker pool by PID mid-stream, restarts it and resubmits the job."""

from __future__ import annotations

import json
import random
import threading
import time

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineState

from tests.cluster import flightlog, harness

FLIGHTS = 800  # about 2,400 messages and 10,000 outputs


def _all_ids(expected):
    return lambda records: len({key for key, _value, _ts in records}) >= len(expected)


def _compare(records, expected: dict, done: bool) -> int:
    """Outputs by id must equal the reference; returns how many records repeated an id.

    The Kafka sink is at-least-once (a bundle the runner retries is produced again), so a repeat
    must carry the same id and the same content: consumers, or a compacted topic, keep one copy."""
    seen: dict[str, bytes] = {}
    repeats, conflicts = 0, []
    for key, value, _ts in records:
        ident = key.decode()
        if ident in seen:
            repeats += 1
            if seen[ident] != value:
                conflicts.append(ident)
        seen[ident] = value
    got = {k: json.loads(v) for k, v in seen.items()}
    assert done, f"{len(got)} of {len(expected)} outputs within the time limit"
    assert got == expected
    assert conflicts == []
    print(f"{len(records)} records, {len(got)} ids, {repeats} repeats")
    return repeats


def _start(topics) -> beam.runners.runner.PipelineResult:
    pipeline = beam.Pipeline(options=PipelineOptions(harness.beam_args()))
    flightlog.build(pipeline, harness.KAFKA, topics["in"], topics["out"])
    return pipeline.run()


def _launch(seed: int):
    """Fresh topics, the job started, messages published in the background at 600/s."""
    messages = flightlog.generate(FLIGHTS, seed=seed)
    topics = harness.new_topics("in", "out")
    result = _start(topics)
    publisher = threading.Thread(target=harness.publish, args=(topics["in"], messages),
                                 kwargs={"per_second": 600})
    publisher.start()
    return flightlog.reference(messages), topics, result, publisher, harness.TopicReader(topics["out"])


def test_generated_stream_has_every_message_kind():
    messages = flightlog.generate(FLIGHTS)
    bodies = [json.loads(b) for _k, b in messages]
    functions = {b["function"] for b in bodies}
    assert functions == {"original", "change", "close"}
    expected = flightlog.reference(messages)
    kinds = {r["kind"] for r in expected.values()}
    assert kinds == {"active", "withdrawn", "late"}
    assert len(messages) - len(set(messages)) > 100  # resends


# Once a known defect (docs/cluster.md): a few of the 23,929 outputs never arrived in some runs.
# Prism split a slow stateful bundle and ran the rest of a flight's messages in a second bundle
# before the first committed the flight's state. The pipeline options now turn Prism's dynamic
# splits off (harness.beam_args, as paxshare stream does); this test decides CI again.
def test_streaming_on_prism_matches_the_reference(prism):
    expected, topics, result, publisher, reader = _launch(seed=17)
    try:
        done = reader.read_until(_all_ids(expected), timeout=420)
        publisher.join()
        reader.poll(3)  # anything extra would show up here
        assert result.state == PipelineState.RUNNING
    finally:
        result.cancel()
        reader.close()
    _compare(reader.records, expected, done)


@pytest.mark.flaky(reruns=1)  # it kills processes mid-bundle on a loaded machine: one rerun
def test_sdk_worker_crash_then_restart_gives_the_same_outputs(prism):
    expected, topics, result, publisher, reader = _launch(seed=23)
    try:
        assert reader.read_until(lambda r: len(r) >= len(expected) // 4, timeout=300), "no progress"
        harness.tool("prism.sh", "kill-workers")  # SIGKILL the pool and its SDK harnesses
        deadline = time.monotonic() + 120
        while result.state not in (PipelineState.FAILED, PipelineState.DONE) and time.monotonic() < deadline:
            time.sleep(0.5)
        # Prism keeps no checkpoint: the job fails with its workers. It is resubmitted, and reads
        # the retained topic again from the start; outputs repeat with the same ids and content.
        assert result.state == PipelineState.FAILED
        harness.tool("prism.sh", "start-workers")
        result = _start(topics)
        done = reader.read_until(_all_ids(expected), timeout=420)
        publisher.join()
        reader.poll(3)
    finally:
        result.cancel()
        reader.close()
    # The replay did re-emit what came out before the crash: effectively-once by stable ids.
    assert _compare(reader.records, expected, done) > 0


def test_outputs_do_not_depend_on_arrival_order():
    messages = flightlog.generate(200, seed=3)
    expected = flightlog.reference(messages)
    shuffled = list(messages)
    random.Random(1).shuffle(shuffled)  # flights' own messages out of order too
    assert flightlog.reference(shuffled) == expected
