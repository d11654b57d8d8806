"""The streaming pipeline under TestStream on the DirectRunner: out-of-order, duplicate, late,
change, cancel and close-out messages; the close timer and the watermark; stable ids, so the
outcome is the same whatever the arrival order; and batch == streaming on the same input."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.utils.timestamp import Timestamp

from pipelines import crypto
from pipelines.cli import main as paxshare
from pipelines.flags.reader import read_flags
from pipelines.io.messages import encode_single_object
from pipelines.report import latest_panes
from pipelines.sharing import output as shared_output
from pipelines.stream import build_stream_pipeline
from tests.spine.factories import avro_bytes, manifest, person, pnr

WATCHLIST = ("entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,"
             "document_issuer,category,list_owner,receivers\n"
             "E1,Karimov,Rustam,,,1971-03-14,M,UZB,,,TERRORISM,USA,USA|CAN|MEX\n"
             "E2,Okafor,Chidi,,,1980-06-01,M,NGA,,,LOOKOUT,CAN,USA|CAN\n")

# departure 2026-11-23T16:15Z; messages arrive the day before
T0 = Timestamp.of(1795305600)  # 2026-11-22T00:00:00Z
DEPARTURE = Timestamp.of(1795450500)  # 2026-11-23T16:15:00Z


def _persons(*which):
    table = {
        1: person(1, surname="TREMBLAY", given_names="MARIE CLAIRE", unique_passenger_reference="U1"),
        2: person(2, surname="KARIMOV", given_names="RUSTAM", date_of_birth="1971-03-14", sex="M",
                  nationality="UZB", unique_passenger_reference="U2"),
        3: person(3, surname="OKAFOR", given_names="CHIDI", date_of_birth="1980-06-01", sex="M",
                  nationality="NGA", unique_passenger_reference="U3"),
        4: person(4, surname="LAVOIE", given_names="JEAN", date_of_birth="1975-01-01", sex="M",
                  unique_passenger_reference="U4"),
    }
    return [table[i] for i in which]


def _list(message_id, function, persons, prepared):
    return manifest(message_id, persons=_persons(*persons), message_function=function, prepared_utc=prepared)


ORIGINAL = _list("AC-1", "ORIGINAL", (1, 2, 3), "2026-11-22T01:00:00Z")
CHANGE = _list("AC-2", "CHANGE_PASSENGER", (1, 2, 3, 4), "2026-11-22T02:00:00Z")
CANCEL = _list("AC-3", "CANCEL_RESERVATION", (3,), "2026-11-22T03:00:00Z")
CLOSE = _list("AC-4", "CLOSE_ON_BOARD", (1, 2, 4), "2026-11-23T16:00:00Z")
AFTER_CLOSE = _list("AC-5", "CHANGE_PASSENGER", (1, 4), "2026-11-23T16:05:00Z")


def _message(record, schema="api_manifest"):
    return encode_single_object(schema, record)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("stream")
    keys = base / "keys"
    assert paxshare(["keys", "demo", "--dir", str(keys)]) == 0
    assert paxshare(["rules", "check", "--init-keys", str(keys)]) == 0
    watchlist = base / "watch.csv"
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    return keys, watchlist


def _options(out: Path, keys: Path, watchlist: Path, *extra) -> PipelineOptions:
    options = PipelineOptions(["--runner=DirectRunner", "--streaming", f"--output={out}", "--run_id=s1",
                               f"--watchlists={watchlist}", f"--keys={keys}", "--rules=rules", "--quiet",
                               "--window_seconds=3600", "--close_grace_minutes=30", "--retention_hours=24",
                               # gathering for validation is released by processing time, which a
                               # TestStream does not advance on the DirectRunner (tested live on Prism)
                               "--batch_seconds=0", *extra])
    options.view_as(StandardOptions).streaming = True
    return options


def _run(events: TestStream, out: Path, keys: Path, watchlist: Path) -> None:
    options = _options(out, keys, watchlist)
    with beam.Pipeline(options=options) as pipeline:
        build_stream_pipeline(pipeline, options, messages=pipeline | events)


def _flags(out: Path, keys: Path) -> list[dict]:
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    return [flag for path in sorted(glob.glob(str(out / "flags" / "*" / "*.sealed")))
            for flag in read_flags(path, keyring, trusted)]


def _lines(out: Path, folder: str) -> list[dict]:
    return [json.loads(line) for path in glob.glob(str(out / folder / "*")) for line in open(path)]


def _snapshots(out: Path) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in sorted(glob.glob(str(out / "report" / "window-*.json")))]


def _last_panes(out: Path) -> dict[str, dict]:
    return latest_panes(_snapshots(out))


def _standing(flags: list[dict], withdrawn: list[dict]) -> set[tuple[str, str, str]]:
    gone = {w["traveller_id"] for w in withdrawn}
    return {(f["flag_id"], f["traveller_id"], f["unit_id"]) for f in flags if f["traveller_id"] not in gone}


def _standing_by_flags(flags: list[dict]) -> set[tuple[str, str, str]]:
    """The flags a unit holds as standing: those never sent again marked withdrawn."""
    gone = {f["flag_id"] for f in flags if f["withdrawn"]}
    return {(f["flag_id"], f["traveller_id"], f["unit_id"]) for f in flags if f["flag_id"] not in gone}


def _events(order):
    stream = TestStream().advance_watermark_to(T0)
    for offset, body in order:
        stream = stream.add_elements([beam.window.TimestampedValue((f"kafka:api/0@{offset}", body), T0 + offset)])
    return stream


def test_lifecycle_of_a_flight(setup, tmp_path):
    keys, watchlist = setup
    out = tmp_path / "out"
    events = (TestStream()
              .advance_watermark_to(T0)
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@1", _message(ORIGINAL)), T0 + 60)])
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@2", _message(ORIGINAL)), T0 + 70)])  # resend
              .add_elements([beam.window.TimestampedValue(("kafka:pnr/0@1", _message(pnr("Q7XK2M"), "pnr")), T0 + 80)])
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@3", _message(CHANGE)), T0 + 7200)])
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@4", _message(CANCEL)), T0 + 10800)])
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@9", b"\xc3\x01" + b"\x00" * 8 + b"\x02"),
                                                         T0 + 10900)])  # unknown fingerprint
              .advance_watermark_to(DEPARTURE - 60)
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@5", _message(CLOSE)), DEPARTURE - 600)])
              # the close timer fires at departure + 30 min; this one arrives after it: late
              .advance_watermark_to(DEPARTURE + 3600)
              .add_elements([beam.window.TimestampedValue(("kafka:api/0@6", _message(AFTER_CLOSE)), DEPARTURE + 3700)])
              .advance_watermark_to_infinity())
    _run(events, out, keys, watchlist)

    flags, withdrawn = _flags(out, keys), _lines(out, "withdrawn")
    # KARIMOV (terrorism list, USA) was flagged from each list he was on: AC-1, AC-2, AC-4
    assert {f["traveller_id"] for f in flags if f["entry_id"] == "E1"} == {"AC-1/P002", "AC-2/P002", "AC-4/P002"}
    # OKAFOR was cancelled by AC-3: his AC-2 record is withdrawn, and the close-out does not list him
    assert {"traveller_id": "AC-2/P003", "reason": "CANCELLED"}.items() <= next(
        w for w in withdrawn if w["traveller_id"] == "AC-2/P003").items()
    # after the close-out only its own persons stand; the units were told so (flags withdrawn)
    standing = _standing(flags, withdrawn)
    assert {t for _, t, _ in standing} == {"AC-4/P002"}
    assert _standing_by_flags(flags) == standing
    marked = {(f["traveller_id"], f["withdrawn"]["reason"], f["withdrawn"]["by_message_id"]) for f in flags if f["withdrawn"]}
    assert {("AC-1/P002", "SUPERSEDED", "AC-2"), ("AC-2/P003", "CANCELLED", "AC-3")} <= marked
    reasons = {(w["traveller_id"], w["reason"]) for w in withdrawn}
    assert ("AC-1/P001", "SUPERSEDED") in reasons and ("AC-2/P004", "SUPERSEDED") in reasons
    # the late change is labelled and kept, not processed
    late = glob.glob(str(out / "late" / "*.avro"))
    import fastavro
    late_records = [r for p in late for r in fastavro.reader(open(p, "rb"))]
    assert [(r["kind"], r["record_key"], r["reasons"][0]["code"]) for r in late_records] == [
        ("LATE_API_MANIFEST", "AC-5", "LATE")]
    # the unknown fingerprint is a dead letter
    letters = [r for p in glob.glob(str(out / "dead_letter" / "*.avro")) for r in fastavro.reader(open(p, "rb"))]
    assert any(r["reasons"][0]["code"] == "UNKNOWN_FINGERPRINT" for r in letters)

    totals: dict[str, int] = {}
    for snap in _last_panes(out).values():
        assert snap["reconciled"], snap["checks"]
        for key, value in snap["intake"].items():
            totals[key] = totals.get(key, 0) + value
    assert totals["messages_in"] == 7 and totals["messages_duplicate"] == 1 and totals["messages_late"] == 1
    assert totals["flights_closed_by_message"] == 1 and totals["messages_withdrawing_only"] == 1
    # partner files per window open with the partner's key
    keyring = crypto.load_private_keys(keys)
    opened = [r for p in glob.glob(str(out / "partners" / "*" / "*.sealed"))
              for r in shared_output.open_records(Path(p).read_bytes(), keyring, Path(p).parent.name,
                                                  str(Path(p).relative_to(out)), crypto.load_verify_keys(keys))]
    assert opened and all(".w2026" in r["run_id"] or r["run_id"] == "s1" for r in opened)
    # OKAFOR's AC-2 record went to CAN (flagged); the cancellation sent CAN a notice for it
    notices = [json.loads(r["payload_json"]) for r in opened if r["data_kind"] == "WITHDRAWAL"]
    assert {"CANCELLED", "SUPERSEDED"} <= {n["reason"] for n in notices}
    ids = {r["record_id"] for r in opened if r["data_kind"] == "API"}
    assert all(n["withdrawn_record_id"] in ids for n in notices)
    assert len({n["withdrawn_record_id"] for n in notices}) == len(notices)  # each record withdrawn once
    assert paxshare(["audit", "verify", str(out / "audit")]) == 0


def test_close_timer_makes_a_message_after_departure_late_even_without_a_close_out(setup, tmp_path):
    keys, watchlist = setup
    out = tmp_path / "out"
    events = (TestStream().advance_watermark_to(T0)
              .add_elements([beam.window.TimestampedValue(("a", _message(ORIGINAL)), T0 + 60)])
              .advance_watermark_to(DEPARTURE + 1801)  # past departure + 30 min: the timer closes the flight
              .add_elements([beam.window.TimestampedValue(("b", _message(CHANGE)), DEPARTURE + 1700)])
              .advance_watermark_to(DEPARTURE + 1800 + 24 * 3600 + 60)  # retention (24 h) over: state cleared
              .add_elements([beam.window.TimestampedValue(("c", _message(CLOSE)), DEPARTURE + 1800 + 24 * 3600 + 70)])
              .advance_watermark_to_infinity())
    _run(events, out, keys, watchlist)
    totals = {}
    for snap in _last_panes(out).values():
        assert snap["reconciled"], snap["checks"]
        for key, value in snap["intake"].items():
            totals[key] = totals.get(key, 0) + value
    # the change's own timestamp is before the close time, but the timer already closed the flight
    assert totals["flights_closed_by_timer"] == 1
    assert totals["flight_states_cleared"] == 1
    # after the state is cleared, a message for the flight is still late (judged by its departure),
    # not taken for a new flight
    assert totals["messages_late"] == 2 and totals["messages_in"] == 3


def test_arrival_order_does_not_change_what_stands(setup, tmp_path):
    keys, watchlist = setup
    messages = [(1, _message(ORIGINAL)), (2, _message(CHANGE)), (3, _message(CANCEL))]
    outcomes = []
    for name, order in (("forward", messages), ("reverse", list(reversed(messages))),
                        ("resent", [messages[1], messages[0], messages[1], messages[2], messages[0]])):
        out = tmp_path / name
        _run(_events(order).advance_watermark_to_infinity(), out, keys, watchlist)
        flags = _flags(out, keys)
        outcomes.append(_standing(flags, _lines(out, "withdrawn")))
        assert _standing_by_flags(flags) == outcomes[-1], name  # what the units hold as standing
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert {t for _, t, _ in outcomes[0]} == {"AC-2/P002"}  # KARIMOV on the current list; OKAFOR cancelled


# the PNR in the same window as the API lists, hours before them, 30 h before them (airlines push
# PNRs from 72 h before departure, the API list at check-in: longer than the 24.5 h the test's
# stream holds state from an event's own time), and after them
@pytest.mark.parametrize("pnr_offset", [5, -3 * 3600, -30 * 3600, 3 * 3600],
                         ids=["same-window", "pnr-first", "pnr-a-day-before", "pnr-last"])
def test_batch_and_streaming_give_the_same_flags_and_partner_records(setup, tmp_path, pnr_offset):
    keys, watchlist = setup
    # a list, a change that leaves LAVOIE out, a cancellation of OKAFOR's reservation
    records = [_list("M0", "ORIGINAL", (1, 2, 3, 4), "2026-11-22T01:00:00Z"),
               _list("M1", "CHANGE_PASSENGER", (1, 2, 3), "2026-11-22T02:00:00Z"),
               _list("M2", "CANCEL_RESERVATION", (3,), "2026-11-22T03:00:00Z")]
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "api.avro").write_bytes(avro_bytes("api_manifest", records))
    (inputs / "pnr.avro").write_bytes(avro_bytes("pnr", [pnr("Q7XK2M")]))
    batch_out, stream_out = tmp_path / "batch", tmp_path / "stream"
    assert paxshare(["run", str(inputs), "--output", str(batch_out), "--watchlists", str(watchlist),
                     "--keys", str(keys), "--rules", "rules", "--run-id", "s1", "--quiet"]) == 0
    arrivals = [(T0 + i, (f"m{i}", _message(record))) for i, record in enumerate(records)]
    arrivals.append((T0 + pnr_offset, ("p", _message(pnr("Q7XK2M"), "pnr"))))
    watermark = min(at for at, _ in arrivals) - 3600
    events = TestStream().advance_watermark_to(watermark)
    for at, element in sorted(arrivals, key=lambda a: a[0]):
        if at - 60 > watermark:  # time passes between arrivals: held state's timers can fire
            watermark = at - 60
            events = events.advance_watermark_to(watermark)
        events = events.add_elements([beam.window.TimestampedValue(element, at)])
    _run(events.advance_watermark_to_infinity(), stream_out, keys, watchlist)

    def flag_view(out):
        return sorted((f["flag_id"], f["traveller_id"], f["unit_id"], f["entry_id"], f["score"],
                       json.dumps(f["withdrawn"], sort_keys=True)) for f in _flags(out, keys))

    def shared_view(out):
        keyring = crypto.load_private_keys(keys)
        rows = []
        for p in glob.glob(str(out / "partners" / "*" / "*.sealed")):
            for r in shared_output.open_records(Path(p).read_bytes(), keyring, Path(p).parent.name,
                                                str(Path(p).relative_to(out)), crypto.load_verify_keys(keys)):
                rows.append((r["record_id"], r["arrangement_id"], r["recipient"], r["data_kind"], r["payload_json"]))
        return sorted(rows)

    flags, shared = flag_view(batch_out), shared_view(batch_out)
    assert flags and flags == flag_view(stream_out)
    assert shared and shared == shared_view(stream_out)
    # OKAFOR (CAN lookout) was flagged on M0 and M1: both flags are sent again, withdrawn; the
    # cancellation itself is neither screened nor shared
    withdrawn = {(t, json.loads(w)["reason"]) for _, t, _, _, _, w in flags if w != "null"}
    assert ("M1/P003", "CANCELLED") in withdrawn and ("M0/P003", "SUPERSEDED") in withdrawn
    assert not any(t.startswith("M2/") for _, t, *_ in flags)
    # every partner record of a withdrawn traveller has its notice, with the reason, and nothing else
    notices = [json.loads(payload) for _, _, _, kind, payload in shared if kind == "WITHDRAWAL"]
    # (LAVOIE, REMOVED by the change, was never flagged, so never shared under these flagged_only
    # arrangements: no notice for him)
    assert {n["reason"] for n in notices} == {"SUPERSEDED", "CANCELLED"}
    ids = {record_id for record_id, _, _, kind, _ in shared if kind == "API"}
    assert all(set(n) == {"withdrawn_record_id", "reason"} and n["withdrawn_record_id"] in ids for n in notices)
    assert paxshare(["audit", "verify", str(stream_out / "audit"), "--keys", str(keys)]) == 0


def test_an_arrangement_with_push_times_is_shared_at_them_the_others_per_window(setup, tmp_path):
    """USA-CAN pushes at 12:00 UTC: its records wait for the window holding 12:00; CAN-USA's go
    out with their own window, as soon as it closes."""
    import shutil

    keys, watchlist = setup
    rules = tmp_path / "rules"
    shutil.copytree("rules", rules)
    text = (rules / "usa-can.yaml").read_text()
    (rules / "usa-can.yaml").write_text(text.replace("sharing_mode: flagged_only",
                                                     'sharing_mode: flagged_only\ncadence:\n  push_at: ["12:00"]', 1))
    out = tmp_path / "out"
    options = _options(out, keys, watchlist, f"--rules={rules}")
    events = (TestStream().advance_watermark_to(T0)
              .add_elements([beam.window.TimestampedValue(("a", _message(ORIGINAL)), T0 + 60)])
              .advance_watermark_to(T0 + 3 * 3600)  # the first window (00:00-01:00) has closed
              .add_elements([beam.window.TimestampedValue(("b", _message(CANCEL)), T0 + 3 * 3600 + 60)])
              .advance_watermark_to(T0 + 12 * 3600 + 1800)  # past the push time, in its window
              .advance_watermark_to_infinity())
    with beam.Pipeline(options=options) as pipeline:
        build_stream_pipeline(pipeline, options, messages=pipeline | events)

    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    files = {}
    for p in glob.glob(str(out / "partners" / "*" / "*.sealed")):
        manifest, opened = shared_output.open_partner_file(Path(p).read_bytes(), keyring, trusted, Path(p).parent.name,
                                                           str(Path(p).relative_to(out)))
        for r in opened:
            files.setdefault((r["arrangement_id"], r["data_kind"]), set()).add((manifest["run_id"], r["shared_at_utc"]))
    # CAN-USA: the window of the list (00:00) and of the cancellation's notice (03:00)
    assert files[("CAN-USA", "API")] == {("s1.w20261122T000000Z", "2026-11-22T01:00:00Z")}
    assert files[("CAN-USA", "WITHDRAWAL")] == {("s1.w20261122T030000Z", "2026-11-22T04:00:00Z")}
    # USA-CAN: the record and the notice (made in their own windows) both wait for 12:00, and go
    # out in the files and audit segment of the window holding it
    assert files[("USA-CAN", "API")] == {("s1.w20261122T120000Z", "2026-11-22T01:00:00Z")}
    assert files[("USA-CAN", "WITHDRAWAL")] == {("s1.w20261122T120000Z", "2026-11-22T04:00:00Z")}
    assert paxshare(["audit", "verify", str(out / "audit"), "--keys", str(keys)]) == 0
