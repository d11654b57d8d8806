"""Kafka source and sink for Beam in Python, on the confluent-kafka client (librdkafka).

Beam's own ``ReadFromKafka``/``WriteToKafka`` are Java transforms that Python reaches through an
expansion service jar at exactly the SDK's version. Where that jar cannot be had (or the runner
has no Java environment, as with Prism and no container engine), these transforms do the same
job in the Python SDK worker:

- ``ReadFromKafkaTopics`` is a splittable DoFn: one restriction per topic partition, an offset
  range claimed message by message, ``defer_remainder`` when the partition is idle, so the runner
  can checkpoint and resume it. Each element carries the Kafka record timestamp; the watermark
  follows the largest timestamp read (less ``max_out_of_orderness``), and moves on with the wall
  clock while every partition is idle so timers still fire. ``stop_at_end=True`` reads up to the
  end offsets seen at start and then finishes (a bounded read for tests and backfills). The read
  ends with a fusion break (a Reshuffle): without it Prism 2.77 fused a downstream stateful DoFn
  into the reader's stage, ran a partition's checkpoint residual in a second bundle while the
  first was still open, and so processed one flight's messages in two bundles at once, each
  seeing the state as it was before the other (seen here: lost state, swapped order).
- ``WriteToKafkaTopic`` produces (key, value) pairs with an idempotent producer and flushes at
  the end of every bundle, failing the bundle on any delivery error: at-least-once. Give each
  record a stable key (a flag id, a record id) and consumers, or a compacted topic, make the
  output effectively-once.

Offsets are not committed to Kafka: a job that restarts without runner state reads the retained
topic again from ``start`` and relies on stable ids downstream (see docs/cluster.md).
"""

from __future__ import annotations

import time
import typing
from typing import Iterable, Sequence

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.utils.timestamp import Duration, Timestamp

# An open restriction: librdkafka offsets are signed 64-bit.
_END_OF_TIME_OFFSET = 2**63 - 1


class KafkaMessage(typing.NamedTuple):
    """One consumed record, as ``ReadFromKafkaTopics(with_metadata=True)`` emits it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int  # milliseconds, as in Beam's ReadFromKafka(with_metadata=True) records


class PartitionSpec(typing.NamedTuple):
    """A topic partition and the offsets to read: [start, stop); stop -1 means unbounded."""

    topic: str
    partition: int
    start: int
    stop: int


def _consumer(bootstrap: str, extra: dict | None = None):
    from confluent_kafka import Consumer

    config = {
        "bootstrap.servers": bootstrap,
        # assign() is used, never subscribe(): the group only names the client; nothing is committed.
        "group.id": "paxshare-beam-reader",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
    }
    config.update(extra or {})
    return Consumer(config)


class _ListPartitions(beam.DoFn):
    """Impulse -> one PartitionSpec per partition of each topic, offsets resolved on the broker."""

    def __init__(self, bootstrap: str, topics: Sequence[str], start: str, stop_at_end: bool,
                 consumer_config: dict | None, timeout_s: float):
        self._bootstrap, self._topics, self._start = bootstrap, list(topics), start
        self._stop_at_end, self._config, self._timeout = stop_at_end, consumer_config, timeout_s

    def process(self, _impulse) -> Iterable[PartitionSpec]:
        from confluent_kafka import TopicPartition

        consumer = _consumer(self._bootstrap, self._config)
        try:
            metadata = consumer.list_topics(timeout=self._timeout)
            for topic in self._topics:
                info = metadata.topics.get(topic)
                if info is None or info.error is not None:
                    # Ask for the topic itself: with auto-creation on, this creates it.
                    info = consumer.list_topics(topic, timeout=self._timeout).topics.get(topic)
                if info is None or info.error is not None or not info.partitions:
                    raise RuntimeError(f"Kafka topic {topic!r} not found on {self._bootstrap}")
                for partition in sorted(info.partitions):
                    low, high = consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=self._timeout)
                    start = low if self._start == "earliest" else high
                    yield PartitionSpec(topic, partition, start, high if self._stop_at_end else -1)
        finally:
            consumer.close()


class _PartitionTracker(OffsetRestrictionTracker):
    """Offsets of one partition, read in order: the runner may checkpoint the reader (split at
    the current position, which ``defer_remainder`` also does) but not cut the offset range in
    two, which for an open range would hand offsets that do not exist yet to a second reader."""

    def try_split(self, fraction_of_remainder):
        if fraction_of_remainder > 0:
            return None
        return super().try_split(fraction_of_remainder)


class _PartitionRestrictions(RestrictionProvider):
    def initial_restriction(self, element: PartitionSpec) -> OffsetRange:
        stop = element.stop if element.stop >= 0 else _END_OF_TIME_OFFSET
        return OffsetRange(element.start, max(element.start, stop))

    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        return _PartitionTracker(restriction)

    def restriction_size(self, element, restriction: OffsetRange) -> int:
        # An open partition reports a nominal size so that runners do not treat it as huge work.
        return min(restriction.size(), 1 << 20)

    def split(self, element, restriction):
        yield restriction  # a partition is read in order by one reader


class _ReadPartition(beam.DoFn):
    """Reads one partition for a while, then hands the rest back to the runner."""

    def __init__(self, bootstrap: str, consumer_config: dict | None, with_metadata: bool,
                 max_out_of_orderness_s: float, poll_batch: int, max_read_s: float,
                 idle_resume_s: float):
        self._bootstrap, self._config, self._with_metadata = bootstrap, consumer_config, with_metadata
        self._skew = Duration(seconds=max_out_of_orderness_s)
        self._batch, self._max_read, self._idle_resume = poll_batch, max_read_s, idle_resume_s
        self._consumer = None

    def setup(self):
        self._consumer = _consumer(self._bootstrap, self._config)

    def teardown(self):
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def process(
        self,
        spec: PartitionSpec,
        tracker=beam.DoFn.RestrictionParam(_PartitionRestrictions()),
        watermark=beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider()),
    ):
        from confluent_kafka import KafkaError, TopicPartition

        restriction = tracker.current_restriction()
        if restriction.start >= restriction.stop:
            return
        self._consumer.assign([TopicPartition(spec.topic, spec.partition, restriction.start)])
        deadline = time.monotonic() + self._max_read
        try:
            while time.monotonic() < deadline:
                messages = self._consumer.consume(num_messages=self._batch, timeout=0.2)
                if not messages:
                    break
                for message in messages:
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            continue
                        raise RuntimeError(f"Kafka {spec.topic}[{spec.partition}]: {error}")
                    if not tracker.try_claim(message.offset()):
                        return
                    _kind, ts_ms = message.timestamp()
                    ts_ms = ts_ms if ts_ms is not None and ts_ms >= 0 else int(time.time() * 1000)
                    ts = Timestamp(micros=ts_ms * 1000)
                    current = watermark.current_watermark()
                    if current is None or ts - self._skew > current:
                        watermark.set_watermark(ts - self._skew)
                    if self._with_metadata:
                        out = KafkaMessage(spec.topic, spec.partition, message.offset(),
                                           message.key(), message.value(), ts_ms)
                    else:
                        out = (message.key(), message.value())
                    yield beam.window.TimestampedValue(out, ts)
                    if message.offset() + 1 >= restriction.stop:
                        return  # bounded read complete
            else:
                # Read for the whole slice: hand back the rest at once.
                tracker.defer_remainder()
                return
            # Idle: nothing new in this partition. Let event time move on with the wall clock.
            idle_mark = Timestamp.now() - self._skew
            current = watermark.current_watermark()
            if current is None or idle_mark > current:
                watermark.set_watermark(idle_mark)
            tracker.defer_remainder(Duration(seconds=self._idle_resume))
        finally:
            self._consumer.unassign()


class ReadFromKafkaTopics(beam.PTransform):
    """Unbounded (or, with ``stop_at_end``, bounded) read of Kafka topics in the Python SDK.

    Emits ``(key, value)`` bytes pairs like Beam's ``ReadFromKafka``, or ``KafkaMessage`` tuples
    with ``with_metadata=True``, each timestamped with its Kafka record timestamp.
    """

    def __init__(self, bootstrap_servers: str, topics: Sequence[str] | str, *,
                 start: str = "earliest", stop_at_end: bool = False, with_metadata: bool = False,
                 max_out_of_orderness_s: float = 5.0, consumer_config: dict | None = None,
                 poll_batch: int = 500, max_read_s: float = 1.0, idle_resume_s: float = 0.5,
                 metadata_timeout_s: float = 30.0):
        super().__init__()
        if start not in ("earliest", "latest"):
            raise ValueError(f"start must be 'earliest' or 'latest', not {start!r}")
        self._bootstrap = bootstrap_servers
        self._topics = [topics] if isinstance(topics, str) else list(topics)
        self._start, self._stop_at_end, self._with_metadata = start, stop_at_end, with_metadata
        self._skew, self._config = max_out_of_orderness_s, consumer_config
        self._batch, self._max_read, self._idle_resume = poll_batch, max_read_s, idle_resume_s
        self._metadata_timeout = metadata_timeout_s

    def expand(self, pbegin):
        return (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "ListPartitions" >> beam.ParDo(_ListPartitions(
                self._bootstrap, self._topics, self._start, self._stop_at_end, self._config,
                self._metadata_timeout))
            | "Reshuffle" >> beam.Reshuffle()
            | "ReadPartitions" >> beam.ParDo(_ReadPartition(
                self._bootstrap, self._config, self._with_metadata, self._skew, self._batch,
                self._max_read, self._idle_resume))
            | "BreakFusion" >> beam.Reshuffle()  # see the module doc
        )


class _Produce(beam.DoFn):
    def __init__(self, bootstrap: str, topic: str, producer_config: dict | None):
        self._bootstrap, self._topic, self._config = bootstrap, topic, producer_config
        self._producer = None
        self._errors: list[str] = []

    def setup(self):
        from confluent_kafka import Producer

        config = {"bootstrap.servers": self._bootstrap, "enable.idempotence": True,
                  "linger.ms": 5, "compression.type": "zstd"}
        config.update(self._config or {})
        self._producer = Producer(config)

    def _delivered(self, error, message):
        if error is not None:
            self._errors.append(f"{message.topic()}: {error}")

    def process(self, element):
        key, value = element
        while True:
            try:
                self._producer.produce(self._topic, value=value, key=key, on_delivery=self._delivered)
                break
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._producer.poll(0.5)
        self._producer.poll(0)

    def finish_bundle(self):
        remaining = self._producer.flush(60)
        errors, self._errors = self._errors, []
        if remaining or errors:
            # Failing the bundle makes the runner retry it: at-least-once, never silently lost.
            raise RuntimeError(
                f"Kafka topic {self._topic!r}: {remaining} undelivered, errors: {errors[:3]}")

    def teardown(self):
        if self._producer is not None:
            self._producer.flush(10)
            self._producer = None


class WriteToKafkaTopic(beam.PTransform):
    """Write ``(key, value)`` bytes pairs to one topic; at-least-once (see the module doc)."""

    def __init__(self, bootstrap_servers: str, topic: str, producer_config: dict | None = None):
        super().__init__()
        self._bootstrap, self._topic, self._config = bootstrap_servers, topic, producer_config

    def expand(self, pcoll):
        return pcoll | "Produce" >> beam.ParDo(_Produce(self._bootstrap, self._topic, self._config))
