"""Stream intake without Beam: message decoding (Avro single-object encoding, EDIFACT) and the
per-flight book (resends, changes, cancellations, close-out, lateness)."""

from __future__ import annotations

import io

import fastavro
import fastavro.schema
import pytest

from pipelines import schemas
from pipelines.io import flights, messages
from pipelines.io.flights import DUPLICATE, LATE, PROCESS, SUPERSEDED, FlightBook
from tests.spine.factories import avro_bytes, manifest, person, pnr

PAXLST = (b"UNA:+.? 'UNB+UNOA:4+AIR1+USCSAPIS+261123:0915+1234567++APIS'UNG+PAXLST+AIR1+USCSAPIS+261123:0915+1+UN+D:05B'"
          b"UNH+PAX001+PAXLST:D:05B:UN:IATA+AC1890+01:F'BGM+745'NAD+MS+++DOE JOHN'COM+1 703 555 1212:TE'"
          b"TDT+20+AC1890+++AC'LOC+125+YVR'DTM+189:2611230815:201'LOC+87+MIA'DTM+232:2611231640:201'"
          b"NAD+FL+++TREMBLAY:MARIE CLAIRE'ATT+2++F'DTM+329:840309'LOC+178+YVR'LOC+179+MIA'NAT+2+CAN'"
          b"DOC+P:110:111+AB000001'DTM+36:310501'LOC+91+CAN'CNT+42:1'UNT+17+PAX001'UNE+1+1'UNZ+1+1234567'")


def test_single_object_encoding_round_trips_with_the_crc64_fingerprint():
    record = manifest("M1")
    body = messages.encode_single_object("api_manifest", record)
    assert body[:2] == b"\xc3\x01"
    canonical = fastavro.schema.to_parsing_canonical_form(schemas.load("api_manifest"))
    expected = int(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"), 16).to_bytes(8, "little")
    assert body[2:10] == expected  # the Avro specification's layout, readable by any Avro library
    decoded = messages.decode_message(body, "kafka:api/0@7", "stream-1")
    assert decoded.dead_letters == []
    assert [(d.schema_name, d.source_file, d.record["message_id"]) for d in decoded.records] == [
        ("api_manifest", "kafka:api/0@7", "M1")]
    assert decoded.records[0].record["persons"][0]["surname"] == "TREMBLAY"


def test_an_older_schema_version_is_resolved_to_the_current_one():
    old = fastavro.parse_schema(schemas.raw_schema("api_manifest", 1))
    v1_record = manifest("OLD", schema_version=1)  # fields added in version 2 are not written
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, old, v1_record)
    body = b"\xc3\x01" + messages.fingerprint(old) + buffer.getvalue()
    decoded = messages.decode_message(body, "kafka:api/0@8", "stream-1")
    assert decoded.dead_letters == [] and decoded.records[0].record["message_id"] == "OLD"


def test_an_unknown_fingerprint_is_a_dead_letter_with_a_clear_reason():
    body = b"\xc3\x01" + b"\x01\x02\x03\x04\x05\x06\x07\x08" + b"\x00\x00"
    decoded = messages.decode_message(body, "kafka:api/1@99", "stream-1")
    assert decoded.records == []
    [letter] = decoded.dead_letters
    reason = letter["reasons"][0]
    assert reason["code"] == messages.UNKNOWN_FINGERPRINT
    assert "kafka:api/1@99" in reason["message"] and "0102030405060708" in reason["message"]
    assert letter["raw_bytes"] == body
    # it must fit the dead-letter schema like any other
    fastavro.writer(io.BytesIO(), schemas.load("dead_letter"), [letter])


def test_a_damaged_body_and_a_body_of_nothing_known_are_dead_letters():
    good = messages.encode_single_object("pnr", pnr("Q7XK2M"))
    assert messages.decode_message(good[:14], "kafka:pnr/0@1", "r").dead_letters[0]["reasons"][0]["code"] == "SCHEMA_MISMATCH"
    junk = messages.decode_message(b"hello world", "kafka:api/0@2", "r")
    assert junk.records == [] and "neither Avro single-object" in junk.dead_letters[0]["reasons"][0]["message"]


def test_raw_edifact_is_converted_by_the_project_converter():
    decoded = messages.decode_message(PAXLST, "kafka:edifact/0@3", "stream-1")
    assert decoded.dead_letters == []
    [item] = decoded.records
    assert item.schema_name == "api_manifest" and item.record["flight"]["carrier"] == "AC"
    assert item.record["persons"][0]["surname"] == "TREMBLAY"
    assert messages.is_edifact(b"\xef\xbb\xbf\r\nUNB+UNOA") and not messages.is_edifact(b"Obj\x01")


def test_an_avro_container_file_decodes_like_a_batch_input():
    body = avro_bytes("api_manifest", [manifest("M1"), manifest("M2")])
    decoded = messages.decode_message(body, "landing/a.avro", "r")
    assert [d.record["message_id"] for d in decoded.records] == ["M1", "M2"]
    cut = messages.decode_message(body[:-40], "landing/b.avro", "r")
    assert cut.dead_letters and cut.dead_letters[0]["reasons"][0]["code"] == "TRUNCATED"


# -- the flight book ------------------------------------------------------------------------------

GIVEN = {1: "MARIE CLAIRE", 2: "LUC", 3: "ANNE", 4: "PAUL", 5: "ROSE", 6: "JEAN"}


def _listed(message_id, function="ORIGINAL", persons=(1, 2, 3), prepared="2026-11-22T10:00:00Z"):
    """A list naming persons 1-6 of one family (no unique passenger reference): each message
    numbers its persons from P001, so the same person has another position in another list."""
    return manifest(message_id, persons=[person(i, given_names=GIVEN[n]) for i, n in enumerate(persons, 1)],
                    message_function=function, prepared_utc=prepared)


def _ids(book):
    return sorted(book.persons.values())


def test_a_resend_is_a_duplicate_and_not_processed_twice():
    book = FlightBook("AC1890/2026-11-23")
    assert book.admit("api_manifest", _listed("M1")).outcome == PROCESS
    again = book.admit("api_manifest", _listed("M1"))
    assert (again.outcome, again.process) == (DUPLICATE, False)


def test_a_change_supersedes_the_list_and_withdraws_who_left():
    book = FlightBook("AC1890/2026-11-23")
    book.admit("api_manifest", _listed("M1", persons=(1, 2, 3)))
    change = book.admit("api_manifest", _listed("M2", "CHANGE_PASSENGER", persons=(1, 3, 4), prepared="2026-11-22T12:00:00Z"))
    assert change.outcome == PROCESS and change.process
    assert {(w.traveller_id, w.reason) for w in change.withdrawals} == {
        ("M1/P001", "SUPERSEDED"), ("M1/P002", "REMOVED"), ("M1/P003", "SUPERSEDED")}
    assert _ids(book) == ["M2/P001", "M2/P002", "M2/P003"]  # persons 1, 3 and 4 of the family


def test_an_older_list_arriving_after_a_newer_one_is_superseded_so_order_does_not_matter():
    in_order, reversed_order = FlightBook("F"), FlightBook("F")
    first = _listed("M1", persons=(1, 2))
    second = _listed("M2", "CHANGE_PASSENGER", persons=(1,), prepared="2026-11-22T12:00:00Z")
    in_order.admit("api_manifest", first)
    in_order.admit("api_manifest", second)
    reversed_order.admit("api_manifest", second)
    assert reversed_order.admit("api_manifest", first).outcome == SUPERSEDED
    assert in_order.persons == reversed_order.persons and _ids(in_order) == ["M2/P001"]


def test_cancellations_withdraw_and_a_close_out_closes():
    book = FlightBook("F")
    book.admit("api_manifest", _listed("M1", persons=(1, 2, 3)))
    cancel = book.admit("api_manifest", _listed("X1", "CANCEL_RESERVATION", persons=(2,), prepared="2026-11-22T13:00:00Z"))
    assert (cancel.outcome, cancel.process) == (PROCESS, False)
    assert [(w.traveller_id, w.reason) for w in cancel.withdrawals] == [("M1/P002", "CANCELLED")]
    close = book.admit("api_manifest", _listed("C1", "CLOSE_ON_BOARD", persons=(1, 3), prepared="2026-11-23T08:00:00Z"))
    assert close.closes and close.process and not book.closed  # the passenger list is final, not the flight
    after = book.admit("api_manifest", _listed("M9", "CHANGE_PASSENGER", persons=(1,), prepared="2026-11-23T09:00:00Z"))
    assert (after.outcome, after.process) == (LATE, False) and "close-out" in after.why
    assert book.admit("pnr", pnr("Q7XK2M")).outcome == PROCESS  # PNRs are taken until the flight closes
    flight = FlightBook("G")
    flight.admit("api_manifest", _listed("M1", persons=(1, 2)))
    gone = flight.admit("api_manifest", _listed("XF", "CANCEL_FLIGHT", persons=(), prepared="2026-11-22T11:00:00Z"))
    assert {w.traveller_id for w in gone.withdrawals} == {"M1/P001", "M1/P002"} and flight.closed


def test_late_after_departure_and_state_round_trip():
    book = FlightBook("F")
    late = book.admit("api_manifest", _listed("M1"), late=True)
    assert late.outcome == LATE and "departure + grace" in late.why
    book.admit("pnr", pnr("Q7XK2M"))
    copy = FlightBook.from_state(book.to_state(), "F")
    assert copy.admit("pnr", pnr("Q7XK2M")).outcome == DUPLICATE


def test_flight_keys_and_departures():
    assert flights.flight_key_of("api_manifest", manifest("M1")) == "AC1890/2026-11-23"
    assert flights.flight_key_of("pnr", pnr("Q7XK2M")) == "AC1890/2026-11-23"
    when, exact = flights.scheduled_departure("api_manifest", manifest("M1"))
    assert (when.isoformat(), exact) == ("2026-11-23T16:15:00+00:00", True)
    when, exact = flights.scheduled_departure("pnr", pnr("Q7XK2M"))
    assert (when.isoformat(), exact) == ("2026-11-23T08:15:00+00:00", False)
    assert flights.flight_key_of("api_manifest", manifest("M1", flight={"carrier": None, "number": None, "legs": []})) is None


@pytest.mark.parametrize("name,finished", [("a.avro", True), (".a.avro", False), ("a.avro.tmp", False),
                                           ("a.edi.part", False), ("x/y/b.edi", True)])
def test_unfinished_transfers_are_left_alone(name, finished):
    from pipelines.io.stream_transforms import is_finished
    assert is_finished(name) is finished


def test_a_cancellation_received_before_the_list_it_follows_still_withdraws():
    book = FlightBook("F")
    early = book.admit("api_manifest", _listed("X1", "CANCEL_RESERVATION", persons=(2,), prepared="2026-11-22T13:00:00Z"))
    assert early.withdrawals == ()
    listed = book.admit("api_manifest", _listed("M1", persons=(1, 2, 3)))
    assert listed.process and [(w.traveller_id, w.reason) for w in listed.withdrawals] == [("M1/P002", "CANCELLED")]
    rebooked = book.admit("api_manifest", _listed("M2", "CHANGE_PASSENGER", persons=(1, 2), prepared="2026-11-22T14:00:00Z"))
    assert "M2/P002" in book.persons.values() and ("M2/P002", "CANCELLED") not in {
        (w.traveller_id, w.reason) for w in rebooked.withdrawals}


def test_a_person_is_known_by_name_and_birth_date_not_by_position():
    """Without a unique passenger reference each message numbers its persons from 1: the person
    a cancellation names first is not the first person of the list it cancels from."""
    book = FlightBook("F")
    book.admit("api_manifest", _listed("M1", persons=(1, 2, 3)))
    cancel = book.admit("api_manifest", _listed("X1", "CANCEL_RESERVATION", persons=(3,), prepared="2026-11-22T11:00:00Z"))
    assert [(w.traveller_id, w.reason) for w in cancel.withdrawals] == [("M1/P003", "CANCELLED")]
    referenced = FlightBook("G")  # a carrier's reference names the person, whatever the name says
    referenced.admit("api_manifest", manifest("R1", persons=[person(1, unique_passenger_reference="U9")]))
    renamed = manifest("R2", persons=[person(1, unique_passenger_reference="U9", surname="TREMBLAY-ROY")],
                       prepared_utc="2026-11-22T11:00:00Z", message_function="CHANGE_PASSENGER")
    assert [w.reason for w in referenced.admit("api_manifest", renamed).withdrawals] == ["SUPERSEDED"]
    twins = FlightBook("H")  # namesakes born the same day on one list are two persons
    twins.admit("api_manifest", manifest("T1", persons=[person(1), person(2)]))
    assert _ids(twins) == ["T1/P001", "T1/P002"]


# -- lists sent in parts (UNH +REF+01:C ... +nn:F) ------------------------------------------------

def _part(message_id, number, last, persons, reference="AC1890/261123", function="ORIGINAL",
          prepared="2026-11-22T10:00:00Z"):
    return dict(_listed(message_id, function, persons, prepared),
                list_part={"reference": reference, "number": number, "last": last})


@pytest.mark.parametrize("order", list(__import__("itertools").permutations(range(3))))
def test_the_parts_of_one_list_stand_together_in_any_arrival_order(order):
    parts = [_part("M1", 1, False, (1, 2)), _part("M2", 2, False, (3, 4)), _part("M3", 3, True, (5,))]
    book = FlightBook("F")
    decisions = [book.admit("api_manifest", parts[i]) for i in order]
    assert all(d.outcome == PROCESS and d.process and d.withdrawals == () for d in decisions)
    assert _ids(book) == ["M1/P001", "M1/P002", "M2/P001", "M2/P002", "M3/P001"]
    copy = FlightBook.from_state(book.to_state(), "F")  # a stream's state holds the parts too
    assert copy.persons == book.persons and copy.lists["PASSENGER"].parts == book.lists["PASSENGER"].parts


def test_a_list_sent_again_in_parts_replaces_every_part_of_the_older_one():
    book = FlightBook("F")
    for part in (_part("A1", 1, False, (1, 2)), _part("A2", 2, True, (3, 4))):
        book.admit("api_manifest", part)
    later = "2026-11-22T12:00:00Z"
    first = book.admit("api_manifest", _part("B1", 1, False, (1, 3), prepared=later))
    assert {(w.traveller_id, w.reason) for w in first.withdrawals} == {
        ("A1/P001", "SUPERSEDED"), ("A1/P002", "REMOVED"), ("A2/P001", "SUPERSEDED"), ("A2/P002", "REMOVED")}
    second = book.admit("api_manifest", _part("B2", 2, True, (4,), prepared=later))
    assert second.withdrawals == ()
    assert _ids(book) == ["B1/P001", "B1/P002", "B2/P001"]
    # a part of the older list arriving now belongs to it, not to the new one
    stale = book.admit("api_manifest", _part("A3", 3, True, (6,)))
    assert stale.outcome == SUPERSEDED and "A3/P001" not in book.persons.values()


def test_parts_join_only_their_own_list():
    book = FlightBook("F")
    book.admit("api_manifest", _part("A1", 1, False, (1, 2)))
    other = book.admit("api_manifest", _part("B2", 2, True, (3,), reference="OTHER", prepared="2026-11-22T11:00:00Z"))
    assert {w.traveller_id for w in other.withdrawals} == {"A1/P001", "A1/P002"}  # another reference: a new list
    whole = FlightBook("G")
    whole.admit("api_manifest", _listed("W1", persons=(1, 2)))
    replaced = whole.admit("api_manifest", _part("P2", 2, True, (3,), prepared="2026-11-22T11:00:00Z"))
    assert len(replaced.withdrawals) == 2  # a list sent whole has no parts to join
    change = FlightBook("H")
    change.admit("api_manifest", _part("A1", 1, False, (1,)))
    assert len(change.admit("api_manifest", _part("C2", 2, True, (2,), function="CHANGE_PASSENGER",
                                                   prepared="2026-11-22T11:00:00Z")).withdrawals) == 1
    past = FlightBook("I")
    past.admit("api_manifest", _part("A2", 2, True, (1,)))
    assert len(past.admit("api_manifest", _part("A3", 3, False, (2,), prepared="2026-11-22T11:00:00Z")).withdrawals) == 1


def test_a_close_out_in_parts_is_final_once_all_its_parts_are_in():
    book = FlightBook("F")
    book.admit("api_manifest", _listed("M1", persons=(1, 2, 3)))
    closing = "2026-11-23T08:00:00Z"
    book.admit("api_manifest", _part("C1", 1, False, (1,), function="CLOSE_ON_BOARD", prepared=closing))
    rest = book.admit("api_manifest", _part("C2", 2, True, (2,), function="CLOSE_ON_BOARD", prepared=closing))
    assert rest.outcome == PROCESS and rest.closes
    assert _ids(book) == ["C1/P001", "C2/P001"]
    after = book.admit("api_manifest", _part("L1", 1, True, (3,), prepared="2026-11-23T09:00:00Z"))
    assert after.outcome == LATE


def test_a_batch_run_keeps_every_part_of_a_list():
    parts = [_part("M2", 2, True, (3,)), _part("M1", 1, False, (1, 2))]
    assert flights.withdrawals_of_flight("F", parts) == []


def test_a_kafka_record_becomes_a_timestamped_message_named_by_its_offset():
    from pipelines.io.kafka import KafkaMessage
    from pipelines.io.stream_transforms import _kafka_message

    body = messages.encode_single_object("pnr", pnr("Q7XK2M"))
    stamped = _kafka_message(KafkaMessage("paxshare-pnr", 3, 41, b"AC1890", body, 1795305600123))
    assert stamped.value == ("kafka:paxshare-pnr/3@41", body)
    assert stamped.timestamp.micros == 1795305600123000


def test_replay_plans_resends_changes_and_late_messages_in_time_order(tmp_path):
    import datetime as dt
    import random

    from pipelines import replay
    from pipelines.io.avro_files import DecodedRecord

    records = [DecodedRecord("api_manifest", "a.avro", i, manifest(f"M{i}", persons=[person(1), person(2)]))
               for i in range(40)] + [DecodedRecord("pnr", "p.avro", 0, pnr("Q7XK2M"))]
    plan = replay.plan_messages(records, [], random.Random(3), 0.2, 0.2, 0.1, dt.timedelta(days=2), landing=False)
    labels = [m.label for m in plan]
    assert {"ORIGINAL", "RESEND", "CHANGE", "LATE"} <= set(labels)
    assert [m.due for m in plan] == sorted(m.due for m in plan)
    decoded = [messages.decode_message(m.body, "replay", "r").records[0] for m in plan]
    originals = [d.record for d, m in zip(decoded, plan) if m.label == "ORIGINAL" and d.schema_name == "api_manifest"]
    assert originals[0]["flight"]["legs"][0]["departure_utc"] == "2026-11-25T16:15Z"  # shifted by two days
    changes = [d.record for d, m in zip(decoded, plan) if m.label == "CHANGE"]
    assert all(c["message_function"] == "CHANGE_PASSENGER" and len(c["persons"]) == 1 for c in changes)
    resent = [m.body for m in plan if m.label == "RESEND"]
    assert all(body in {m.body for m in plan if m.label == "ORIGINAL"} for body in resent)
    late = [d.record for d, m in zip(decoded, plan) if m.label == "LATE"]
    assert all(r["flight"]["legs"][0]["departure_utc"].startswith("2026-11-23") for r in late)  # two days before


def test_replay_lands_each_message_whole(tmp_path):
    from pipelines import replay

    writer = replay.LandingWriter(str(tmp_path / "landing"))
    writer(replay.Message("api_manifest", "AC1890/2026-11-23", avro_bytes("api_manifest", [manifest("M1")]), 0.0,
                          "ORIGINAL"))
    [landed] = list((tmp_path / "landing").iterdir())
    assert landed.name.endswith("-AC1890_2026-11-23.avro") and not landed.name.startswith(".")
    assert messages.decode_message(landed.read_bytes(), str(landed), "r").records[0].record["message_id"] == "M1"


def _crew(message_id, function="ORIGINAL", persons=(1, 2), prepared="2026-11-22T09:00:00Z"):
    crew = [dict(person(i), person_id=f"C{i:03d}", surname="CREW", given_names=GIVEN[i]) for i in persons]
    return manifest(message_id, persons=crew, message_function=function, prepared_utc=prepared,
                    message_type="CREW_LIST")


@pytest.mark.parametrize("crew_first", [True, False])
def test_a_crew_list_and_the_passenger_list_of_a_flight_stand_side_by_side(crew_first):
    book = FlightBook("F")
    passengers = _listed("M1", persons=(1, 2, 3), prepared="2026-11-22T10:00:00Z")
    crew = _crew("K1", persons=(1, 2), prepared="2026-11-22T09:00:00Z")  # prepared earlier, as crew lists are
    decisions = [book.admit("api_manifest", m) for m in ((crew, passengers) if crew_first else (passengers, crew))]
    assert all(d.outcome == PROCESS and d.process and not d.withdrawals for d in decisions)
    assert sorted(book.persons.values()) == ["K1/C001", "K1/C002", "M1/P001", "M1/P002", "M1/P003"]
    crew_change = book.admit("api_manifest", _crew("K2", "CHANGE_PASSENGER", persons=(2,), prepared="2026-11-22T11:00:00Z"))
    assert {(w.traveller_id, w.reason) for w in crew_change.withdrawals} == {("K1/C001", "REMOVED"),
                                                                            ("K1/C002", "SUPERSEDED")}
    close = book.admit("api_manifest", _listed("C1", "CLOSE_ON_BOARD", persons=(1, 3), prepared="2026-11-23T08:00:00Z"))
    assert close.process and "K2/C002" in book.persons.values()  # the passengers' close-out leaves the crew alone
    copy = FlightBook.from_state(book.to_state(), "F")
    assert copy.persons == book.persons and copy.admit("api_manifest", _crew("K3", prepared="2026-11-23T09:00:00Z")).process


def test_state_for_a_flight_is_held_from_its_last_departure_and_never_cut_short():
    import datetime as dt

    from pipelines.io.flights import LOCAL_TIME_MARGIN, forget_time, last_departure

    pnr_record = {"flights": [{"departure_local": "2026-11-23T08:15"},                      # outbound
                              {"departure_utc": "2026-11-30T20:00:00Z", "departure_local": "2026-11-30T15:00"}]}
    back = dt.datetime(2026, 11, 30, 20, tzinfo=dt.timezone.utc)
    assert last_departure(pnr_record) == back  # the return flight, exact in UTC
    assert last_departure({"flights": [{"departure_local": "2026-11-23T08:15"}]}) == (
        dt.datetime(2026, 11, 23, 8, 15, tzinfo=dt.timezone.utc) + LOCAL_TIME_MARGIN)
    assert last_departure({"flights": []}) is None
    sent = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc).timestamp()  # 72 h push, days before
    hold = 24 * 3600.0
    first = forget_time(sent, back, hold)
    assert first == back.timestamp() + hold
    # a later element stamped earlier (a flag, an out-of-order message) never pulls the time back
    assert forget_time(sent - 86400, None, hold, first) == first
    assert forget_time(back.timestamp() + 3600, None, hold, first) == back.timestamp() + 3600 + hold
