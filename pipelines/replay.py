"""``paxshare replay``: feed a stream with messages, in time order, at a chosen rate.

Reads API and PNR records from Avro files (``paxshare generate`` output, ``paxshare convert``
output) or raw UN/EDIFACT files, and publishes them one message at a time:

- to a **landing folder**: one file per message, written under a temporary name and renamed when
  complete (as an SFTP server delivers), Avro container for Avro input, the interchange for
  EDIFACT input;
- or to **Kafka**: Avro single-object encoding (CRC-64-AVRO fingerprint) to the API and PNR
  topics, raw EDIFACT to the EDIFACT topic, keyed by flight.

Messages go out in time order (by scheduled departure, a flight's PNRs before its API list) at
``--rate`` messages per second. ``--no-shift`` keeps the dates; by default every date moves by whole days
so the first flight departs at least an hour from now: a stream judges lateness against the clock, and old
sample data would otherwise be all late. Like airlines, the replay also sends:

- resends (``--resend-rate``): the same bytes again a few messages later (the stream drops them);
- changes (``--change-rate``): a CHANGE_PASSENGER list for the flight without its last person;
- late messages (``--late-rate``): a change for a flight that departed yesterday (the stream
  sends it to its late output).

Which extra messages are sent depends only on ``--seed``. No Beam here.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import glob
import io
import os
import random
import sys
import time
from dataclasses import dataclass

from pipelines.io import flights
from pipelines.io.avro_files import DecodedRecord, read_records, write_records
from pipelines.io.messages import encode_single_object, is_edifact


@dataclass
class Message:
    """One message to publish: what it is, its bytes, its flight, and when it is due."""

    kind: str          # api_manifest, pnr or edifact
    key: str           # flight key (Kafka key, landing file name)
    body: bytes
    due: float         # sort key: scheduled departure (epoch seconds); later = sent later
    label: str         # ORIGINAL, RESEND, CHANGE, LATE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", help="Avro files or folders (API, PNR) or EDIFACT files")
    parser.add_argument("--landing", help="landing folder to write one file per message into")
    parser.add_argument("--kafka-bootstrap", help="Kafka bootstrap servers HOST:PORT")
    parser.add_argument("--api-topic", default="paxshare-api", help="Kafka topic for API messages")
    parser.add_argument("--pnr-topic", default="paxshare-pnr", help="Kafka topic for PNR messages")
    parser.add_argument("--edifact-topic", default="paxshare-edifact", help="Kafka topic for raw EDIFACT")
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second (0: as fast as possible)")
    parser.add_argument("--resend-rate", type=float, default=0.05, help="share of messages sent twice")
    parser.add_argument("--change-rate", type=float, default=0.05, help="share of API lists followed by a change")
    parser.add_argument("--late-rate", type=float, default=0.01, help="share of API lists also sent late")
    parser.add_argument("--seed", type=int, default=7, help="seed for which messages are resent/changed/late")
    parser.add_argument("--limit", type=int, default=0, help="stop after this many messages (0: all)")
    parser.add_argument("--no-shift", action="store_true", help="keep the dates as they are")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def main(args: argparse.Namespace) -> int:
    if bool(args.landing) == bool(args.kafka_bootstrap):
        print("paxshare replay: give exactly one of --landing DIR or --kafka-bootstrap HOST:PORT", file=sys.stderr)
        return 2
    records, edifact = load_inputs(args.inputs)
    if not records and not edifact:
        print("paxshare replay: no API/PNR records or EDIFACT files in the inputs", file=sys.stderr)
        return 2
    shift = dt.timedelta() if args.no_shift else shift_to_today(records)
    plan = plan_messages(records, edifact, random.Random(args.seed), args.resend_rate, args.change_rate,
                         args.late_rate, shift, landing=bool(args.landing))
    if args.limit:
        plan = plan[:args.limit]
    publish = LandingWriter(args.landing) if args.landing else KafkaPublisher(
        args.kafka_bootstrap, {"api_manifest": args.api_topic, "pnr": args.pnr_topic, "edifact": args.edifact_topic})
    sent = replay(plan, publish, args.rate, progress=not args.quiet)
    publish.close()
    labels = {}
    for message in plan:
        labels[message.label] = labels.get(message.label, 0) + 1
    print(f"paxshare replay: {sent} messages ({', '.join(f'{k.lower()} {v}' for k, v in sorted(labels.items()))}) "
          f"to {args.landing or args.kafka_bootstrap}")
    return 0


def load_inputs(inputs: list[str]) -> tuple[list[DecodedRecord], list[tuple[str, bytes]]]:
    """Every API/PNR record of the Avro inputs, and the EDIFACT files as (path, bytes)."""
    paths = []
    for item in inputs:
        paths.extend(sorted(glob.glob(os.path.join(item, "**", "*"), recursive=True)) if os.path.isdir(item)
                     else sorted(glob.glob(item)) or [item])
    records, edifact = [], []
    for path in paths:
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if data.startswith(b"Obj\x01"):
            records.extend(r for r in read_records(io.BytesIO(data), path) if isinstance(r, DecodedRecord))
        elif is_edifact(data):
            edifact.append((path, data))
    return records, edifact


def shift_to_today(records: list[DecodedRecord], lead: dt.timedelta = dt.timedelta(hours=1)) -> dt.timedelta:
    """Whole days that move the earliest departure at least ``lead`` after now (UTC)."""
    departures = [d for d, _ in (flights.scheduled_departure(r.schema_name, r.record) for r in records) if d]
    if not departures:
        return dt.timedelta()
    now = dt.datetime.now(dt.timezone.utc)
    days = max((now.date() - min(departures).date()).days, 0)
    while min(departures) + dt.timedelta(days=days) < now + lead:
        days += 1
    return dt.timedelta(days=days)


def _shift_text(value, shift: dt.timedelta):
    """An ISO date or date-time string moved by ``shift`` (whole days), format kept."""
    if not isinstance(value, str) or len(value) < 10 or value[4] != "-" or value[7] != "-":
        return value
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    return (day + shift).isoformat() + value[10:]


def shifted(schema_name: str, record: dict, shift: dt.timedelta) -> dict:
    """The record with its flight times and preparation time moved by ``shift``."""
    if not shift:
        return record
    record = copy.deepcopy(record)
    legs = (record.get("flight") or {}).get("legs") or [] if schema_name == "api_manifest" else record.get("flights") or []
    for leg in legs:
        for name in ("departure_local", "departure_utc", "arrival_local", "arrival_utc"):
            if name in leg:
                leg[name] = _shift_text(leg[name], shift)
    if record.get("prepared_utc"):
        record["prepared_utc"] = _shift_text(record["prepared_utc"], shift)
    return record


def _encode(schema_name: str, record: dict, landing: bool) -> bytes:
    if landing:
        buffer = io.BytesIO()
        write_records(buffer, schema_name, [record], codec="null")
        return buffer.getvalue()
    return encode_single_object(schema_name, record)


def plan_messages(records, edifact, rng: random.Random, resend_rate: float, change_rate: float, late_rate: float,
                  shift: dt.timedelta, landing: bool = True) -> list[Message]:
    """The messages in sending order (see the module doc)."""
    plan: list[Message] = []
    for item in records:
        record = shifted(item.schema_name, item.record, shift)
        departure, _ = flights.scheduled_departure(item.schema_name, record)
        due = departure.timestamp() if departure else 0.0
        due -= 1.0 if item.schema_name == "pnr" else 0.0  # a flight's PNRs before its list
        key = flights.flight_key_of(item.schema_name, record) or "unknown"
        body = _encode(item.schema_name, record, landing)
        plan.append(Message(item.schema_name, key, body, due, "ORIGINAL"))
        if rng.random() < resend_rate:
            plan.append(Message(item.schema_name, key, body, due + 0.5, "RESEND"))
        if item.schema_name != "api_manifest":
            continue
        if rng.random() < change_rate and len(record.get("persons") or []) > 1:
            change = dict(record, message_id=record["message_id"] + "-CP", message_function="CHANGE_PASSENGER",
                          persons=record["persons"][:-1],
                          prepared_utc=_later(record.get("prepared_utc")))
            if change.get("declared_passenger_count") is not None:
                change["declared_passenger_count"] = sum(p.get("role") in ("PASSENGER", "IN_TRANSIT_PASSENGER")
                                                         for p in change["persons"])
            plan.append(Message("api_manifest", key, _encode("api_manifest", change, landing), due + 0.7, "CHANGE"))
        if rng.random() < late_rate:
            yesterday = dt.timedelta(days=-2)
            late = shifted("api_manifest", dict(record, message_id=record["message_id"] + "-LATE",
                                                message_function="CHANGE_PASSENGER"), yesterday)
            late_key = flights.flight_key_of("api_manifest", late) or key
            plan.append(Message("api_manifest", late_key, _encode("api_manifest", late, landing), due + 0.9, "LATE"))
    for path, data in edifact:
        plan.append(Message("edifact", os.path.basename(path), data, 0.0, "ORIGINAL"))
    plan.sort(key=lambda m: m.due)
    return plan


def _later(prepared: str | None) -> str:
    when = dt.datetime.now(dt.timezone.utc) if not prepared else dt.datetime.fromisoformat(prepared.replace("Z", "+00:00"))
    return (when + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


class LandingWriter:
    """One file per message: written as ``.<name>.tmp``, then renamed, so a watcher never reads
    half a file."""

    def __init__(self, folder: str):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.sequence = 0

    def __call__(self, message: Message) -> None:
        self.sequence += 1
        suffix = ".edi" if message.kind == "edifact" else ".avro"
        safe_key = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in message.key)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{self.sequence:07d}-{safe_key}{suffix}"
        temporary = os.path.join(self.folder, "." + name + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(message.body)
        os.replace(temporary, os.path.join(self.folder, name))

    def close(self) -> None:
        pass


class KafkaPublisher:
    """Messages to Kafka topics by kind, keyed by flight (one partition orders a flight)."""

    def __init__(self, bootstrap: str, topics: dict[str, str]):
        from confluent_kafka import Producer

        self.producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
        self.topics = topics
        self.errors: list[str] = []

    def __call__(self, message: Message) -> None:
        def delivered(error, _record):
            if error is not None:
                self.errors.append(str(error))

        self.producer.produce(self.topics[message.kind], key=message.key.encode(), value=message.body,
                              on_delivery=delivered)
        self.producer.poll(0)

    def close(self) -> None:
        self.producer.flush(30)
        if self.errors:
            raise RuntimeError(f"Kafka refused {len(self.errors)} messages, first: {self.errors[0]}")


def replay(plan: list[Message], publish, rate: float, progress: bool = True) -> int:
    """Publish ``plan`` at ``rate`` messages per second; returns how many were sent."""
    started = time.monotonic()
    for index, message in enumerate(plan):
        if rate > 0:
            wait = started + index / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        publish(message)
        if progress and index and index % 1000 == 0:
            print(f"[paxshare] replay: {index:,} messages sent", file=sys.stderr, flush=True)
    return len(plan)
