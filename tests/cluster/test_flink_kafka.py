"""The Flink session cluster for real, with Kafka: a Flink SQL job (Flink's own Kafka connector,
checkpoints every 2 s, exactly-once transactional sink) that keeps the first copy of each
(flight, message) and drops resends, the same rule as paxshare's resend dedupe. The crash test
SIGKILLs a TaskManager by its PID mid-stream and starts a new one: the job restores its last
checkpoint and the committed output holds every distinct message exactly once.

Beam pipelines cannot run on this cluster here: Maven Central serves no Beam Flink job server
(docs/cluster.md lists the refused coordinates). This test proves the cluster, the connector and
the recovery path that a Beam job server would use."""

from __future__ import annotations

import collections
import json
import threading
import time

from tests.cluster import flightlog, harness

SQL = """
SET 'execution.checkpointing.interval' = '2s';
SET 'pipeline.name' = 'paxshare-dedupe-{out}';
CREATE TABLE messages (flight STRING, body STRING, digest AS SHA256(body), proc AS PROCTIME()) WITH (
  'connector' = 'kafka', 'topic' = '{inp}', 'properties.bootstrap.servers' = '{kafka}',
  'properties.group.id' = 'flink-{out}', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
CREATE TABLE firsts (flight STRING, digest STRING, body STRING) WITH (
  'connector' = 'kafka', 'topic' = '{out}', 'properties.bootstrap.servers' = '{kafka}', 'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'paxshare-{out}',
  'properties.transaction.timeout.ms' = '60000');
INSERT INTO firsts SELECT flight, digest, body FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY flight, digest ORDER BY proc ASC) AS rn FROM messages
) WHERE rn = 1;
"""


def _job_state(job: str) -> str:
    return harness.flink_get(f"/jobs/{job}")["state"]


def test_taskmanager_crash_recovers_from_checkpoint_exactly_once(kafka, flink, tmp_path):
    messages = flightlog.generate(800, seed=5)
    wrapped = [(k, json.dumps({"flight": k.decode(), "body": b.decode()}).encode()) for k, b in messages]
    expected = {(k.decode(), b.decode()) for k, b in messages}
    assert len(expected) < len(messages)  # resends are there to drop
    topics = harness.new_topics("flink-in", "flink-out")
    script = tmp_path / "dedupe.sql"
    script.write_text(SQL.format(inp=topics["flink-in"], out=topics["flink-out"], kafka=kafka))
    harness.tool("flink.sh", "wait-slots", "2")
    job = harness.run_tool("flink.sh", "sql", str(script))
    publisher = threading.Thread(target=harness.publish, args=(topics["flink-in"], wrapped),
                                 kwargs={"per_second": 300})
    publisher.start()
    reader = harness.TopicReader(topics["flink-out"], committed_only=True)
    try:
        assert reader.read_until(lambda r: len(r) >= len(expected) // 4, timeout=180), "no output"
        assert _job_state(job) == "RUNNING"
        harness.tool("flink.sh", "kill-tm", "1")   # SIGKILL the TaskManager JVM mid-stream
        harness.tool("flink.sh", "start-tm", "1")  # and start a new one in its place
        done = reader.read_until(lambda r: len(r) >= len(expected), timeout=240)
        publisher.join()
        reader.poll(5)  # a duplicate would show up here
        checkpoints = harness.flink_get(f"/jobs/{job}/checkpoints")
    finally:
        harness.tool("flink.sh", "cancel", job)
        reader.close()
    got = collections.Counter((r["flight"], r["body"]) for r in (json.loads(v) for _k, v, _t in reader.records))
    assert done, f"{len(got)} of {len(expected)} outputs"
    assert set(got) == expected
    assert max(got.values()) == 1, "a message came out twice"
    restored = checkpoints["latest"].get("restored")
    assert restored and checkpoints["counts"]["restored"] >= 1, "the job did not restore a checkpoint"
    print(f"{len(messages)} messages, {len(got)} distinct out, restored checkpoint {restored['id']}")
