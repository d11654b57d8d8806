"""A small streaming pipeline of the same shape as ``paxshare stream``, to prove the cluster route
on its own: Kafka in, per-flight state keyed by flight, resends dropped by content hash, a change
superseding the earlier list (withdrawn persons marked), a close-out making the list final, a
message after close-out sent to a labelled late output, and every output keyed by a stable id to
Kafka out. ``apply`` is the only copy of the rules: the Beam DoFn and the reference the tests
compare against both call it.

Beam does not keep the order of elements between a source and a stateful DoFn (Prism was seen to
swap a flight's messages under load), so each message carries its sequence number within the
flight, as airline messages do, and the state applies them in that order, holding back any that
arrive early: the outputs are the same whatever the arrival order."""

from __future__ import annotations

import hashlib
import json
import random
import typing
from typing import Iterable

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from pipelines.io.kafka import ReadFromKafkaTopics, WriteToKafkaTopic


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def new_state() -> dict:
    return {"seen": set(), "persons": set(), "closed": False, "next": 0, "early": {}}


def apply(state: dict, body: bytes) -> list[dict]:
    """One message of a flight against its state; returns the outputs (and updates ``state``)."""
    digest = hashlib.sha256(body).hexdigest()
    if digest in state["seen"]:
        return []  # a resend: same content, processed once
    state["seen"].add(digest)
    sequence = json.loads(body)["n"]
    if sequence != state["next"]:
        state["early"][sequence] = body  # its predecessor has not arrived yet
        return []
    out = _apply_next(state, body, digest)
    while state["next"] in state["early"]:
        held = state["early"].pop(state["next"])
        out += _apply_next(state, held, hashlib.sha256(held).hexdigest())
    return out


def _apply_next(state: dict, body: bytes, digest: str) -> list[dict]:
    message = json.loads(body)
    flight = message["flight"]
    state["next"] += 1
    if state["closed"]:
        return [{"id": _id("late", flight, digest), "flight": flight, "kind": "late"}]
    persons = set(message["persons"])
    out = [{"id": _id("person", flight, p, digest), "flight": flight, "person": p, "kind": "active"}
           for p in sorted(persons)]
    if message["function"] in ("change", "close"):
        out += [{"id": _id("withdrawn", flight, p, digest), "flight": flight, "person": p,
                 "kind": "withdrawn"} for p in sorted(state["persons"] - persons)]
        state["persons"] = persons
    else:
        state["persons"] |= persons
    state["closed"] = message["function"] == "close"
    return out


def reference(messages: Iterable[tuple[bytes, bytes]]) -> dict[str, dict]:
    """The expected outputs by id: ``apply`` over each flight's messages in publication order."""
    states: dict[str, dict] = {}
    expected: dict[str, dict] = {}
    for key, body in messages:
        for record in apply(states.setdefault(key.decode(), new_state()), body):
            expected[record["id"]] = record
    return expected


class _PerFlight(beam.DoFn):
    STATE = ReadModifyWriteStateSpec("flight", PickleCoder())

    def process(self, element, state=beam.DoFn.StateParam(STATE)):
        _key, body = element
        current = state.read() or new_state()
        out = apply(current, body)
        state.write(current)
        for record in out:
            yield record["id"].encode(), json.dumps(record, sort_keys=True).encode()


def build(pipeline: beam.Pipeline, bootstrap: str, in_topic: str, out_topic: str,
          before_write: beam.PTransform | None = None) -> None:
    """Kafka ``in_topic`` -> per-flight state -> (id, record JSON) pairs -> Kafka ``out_topic``."""
    outputs = (pipeline
               | "Read" >> ReadFromKafkaTopics(bootstrap, [in_topic])
               | "KeyByFlight" >> beam.Map(lambda kv: (kv[0].decode(), kv[1])).with_output_types(
                   typing.Tuple[str, bytes])
               | "PerFlight" >> beam.ParDo(_PerFlight()))
    if before_write is not None:
        outputs = outputs | "BeforeWrite" >> before_write
    outputs | "Write" >> WriteToKafkaTopic(bootstrap, out_topic)


def generate(flights: int, seed: int = 17) -> list[tuple[bytes, bytes]]:
    """Messages per flight in order: original lists, resends, changes, a close-out, late ones."""
    rng = random.Random(seed)
    logs: list[list[tuple[bytes, bytes]]] = []
    for f in range(flights):
        flight = f"XX{100 + f}/2026-12-07"
        key = flight.encode()
        persons = [f"P{f:04d}-{i:03d}" for i in range(rng.randint(5, 20))]

        def body(function: str, people: list[str], n: int) -> bytes:
            return json.dumps({"flight": flight, "function": function, "persons": people, "n": n},
                              sort_keys=True).encode()

        log = [body("original", persons, 0)]
        if rng.random() < 0.5:
            log.append(log[-1])  # resend
        if rng.random() < 0.4:
            changed = [p for p in persons if rng.random() > 0.2] + [f"P{f:04d}-9{rng.randint(0, 99):02d}"]
            log.append(body("change", changed, 1))
            persons = changed
        log.append(body("close", persons, len({b for b in log})))
        if rng.random() < 0.3:
            log.append(log[-1])  # resent close-out
        if rng.random() < 0.2:
            log.append(body("original", persons[:2], len({b for b in log})))  # after close-out: late
        logs.append([(key, b) for b in log])
    # Interleave the flights at random, each flight's own messages staying in order.
    out: list[tuple[bytes, bytes]] = []
    while logs:
        log = logs[rng.randrange(len(logs))]
        out.append(log.pop(0))
        if not log:
            logs.remove(log)
    return out
