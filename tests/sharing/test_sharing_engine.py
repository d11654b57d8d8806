"""The engine: scope, sensitive filter, allow-list, treatments, envelope; with property tests."""

from __future__ import annotations

import json

import fastavro
import pytest
from hypothesis import given, settings, strategies as st

from pipelines.sharing import output
from pipelines.sharing.engine import PSEUDONYM_PREFIX, SharingEngine, content_hash
from pipelines.sharing.paths import split_path
from pipelines.sharing.sensitive import DEFAULT_SENSITIVE_SSR_CODES, SensitiveFilter
from sharing_samples import default_arrangements, pnr, secrets_for, traveller

ARRANGEMENTS = default_arrangements()
BY_ID = {a.id: a for a in ARRANGEMENTS}
ENGINE = SharingEngine(ARRANGEMENTS, secrets_for(ARRANGEMENTS))


def _ids(shares):
    return sorted(s.record["arrangement_id"] for s in shares)


def _leaf_paths(value, prefix=""):
    """Every schema path with a value in a payload (arrays as [])."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            if isinstance(item, list) and (not item or isinstance(item[0], dict)):
                for element in item:
                    yield from _leaf_paths(element, path + "[].")
            elif isinstance(item, dict):
                yield from _leaf_paths(item, path + ".")
            else:
                yield path


def _allowed(arrangement, kind, path):
    allowed = arrangement.allowed_paths(kind)
    return any(path == a or path.startswith(a + ".") for a in allowed)


def test_scope_between_transit_other_and_out_of_scope():
    # a US-Canada flight is held by both countries: each shares under its own arrangement
    assert _ids(ENGINE.share_traveller(traveller(route=("JFK", "YYZ")), flagged=True)) == ["CAN-USA", "USA-CAN"]
    us_only = SharingEngine(ARRANGEMENTS, secrets_for(ARRANGEMENTS), provider="USA")
    assert _ids(us_only.share_traveller(traveller(route=("JFK", "YYZ")), flagged=True)) == ["USA-CAN"]
    assert _ids(ENGINE.share_traveller(traveller(route=("JFK", "YYZ")), flagged=False)) == []  # flagged_only
    assert _ids(ENGINE.share_traveller(traveller(route=("LAX", "MEX")))) == ["MEX-USA", "USA-MEX"]
    # in transit through the US on the way to Canada: US-Canada (between) and not Mexico
    assert _ids(ENGINE.share_traveller(traveller(route=("FRA", "ORD", "YYZ")), flagged=True)) == ["CAN-USA", "USA-CAN"]
    # in transit through Canada between Europe and Asia: only the transit clause can apply
    assert _ids(us_only.share_traveller(traveller(route=("FRA", "YVR", "NRT")), flagged=True)) == []
    assert _ids(ENGINE.share_traveller(traveller(route=("FRA", "YVR", "NRT")), flagged=True)) == []  # provider CAN touched, but USA-CAN needs USA
    # other relevant country: Guatemala - Mexico City
    assert _ids(ENGINE.share_traveller(traveller(route=("GUA", "MEX")))) == ["MEX-USA"]
    # domestic and foreign-only itineraries produce nothing
    assert ENGINE.share_traveller(traveller(route=("JFK", "LAX")), flagged=True) == []
    assert ENGINE.share_traveller(traveller(route=("LHR", "CDG")), flagged=True) == []
    # domestic leg travels with an international one
    shares = ENGINE.share_traveller(traveller(route=("ORD", "LAX", "MEX")))
    assert _ids(shares) == ["MEX-USA", "USA-MEX"]
    # crew are not covered by USA-MEX
    assert _ids(ENGINE.share_traveller(traveller(route=("LAX", "MEX"), role="CREW"))) == ["MEX-USA"]


@pytest.mark.parametrize("function", ["CANCEL_RESERVATION", "REDUCTION_IN_PARTY", "CANCEL_FLIGHT"])
def test_a_person_named_by_a_cancellation_is_not_shared_as_a_traveller(function):
    """A cancelled reservation, a reduced party or a cancelled flight names persons who will not
    travel: sharing them as travellers would disclose someone who is not crossing (a stream
    withdraws them from the flight instead, and batch must agree with it)."""
    cancelled = dict(traveller(route=("LAX", "MEX")), message_function=function)
    assert ENGINE.share_traveller(cancelled, flagged=True) == []
    for travelling in ("ORIGINAL", "CHANGE_PASSENGER", "CLOSE_ON_BOARD", None):
        assert _ids(ENGINE.share_traveller(dict(cancelled, message_function=travelling))) == ["MEX-USA", "USA-MEX"]


def test_a_pnr_flagged_after_it_was_shared_goes_only_to_the_flagged_only_arrangements():
    """In a stream a PNR can be shared (unflagged) before the API list that flags a traveller on it;
    when the flag comes, only the flagged_only arrangements still need it."""
    import dataclasses

    everything = [dataclasses.replace(a, sharing_mode="all") if a.id == "CAN-USA" else a for a in ARRANGEMENTS]
    engine = SharingEngine(everything, secrets_for(everything))
    record = pnr(route=("JFK", "YYZ"))
    assert _ids(engine.share_pnr(record)) == ["CAN-USA"]
    assert _ids(engine.share_pnr(record, flagged=True)) == ["CAN-USA", "USA-CAN"]
    assert _ids(engine.share_pnr(record, newly_flagged=True)) == ["USA-CAN"]
    (late,) = engine.share_pnr(record, newly_flagged=True)
    (together,) = [s for s in engine.share_pnr(record, flagged=True) if s.record["arrangement_id"] == "USA-CAN"]
    assert late.record == together.record  # the same record as if the flag had come first


def test_treatments_and_envelope():
    (share,) = [s for s in ENGINE.share_traveller(traveller(route=("LAX", "MEX"))) if s.record["arrangement_id"] == "USA-MEX"]
    record = share.record
    payload = json.loads(record["payload_json"])
    assert payload["person"]["date_of_birth"] == "1980"              # generalised
    assert payload["person"]["documents"][0]["number"].startswith(PSEUDONYM_PREFIX)
    assert "address" not in payload["person"] and "seat" not in payload["person"]
    assert record["treatments"]["person.documents[].number"] == "pseudonym"
    assert "person.date_of_birth" in record["fields_sent"]
    assert record["rules_version"] == "USA-MEX@v1" and record["content_hash"] == content_hash(record)
    assert "NO ONWARD TRANSFER" in record["onward_transfer"]
    assert share.audit["fields_sent"] == record["fields_sent"]
    fastavro.validation.validate(record, output.shared_schema(), raise_errors=True)


def test_mask_keep_last_and_pnr_pseudonym_links_api_within_one_arrangement():
    shares = ENGINE.share_pnr(pnr(route=("JFK", "YYZ")), flagged=True)
    (record,) = [s.record for s in shares if s.record["arrangement_id"] == "USA-CAN"]
    payload = json.loads(record["payload_json"])
    assert payload["contacts"][0]["value"] == "****0123"
    api = json.loads(next(s.record["payload_json"] for s in ENGINE.share_traveller(traveller(route=("JFK", "YYZ")), flagged=True)
                          if s.record["arrangement_id"] == "USA-CAN"))
    assert api["person"]["pnr_locator"] == payload["record_locator"]
    assert "payments" not in payload or all(set(p) <= {"method"} for p in payload["payments"])


def test_sensitive_codes_and_terms_never_leave_even_when_listed():
    record = pnr(route=("JFK", "YYZ"), ssrs=[("MOML", None), ("WCHR", "NEEDS CHAIR"), ("FQTV", "AC123"), ("OTHS", "PAX IS DIABETIC")],
                 remarks=[("OSI", "KOSHER MEAL PLEASE"), ("GENERAL", "VIP CUSTOMER")])
    shares = {s.record["arrangement_id"]: json.loads(s.record["payload_json"]) for s in ENGINE.share_pnr(record, flagged=True)}
    payload = shares["USA-CAN"]  # lists ssrs[].code: sensitive codes go, free text always goes
    assert [s["code"] for s in payload["ssrs"]] == ["FQTV", "OTHS"]
    assert all(s.get("text") is None for s in payload.get("ssrs", [])) and not payload.get("remarks")
    assert "remarks" not in shares["CAN-USA"] and "ssrs" not in shares["CAN-USA"]


def test_pseudonyms_differ_between_arrangements():
    shares = ENGINE.share_traveller(traveller(route=("LAX", "MEX")))
    usa_mex = next(s for s in shares if s.record["arrangement_id"] == "USA-MEX")
    mex_usa = next(s for s in shares if s.record["arrangement_id"] == "MEX-USA")
    assert usa_mex.record["record_id"] != mex_usa.record["record_id"]
    a = json.loads(mex_usa.record["payload_json"])["person"]["unique_passenger_reference"]
    b = json.loads(usa_mex.record["payload_json"])["person"]["documents"][0]["number"]
    assert a.startswith(PSEUDONYM_PREFIX) and b.startswith(PSEUDONYM_PREFIX)
    same_value = SharingEngine(ARRANGEMENTS, secrets_for(ARRANGEMENTS))
    assert json.loads(same_value.share_traveller(traveller(route=("LAX", "MEX")))[1].record["payload_json"]) != \
        json.loads(mex_usa.record["payload_json"])  # a fresh secret gives fresh pseudonyms


def test_deterministic():
    t = traveller(route=("LAX", "MEX"))
    one = [s.record for s in ENGINE.share_traveller(t, run_id="r", shared_at="2026-11-23T00:00:00Z")]
    two = [s.record for s in ENGINE.share_traveller(t, run_id="r", shared_at="2026-11-23T00:00:00Z")]
    assert one == two


# ------------------------------------------------------------------------------------------
# property-based

AIRPORTS = ["JFK", "LAX", "ORD", "YYZ", "YVR", "YUL", "MEX", "CUN", "GDL", "GUA", "SAL", "LHR", "CDG", "FRA", "NRT"]
TEXT = st.text(alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -"), min_size=0, max_size=20)
SENSITIVE_WORDS = ["KOSHER MEAL", "PAX IS DIABETIC", "WHEELCHAIR TO GATE", "SSR MOML", "MUSLIM", "PREGNANT", "HIV+"]
SSR_CODES = sorted(DEFAULT_SENSITIVE_SSR_CODES) + ["FQTV", "DOCS", "CTCE", "OTHS", "SEAT", "CHML"]


@st.composite
def travellers(draw):
    route = draw(st.lists(st.sampled_from(AIRPORTS), min_size=2, max_size=4, unique=True))
    return traveller(tid=f"M/{draw(st.integers(0, 999))}", route=tuple(route),
                     role=draw(st.sampled_from(["PASSENGER", "CREW", "IN_TRANSIT_PASSENGER", "IN_TRANSIT_CREW"])),
                     surname=draw(TEXT), given=draw(TEXT), dob=draw(st.one_of(st.none(), st.just("1975-02-03"), TEXT)),
                     doc_number=draw(TEXT), locator=draw(st.one_of(st.none(), TEXT)),
                     in_transit=draw(st.booleans()))


@st.composite
def pnrs(draw):
    route = draw(st.lists(st.sampled_from(AIRPORTS), min_size=2, max_size=4, unique=True))
    free = st.one_of(TEXT, st.sampled_from(SENSITIVE_WORDS), st.builds(lambda a, b: f"{a} {b}", TEXT, st.sampled_from(SENSITIVE_WORDS)))
    ssrs = draw(st.lists(st.tuples(st.sampled_from(SSR_CODES), st.one_of(st.none(), free)), max_size=5))
    remarks = draw(st.lists(st.tuples(st.sampled_from(["OSI", "GENERAL", "OTHER"]), free), max_size=4))
    history = draw(st.lists(free, max_size=3))
    return pnr(locator=draw(TEXT), route=tuple(route), ssrs=ssrs, remarks=remarks, history=history)


def _check_output(kind, shares):
    for share in shares:
        record = share.record
        arrangement = BY_ID[record["arrangement_id"]]
        payload = json.loads(record["payload_json"])
        for path in _leaf_paths(payload):
            assert _allowed(arrangement, kind, path), f"{path} left under {arrangement.id}"
        for path in record["fields_sent"]:
            assert path in arrangement.allowed_paths(kind)
        sensitive = SensitiveFilter(arrangement.extra_ssr_codes)
        for ssr in payload.get("ssrs") or ():
            assert ssr.get("code") not in sensitive.codes
            assert ssr.get("text") is None  # free text never leaves
        assert not payload.get("remarks") and not payload.get("history")
        assert record["content_hash"] == content_hash(record)


@settings(max_examples=60, deadline=None)
@given(travellers(), st.booleans())
def test_property_api_output_within_allow_list(record, flagged):
    shares = ENGINE.share_traveller(record, flagged=flagged)
    _check_output("API", shares)
    countries = {c for c in (s.record["provider"] for s in shares)}
    if len({a for a in record["legs"] for a in (a["departure_airport"], a["arrival_airport"])}) and not shares:
        return
    for share in shares:  # every shared record is in scope: it touches its provider's country
        assert share.record["scope_reason"]
    assert countries <= {"USA", "CAN", "MEX"}


@settings(max_examples=60, deadline=None)
@given(pnrs(), st.booleans())
def test_property_pnr_output_has_no_sensitive_data_and_nothing_unlisted(record, flagged):
    _check_output("PNR", ENGINE.share_pnr(record, flagged=flagged))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["LHR", "CDG", "FRA", "NRT"]), min_size=2, max_size=4, unique=True), st.booleans())
def test_property_out_of_scope_flights_produce_nothing(route, flagged):
    assert ENGINE.share_traveller(traveller(route=tuple(route)), flagged=flagged) == []
    assert ENGINE.share_pnr(pnr(route=tuple(route)), flagged=flagged) == []


@settings(max_examples=40, deadline=None)
@given(TEXT.filter(lambda s: s.strip()))
def test_property_pseudonyms_differ_between_arrangements(value):
    shares = ENGINE.share_traveller(traveller(route=("LAX", "MEX"), doc_number=value))
    by_id = {s.record["arrangement_id"]: json.loads(s.record["payload_json"]) for s in shares}
    pseudonym = by_id["USA-MEX"]["person"]["documents"][0]["number"]
    assert pseudonym.startswith(PSEUDONYM_PREFIX) and len(pseudonym) == len(PSEUDONYM_PREFIX) + 32
    other = SharingEngine([BY_ID["USA-MEX"]], {"USA-MEX": b"k" * 32})
    again = json.loads(other.share_traveller(traveller(route=("LAX", "MEX"), doc_number=value))[0].record["payload_json"])
    assert again["person"]["documents"][0]["number"] != pseudonym


def test_avro_container_from_pre_encoded_records_round_trips():
    arrangements = default_arrangements()
    engine = SharingEngine(arrangements, secrets_for(arrangements))
    records = [s.record for i in range(2500)
               for s in engine.share_traveller(traveller(f"M{i}/1", ("LAX", "MEX"), surname=f"S{i}"), True)]
    assert len(records) > output.BLOCK_RECORDS  # more than one block
    encoder = output.RecordEncoder()
    blob = output.container([encoder(r) for r in records])
    assert output.decode(blob) == records
    assert output.encode(records) == blob and output.decode(output.encode([])) == []
    shards = {output.shard_of(r["record_id"], 4) for r in records}
    assert shards == {0, 1, 2, 3} and output.shard_of(records[0]["record_id"], 1) == 0


@settings(max_examples=80, deadline=None)
@given(travellers(), pnrs())
def test_property_a_record_no_arrangement_may_share_is_never_shared(record, booking):
    # may_share lets a pipeline skip waiting for flags: it must be False only when no flag
    # state gives a share, and True whenever one does
    for kind, item in (("API", record), ("PNR", booking)):
        shared = any(ENGINE.share(kind, item, flagged=flagged) for flagged in (False, True))
        assert ENGINE.may_share(kind, item) == shared
    assert not ENGINE.may_share("API", dict(record, message_function="CANCEL_RESERVATION"))
