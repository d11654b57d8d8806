"""pipelines/io/kafka.py against the real broker, on the local runner: a bounded read sees every
offset of every partition once, with its Kafka timestamp as event time; the sink delivers all."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange

from pipelines.io.kafka import ReadFromKafkaTopics, WriteToKafkaTopic, _PartitionTracker
from tests.cluster import harness


def test_open_partition_range_is_never_cut_in_two():
    tracker = _PartitionTracker(OffsetRange(0, 2**63 - 1))
    assert tracker.try_claim(0)
    assert tracker.try_split(0.5) is None         # a dynamic split would invent offsets
    primary, residual = tracker.try_split(0)       # a checkpoint resumes after the last claim
    assert (primary.start, primary.stop, residual.start) == (0, 1, 1)


def test_bounded_read_and_write_round_trip(kafka):
    topics = harness.new_topics("io-in", "io-out")
    sent = [(f"k{i % 7}".encode(), f"v{i}".encode()) for i in range(500)]
    harness.publish(topics["io-in"], sent)
    with beam.Pipeline(runner="DirectRunner") as pipeline:
        read = pipeline | ReadFromKafkaTopics(kafka, topics["io-in"], stop_at_end=True, with_metadata=True)
        (read
         | "Pairs" >> beam.Map(lambda m: (m.key, m.value + b"|%d|%d|%d" % (m.partition, m.offset, m.timestamp)))
         | WriteToKafkaTopic(kafka, topics["io-out"]))
    reader = harness.TopicReader(topics["io-out"])
    reader.read_until(lambda r: len(r) >= len(sent), timeout=60)
    reader.poll(2)
    reader.close()
    assert sorted((k, v.split(b"|")[0]) for k, v, _ts in reader.records) == sorted(sent)
    fields = [v.split(b"|") for _k, v, _ts in reader.records]
    by_partition: dict[int, list[int]] = {}
    for _value, partition, offset, _timestamp in fields:
        by_partition.setdefault(int(partition), []).append(int(offset))
    assert sorted(by_partition) == [0, 1]
    for offsets in by_partition.values():  # each offset once, none skipped
        assert sorted(offsets) == list(range(len(offsets)))
    assert all(int(timestamp) > 1_700_000_000_000 for *_rest, timestamp in fields)
