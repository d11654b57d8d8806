"""Talking to the components that tools/cluster/up.sh started: Kafka topics, the Prism job server,
the SDK worker pool. Used by the cluster tests and benchmarks/cluster_streaming.py."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable

from pipelines.stream import PRISM_EXPERIMENTS

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = REPO_ROOT / "tools" / "cluster"

KAFKA = f"127.0.0.1:{os.environ.get('PAXSHARE_KAFKA_PORT', '19092')}"
JOB_ENDPOINT = f"localhost:{os.environ.get('PAXSHARE_PRISM_JOB_PORT', '18097')}"
WORKER_POOL = f"localhost:{os.environ.get('PAXSHARE_WORKER_POOL_PORT', '15000')}"
FLINK_REST = f"http://127.0.0.1:{os.environ.get('PAXSHARE_FLINK_REST_PORT', '18081')}"


def log_tail(name: str, lines: int = 60) -> str:
    """The last lines of a component's log under the cluster home (``logs/NAME``)."""
    home = Path(os.environ.get("PAXSHARE_CLUSTER_HOME", REPO_ROOT / ".cluster"))
    try:
        return "\n".join((home / "logs" / name).read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(no log: {error})"


def listening(hostport: str) -> bool:
    host, port = hostport.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host.replace("localhost", "127.0.0.1"), int(port))) == 0


def beam_args() -> list[str]:
    """Pipeline options for the cluster route: Prism job server, SDK workers from the pool.
    (Prism starts one SDK harness process per job; it runs the bundles on several threads.)
    The experiments are ``paxshare stream``'s own (see PRISM_EXPERIMENTS in pipelines.stream)."""
    return ["--runner=PortableRunner", f"--job_endpoint={JOB_ENDPOINT}",
            "--environment_type=EXTERNAL", f"--environment_config={WORKER_POOL}", "--streaming",
            *(f"--experiments={e}" for e in PRISM_EXPERIMENTS)]


def tool(script: str, *args: str) -> None:
    subprocess.run([str(TOOLS / script), *args], check=True)


def run_tool(script: str, *args: str) -> str:
    """A tools/cluster command's standard output, stripped."""
    return subprocess.run([str(TOOLS / script), *args], check=True, capture_output=True, text=True).stdout.strip()


def new_topics(*names: str, partitions: int = 2, config: dict | None = None) -> dict[str, str]:
    """Create fresh topics (a unique suffix per call) and return {name: topic}."""
    from confluent_kafka.admin import AdminClient, NewTopic

    suffix = uuid.uuid4().hex[:8]
    topics = {name: f"{name}-{suffix}" for name in names}
    admin = AdminClient({"bootstrap.servers": KAFKA})
    futures = admin.create_topics([NewTopic(t, partitions, 1, config=config or {}) for t in topics.values()])
    for future in futures.values():
        future.result(timeout=30)
    return topics


def publish(topic: str, messages: Iterable[tuple[bytes | None, bytes]], *,
            per_second: float | None = None, on_sent: Callable[[int], None] | None = None) -> int:
    """Publish (key, value) pairs in order; optionally paced to ``per_second``."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": KAFKA, "enable.idempotence": True, "linger.ms": 5})
    start, sent = time.monotonic(), 0
    for key, value in messages:
        while True:
            try:
                producer.produce(topic, key=key, value=value)
                break
            except BufferError:
                producer.poll(0.2)
        producer.poll(0)
        sent += 1
        if on_sent:
            on_sent(sent)
        if per_second:
            ahead = sent / per_second - (time.monotonic() - start)
            if ahead > 0:
                producer.flush()
                time.sleep(ahead)
    if producer.flush(60):
        raise RuntimeError(f"undelivered messages to {topic}")
    return sent


class TopicReader:
    """Reads every partition of a topic from the beginning, without a consumer group."""

    def __init__(self, topic: str, *, committed_only: bool = False):
        from confluent_kafka import Consumer, TopicPartition

        self.topic = topic
        self._consumer = Consumer({"bootstrap.servers": KAFKA, "group.id": f"reader-{uuid.uuid4().hex}",
                                   "enable.auto.commit": False,
                                   "isolation.level": "read_committed" if committed_only else "read_uncommitted"})
        meta = self._consumer.list_topics(topic, timeout=30).topics[topic]
        self._consumer.assign([TopicPartition(topic, p, 0) for p in sorted(meta.partitions)])
        self.records: list[tuple[bytes | None, bytes, int]] = []  # key, value, timestamp ms

    def poll(self, seconds: float = 1.0) -> int:
        got = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self._consumer.consume(1000, 0.2):
                if message.error() is None:
                    self.records.append((message.key(), message.value(), message.timestamp()[1]))
                    got += 1
        return got

    def read_until(self, done: Callable[[list], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll(1.0)
            if done(self.records):
                return True
        return done(self.records)

    def close(self) -> None:
        self._consumer.close()


def cancel_running_jobs() -> int:
    """Cancel every job still running on the job server (a CLI that was killed leaves its job)."""
    import grpc
    from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc

    with grpc.insecure_channel(JOB_ENDPOINT) as channel:
        stub = beam_job_api_pb2_grpc.JobServiceStub(channel)
        cancelled = 0
        for job in stub.GetJobs(beam_job_api_pb2.GetJobsRequest(), timeout=30).job_info:
            if job.state in (beam_job_api_pb2.JobState.RUNNING, beam_job_api_pb2.JobState.STARTING,
                             beam_job_api_pb2.JobState.STOPPED):
                stub.Cancel(beam_job_api_pb2.CancelJobRequest(job_id=job.job_id), timeout=30)
                cancelled += 1
        return cancelled


def flink_get(path: str) -> dict:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{FLINK_REST}{path}", timeout=30) as response:
        return json.load(response)
