"""Beam transforms for the streaming sources and the per-flight state of ``paxshare stream``.

``ReadLandingFolder``: a folder watched continuously (airline drops over SFTP land as files).
Files are matched every ``interval`` seconds by Beam's ``fileio.MatchContinuously`` and each new
file is read once; its arrival time (the file's modification time) is its event time. Files whose
name starts with ``.`` or ends in ``.tmp``/``.part``/``.filepart`` are still being written and are
left until renamed (write-then-rename is how SFTP servers and ``paxshare replay`` deliver).
On the Python DirectRunner the continuous match was seen to miss every file written after the
pipeline started (its ``PeriodicImpulse`` does not run on that runner), so ``paxshare stream``
runs this source on the Prism runner, where it does not lose files (tested).

``ReadKafkaMessages``: Kafka topics through Beam's ``ReadFromKafka`` (a cross-language transform:
its Java side runs in an expansion service) or, without one, the project's Python Kafka IO; with
metadata, so each message's topic, partition, offset and timestamp are known; the Kafka timestamp
is its event time.

``DecodeMessages``: message bodies -> ``DecodedRecord`` items, or dead letters that say why not
(:mod:`pipelines.io.messages`: Avro single-object encoding, EDIFACT, Avro container files).

``TrackFlights``: keyed by flight, a stateful DoFn that applies :class:`FlightBook` (resend
dedupe, BGM change/cancel/close-out) with two event-time timers per flight: close at scheduled
departure + grace, and clear the state at departure + retention. Outputs: main, the records to
process; ``late`` (late messages as labelled dead-letter-shaped records), ``withdrawn``
(withdrawal records), ``counts`` (``("intake", {...})`` per message, for the window's report).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (BagStateSpec, CombiningValueStateSpec, ReadModifyWriteStateSpec,
                                              TimerSpec, on_timer)
from apache_beam.utils.timestamp import Timestamp

from pipelines import reasons, storage
from pipelines.io import flights, messages
from pipelines.io.avro_files import RAW_BYTES_LIMIT

DEAD_LETTER = reasons.DEAD_LETTER
LATE, WITHDRAWN, COUNTS = "late", "withdrawn", "counts"
NAMESPACE = "paxshare.stream"
UNFINISHED_SUFFIXES = (".tmp", ".part", ".filepart", ".partial")


def is_finished(path: str) -> bool:
    """A landed file ready to read: not hidden, not a temporary name of a transfer in progress."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(".") and not name.endswith(UNFINISHED_SUFFIXES)


class DecodeMessages(beam.DoFn):
    """(source, body bytes) -> DecodedRecord items (main) and dead letters (``dead_letter``)."""

    def __init__(self, run_id: str):
        self._run_id = run_id

    def setup(self):
        self._records = Metrics.counter(NAMESPACE, "records_decoded")
        self._bad = Metrics.counter(NAMESPACE, "messages_dead_lettered")

    def process(self, item):
        source, body = item
        decoded = messages.decode_message(bytes(body), source, self._run_id)
        self._records.inc(len(decoded.records))
        self._bad.inc(len(decoded.dead_letters))
        yield from decoded.records
        for letter in decoded.dead_letters:
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, letter)
        yield beam.pvalue.TaggedOutput(COUNTS, ("intake", {"records_decoded": len(decoded.records),
                                                           "decode_dead_letters": len(decoded.dead_letters)}))


class _ReadLanded(beam.DoFn):
    """A matched file -> (path, bytes), timestamped with the file's arrival (modification) time."""

    def process(self, metadata):
        if not is_finished(metadata.path):
            return
        body = storage.read_bytes(metadata.path)
        arrived = metadata.last_updated_in_seconds or dt.datetime.now(dt.timezone.utc).timestamp()
        yield beam.window.TimestampedValue((metadata.path, body), arrived)


class ReadLandingFolder(beam.PTransform):
    """A folder watched every ``interval`` seconds -> (path, bytes) of every file landed in it.
    ``once``: read what is there now and stop (bounded; for tests and catch-up)."""

    def __init__(self, folder: str, interval: float = 1.0, once: bool = False):
        super().__init__()
        self._pattern = folder.rstrip("/") + "/*"
        self._interval, self._once = interval, once

    def expand(self, pbegin):
        from apache_beam.io import fileio

        if self._once:
            matched = pbegin | "MatchNow" >> fileio.MatchFiles(self._pattern)
        else:
            matched = pbegin | "MatchContinuously" >> fileio.MatchContinuously(self._pattern, interval=self._interval)
        return matched | "ReadLanded" >> beam.ParDo(_ReadLanded())


class ReadKafkaMessages(beam.PTransform):
    """Kafka topics -> (``kafka:topic/partition@offset``, bytes), event time the Kafka timestamp.

    With ``expansion_service`` (HOST:PORT of a Java expansion service with KafkaIO), Beam's
    cross-language ``ReadFromKafka``; without, the project's Python Kafka IO
    (:mod:`pipelines.io.kafka`, on confluent-kafka), which runs where no Java environment does
    (Prism, the DirectRunner). Both emit the same records with topic, partition, offset and
    timestamp. ``stop_at_end``: read what the topics hold now, then finish (tests, backfills)."""

    def __init__(self, bootstrap: str, topics: list[str], expansion_service: str | None = None,
                 group_id: str = "paxshare-stream", stop_at_end: bool = False):
        super().__init__()
        self._bootstrap, self._topics = bootstrap, list(topics)
        self._expansion, self._group, self._stop_at_end = expansion_service, group_id, stop_at_end

    def expand(self, pbegin):
        if self._expansion:
            from apache_beam.io.kafka import ReadFromKafka

            config = {"bootstrap.servers": self._bootstrap, "group.id": self._group, "auto.offset.reset": "earliest"}
            read = ReadFromKafka(consumer_config=config, topics=self._topics, with_metadata=True,
                                 timestamp_policy="CreateTime", commit_offset_in_finalize=True,
                                 expansion_service=self._expansion)
        else:
            from pipelines.io.kafka import ReadFromKafkaTopics

            read = ReadFromKafkaTopics(self._bootstrap, self._topics, with_metadata=True, stop_at_end=self._stop_at_end)
        return pbegin | "ReadFromKafka" >> read | "SourceAndBody" >> beam.Map(_kafka_message)


def _kafka_message(record):
    source = f"kafka:{record.topic}/{record.partition}@{record.offset}"
    return beam.window.TimestampedValue((source, bytes(record.value or b"")), record.timestamp / 1000.0)


class WriteKafkaMessages(beam.PTransform):
    """(key bytes, value bytes) -> a Kafka topic: Beam's ``WriteToKafka`` through
    ``expansion_service`` when given, else the project's Python producer (at-least-once; the
    keys are stable ids, so a consumer or a compacted topic makes it effectively-once)."""

    def __init__(self, bootstrap: str, topic: str, expansion_service: str | None = None):
        super().__init__()
        self._bootstrap, self._topic, self._expansion = bootstrap, topic, expansion_service

    def expand(self, pairs):
        if self._expansion:
            from apache_beam.io.kafka import WriteToKafka

            return pairs | "WriteToKafka" >> WriteToKafka(
                producer_config={"bootstrap.servers": self._bootstrap}, topic=self._topic,
                expansion_service=self._expansion)
        from pipelines.io.kafka import WriteToKafkaTopic

        return pairs | "WriteToKafka" >> WriteToKafkaTopic(self._bootstrap, self._topic)


def late_record(item, why: str, run_id: str, arrived: Timestamp) -> dict:
    """A late message as a dead-letter-shaped record in the ``late/`` output."""
    raw = json.dumps(item.record, default=str, ensure_ascii=False)
    return {
        "schema_version": 1, "run_id": run_id, "stage": "stream", "kind": "LATE_" + item.schema_name.upper(),
        "source_file": item.source_file, "position": item.position, "line": None,
        "record_key": item.record.get("message_id") or item.record.get("record_locator"),
        "flight_key": flights.flight_key_of(item.schema_name, item.record),
        "person_count": len(item.record.get("persons") or item.record.get("travellers") or []),
        "reasons": [{"code": "LATE", "field": None,
                     "message": f"{why}; arrived {arrived.to_utc_datetime().isoformat(timespec='seconds')}Z"}],
        "raw_json": raw if len(raw) <= RAW_BYTES_LIMIT else None, "raw_bytes": None,
    }


def _seconds(when: dt.datetime) -> Timestamp:
    return Timestamp.of(when.timestamp())


class TrackFlights(beam.DoFn):
    """Per-flight state and timers over (flight key, DecodedRecord); see the module doc."""

    BOOK = ReadModifyWriteStateSpec("book", PickleCoder())
    CLOSE = TimerSpec("close", TimeDomain.WATERMARK)
    CLEAR = TimerSpec("clear", TimeDomain.WATERMARK)

    def __init__(self, run_id: str, grace: dt.timedelta, retention: dt.timedelta):
        self._run_id, self._grace, self._retention = run_id, grace, retention

    def setup(self):
        self._counters = {}

    def _count(self, name: str, n: int = 1):
        if name not in self._counters:
            self._counters[name] = Metrics.counter(NAMESPACE, name)
        self._counters[name].inc(n)

    def process(self, element, timestamp=beam.DoFn.TimestampParam, book_state=beam.DoFn.StateParam(BOOK),
                close_timer=beam.DoFn.TimerParam(CLOSE), clear_timer=beam.DoFn.TimerParam(CLEAR)):
        key, item = element
        book = flights.FlightBook.from_state(book_state.read(), key)
        departure, exact = flights.scheduled_departure(item.schema_name, item.record)
        closes_at = None
        if departure is not None:
            closes_at = departure + self._grace + (dt.timedelta() if exact else flights.LOCAL_TIME_MARGIN)
        late = closes_at is not None and timestamp > _seconds(closes_at)
        if closes_at is not None and not late:  # a late message must not reopen a cleared flight
            close_timer.set(_seconds(closes_at))
            clear_timer.set(_seconds(closes_at + self._retention))
        decision = book.admit(item.schema_name, item.record, late=late)
        book_state.write(book.to_state())
        self._count(f"messages.{decision.outcome.lower()}")
        counts = {"messages_in": 1, f"messages_{decision.outcome.lower()}": 1,
                  "persons_in_messages": len(item.record.get("persons") or []) if item.schema_name == "api_manifest" else 0}
        if decision.outcome == flights.PROCESS and not decision.process:
            counts["messages_withdrawing_only"] = 1
        if decision.withdrawals:
            counts["withdrawals"] = len(decision.withdrawals)
            self._count("withdrawals", len(decision.withdrawals))
        if decision.closes:
            counts["flights_closed_by_message"] = 1
        yield beam.pvalue.TaggedOutput(COUNTS, ("intake", counts))
        for withdrawal in decision.withdrawals:
            yield beam.pvalue.TaggedOutput(WITHDRAWN, dict(withdrawal.as_record(), run_id=self._run_id))
        if decision.outcome == flights.LATE:
            yield beam.pvalue.TaggedOutput(LATE, late_record(item, decision.why, self._run_id, timestamp))
        elif decision.process:
            yield item

    @on_timer(CLOSE)
    def close(self, key=beam.DoFn.KeyParam, book_state=beam.DoFn.StateParam(BOOK)):
        book = flights.FlightBook.from_state(book_state.read(), key)
        if not book.closed:
            book.closed = True
            book_state.write(book.to_state())
            self._count("flights_closed_by_timer")
            yield beam.pvalue.TaggedOutput(COUNTS, ("intake", {"flights_closed_by_timer": 1}))

    @on_timer(CLEAR)
    def clear(self, book_state=beam.DoFn.StateParam(BOOK)):
        book_state.clear()
        self._count("flights_cleared")
        yield beam.pvalue.TaggedOutput(COUNTS, ("intake", {"flight_states_cleared": 1}))


def key_by_flight(item):
    """(flight key, item); records whose flight cannot be told keep key ``""`` (validation rejects them)."""
    return flights.flight_key_of(item.schema_name, item.record) or "", item


class ApplyFlightState(beam.PTransform):
    """DecodedRecord items -> records to process, plus ``late``, ``withdrawn`` and ``counts``."""

    def __init__(self, run_id: str, grace: dt.timedelta, retention: dt.timedelta):
        super().__init__()
        self._fn = TrackFlights(run_id, grace, retention)

    def expand(self, records):
        return (records
                | "KeyByFlight" >> beam.Map(key_by_flight)
                | "TrackFlights" >> beam.ParDo(self._fn).with_outputs(LATE, WITHDRAWN, COUNTS, main="records"))


class _Gather(beam.DoFn):
    """Holds records for up to ``seconds`` of processing time (or ``max_persons`` persons, or the
    end of their window), then lets them all go at once."""

    BUFFER = BagStateSpec("buffer", PickleCoder())
    PERSONS = CombiningValueStateSpec("persons", sum)
    FLUSH = TimerSpec("flush", TimeDomain.REAL_TIME)
    END = TimerSpec("end", TimeDomain.WATERMARK)

    def __init__(self, seconds: float, max_persons: int):
        self._seconds, self._max = seconds, max_persons

    def process(self, element, timestamp=beam.DoFn.TimestampParam, win=beam.DoFn.WindowParam,
                buffer=beam.DoFn.StateParam(BUFFER), persons=beam.DoFn.StateParam(PERSONS),
                flush=beam.DoFn.TimerParam(FLUSH), end=beam.DoFn.TimerParam(END)):
        _, item = element
        if persons.read() == 0:
            flush.set(Timestamp.now() + self._seconds)
            end.set(win.max_timestamp())
        buffer.add((timestamp, item))
        persons.add(_weight(item))
        if persons.read() >= self._max:
            yield from self._release(buffer, persons)

    @staticmethod
    def _release(buffer, persons):
        held = list(buffer.read())
        buffer.clear()
        persons.clear()
        for timestamp, item in held:
            yield beam.window.TimestampedValue(item, timestamp)

    @on_timer(FLUSH)
    def flush(self, buffer=beam.DoFn.StateParam(BUFFER), persons=beam.DoFn.StateParam(PERSONS)):
        yield from self._release(buffer, persons)

    @on_timer(END)
    def end(self, buffer=beam.DoFn.StateParam(BUFFER), persons=beam.DoFn.StateParam(PERSONS)):
        yield from self._release(buffer, persons)


def _weight(item) -> int:
    return max(1, len(item.record.get("persons") or item.record.get("travellers") or ()))


class GatherForValidation(beam.PTransform):
    """Records -> the same records, released together every ``seconds`` (per window and per one
    of ``keys`` flight groups). Validation runs the expectation suite once per batch at a fixed
    cost of about 0.4 s however small the batch, so a stream of small bundles validated one by one
    would spend its time on that cost; a second's worth of messages per batch keeps throughput up
    and adds at most ``seconds`` to a flag's latency."""

    def __init__(self, seconds: float = 1.0, keys: int = 4, max_persons: int = 5000):
        super().__init__()
        self._seconds, self._keys, self._max = seconds, keys, max_persons

    def expand(self, records):
        keys = self._keys
        return (records
                | "KeyByFlightGroup" >> beam.Map(
                    lambda item: (zlib.crc32((flights.flight_key_of(item.schema_name, item.record) or "").encode()) % keys,
                                  item))
                | "Gather" >> beam.ParDo(_Gather(self._seconds, self._max)))
