"""The generated files: they decode, follow the conventions, and the truth file is exact."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import airportsdata
import fastavro

from pipelines import schemas
from pipelines import reasons
from tests.generate import checker
from tests.generate.conftest import SMALL


def test_files_decode_with_the_project_schemas(small_set):
    root = small_set.root
    api_files = sorted((root / "api").glob("api-*.avro"))
    pnr_files = sorted((root / "pnr").glob("pnr-*.avro"))
    assert [p.name for p in api_files] == ["api-00000.avro", "api-00001.avro", "api-00002.avro"]
    assert [p.name for p in pnr_files] == ["pnr-00000.avro", "pnr-00001.avro", "pnr-00002.avro"]
    for path, name in [(p, "api_manifest") for p in api_files] + [(p, "pnr") for p in pnr_files]:
        with open(path, "rb") as handle:
            reader = fastavro.reader(handle, reader_schema=schemas.load(name))
            assert reader.metadata[schemas.META_SCHEMA_NAME] == name
            assert reader.metadata["avro.codec"] == "deflate"
            assert schemas.schema_name_of(reader.writer_schema) == name
            assert sum(1 for _ in reader) > 0


def test_counts_match_the_summary_and_the_request(small_set):
    persons = list(small_set.persons())
    assert len(persons) == SMALL["travellers"] == small_set.summary["persons"]
    assert len(small_set.manifests) == small_set.summary["manifests"]
    assert len(small_set.pnrs) == small_set.summary["pnrs"]
    per_file = Counter(file for file, _, _ in persons)
    assert sorted(per_file.values()) == [1000, 1500, 1500]
    summary = (small_set.root / "truth" / "summary.json").read_text()
    assert '"persons": 4000' in summary
    assert small_set.summary["planted_invalid"]["total"] == len(small_set.truth)


def test_ids_are_unique(small_set):
    assert len(small_set.manifests) == len({m for m in small_set.manifests})
    for _, manifest in small_set.manifests.values():
        ids = [p["person_id"] for p in manifest["persons"]]
        assert len(ids) == len(set(ids)), manifest["message_id"]
        assert manifest["flight"]["legs"]
        assert manifest["persons"]
    locators = [p["record_locator"] for _, p in small_set.pnrs if p["record_locator"]]
    assert len(locators) == len(set(locators))
    pnr_ids = [p["message_id"] for _, p in small_set.pnrs]
    assert len(pnr_ids) == len(set(pnr_ids))


def _truth_index(small_set):
    index = {}
    for row in small_set.truth:
        assert row["kind"] in ("API_PERSON", "API_MANIFEST", "PNR")
        assert row["code"] in reasons.ALL_CODES
        key = (row["kind"], row["file"], row["record_key"])
        assert key not in index, f"two defects planted on {key}"
        index[key] = (row["code"], row["field"])
    return index


def test_every_record_has_exactly_its_planted_defect_and_valid_ones_none(small_set):
    index = _truth_index(small_set)
    seen = set()
    for message_id, (file, manifest) in small_set.manifests.items():
        expected = index.get(("API_MANIFEST", file, message_id))
        found = checker.manifest_defects(manifest)
        assert found == ({expected} if expected else set()), (message_id, found, expected)
        if expected:
            seen.add(("API_MANIFEST", file, message_id))
        departure = checker.departure_date(manifest)
        for person in manifest["persons"]:
            key = ("API_PERSON", file, f"{message_id}/{person['person_id']}")
            expected = index.get(key)
            found = checker.person_defects(person, departure)
            assert found == ({expected} if expected else set()), (key, found, expected, person)
            if expected:
                assert not manifest_defects_planted(index, file, message_id), "person defect in an invalid manifest"
                seen.add(key)
    for file, pnr in small_set.pnrs:
        key_value = pnr["record_locator"] or pnr["message_id"]
        expected = index.get(("PNR", file, key_value))
        found = checker.pnr_defects(pnr)
        assert found == ({expected} if expected else set()), (key_value, found, expected)
        if expected:
            seen.add(("PNR", file, key_value))
    assert seen == set(index), "truth rows that point to no record"


def manifest_defects_planted(index, file, message_id) -> bool:
    return ("API_MANIFEST", file, message_id) in index


def test_every_kind_of_defect_is_planted(small_set):
    planted = {(row["kind"], row["code"], re.sub(r"\[\d+\]", "[i]", row["field"])) for row in small_set.truth}
    expected_person = {
        ("INVALID_DATE", "date_of_birth"), ("DATE_IN_FUTURE", "date_of_birth"), ("IMPLAUSIBLY_OLD", "date_of_birth"),
        ("UNKNOWN_COUNTRY", "nationality"), ("UNKNOWN_COUNTRY", "residence_country"),
        ("UNKNOWN_COUNTRY", "documents[i].issuing_state"), ("DOCUMENT_EXPIRED", "documents[i].expiry_date"),
        ("MISSING", "surname"), ("MISSING", "date_of_birth"), ("MISSING", "sex"), ("MISSING", "nationality"),
        ("MISSING", "documents"), ("MISSING", "documents[i].number"), ("MISSING", "documents[i].issuing_state"),
        ("MISSING", "documents[i].expiry_date"), ("MISSING", "documents[i].type"),
        ("CHECK_DIGIT", "documents[i].mrz_line"), ("BAD_FORMAT", "sex"), ("BAD_FORMAT", "documents[i].type"),
    }
    assert expected_person <= {(c, f) for k, c, f in planted if k == "API_PERSON"}
    manifest = {(c, f) for k, c, f in planted if k == "API_MANIFEST"}
    assert ("COUNT_MISMATCH", "declared_passenger_count") in manifest
    assert {("BAD_FORMAT", "flight.number"), ("BAD_FORMAT", "flight.carrier"),
            ("BAD_FORMAT", "flight.legs[i].departure_airport")} & manifest
    assert {c for k, c, f in planted if k == "PNR"} >= {"MISSING"}


def test_invalid_share_follows_the_rate(small_set):
    persons = sum(1 for row in small_set.truth if row["kind"] == "API_PERSON")
    rate = persons / SMALL["travellers"]
    assert 0.5 * SMALL["invalid_rate"] < rate < 1.5 * SMALL["invalid_rate"]


def test_leg_times_agree_between_local_and_utc(small_set):
    airports = airportsdata.load("IATA")
    checked = 0
    for _, manifest in small_set.manifests.values():
        for leg in manifest["flight"]["legs"]:
            for side in ("departure", "arrival"):
                code = leg[f"{side}_airport"]
                if code not in airports:
                    continue  # a planted bad airport code
                utc = datetime.strptime(leg[f"{side}_utc"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=timezone.utc)
                local = utc.astimezone(ZoneInfo(airports[code]["tz"]))
                assert local.strftime("%Y-%m-%dT%H:%M") == leg[f"{side}_local"]
                checked += 1
            assert leg["arrival_utc"] > leg["departure_utc"]
        legs = manifest["flight"]["legs"]
        for a, b in zip(legs, legs[1:]):
            assert a["arrival_airport"] == b["departure_airport"]
            assert a["arrival_utc"] < b["departure_utc"]
    assert checked > 100


def test_departures_follow_the_reference_date(small_set):
    days = {manifest["flight"]["legs"][0]["departure_local"][:10] for _, manifest in small_set.manifests.values()}
    assert min(days) >= "2026-11-23" and max(days) <= "2026-11-29"


def test_flights_touch_a_partner_country_and_look_real(small_set):
    airports = airportsdata.load("IATA")
    carriers = Counter()
    countries = Counter()
    for _, manifest in small_set.manifests.values():
        flight = manifest["flight"]
        codes = [flight["legs"][0]["departure_airport"]] + [leg["arrival_airport"] for leg in flight["legs"]]
        if not all(c in airports for c in codes):
            continue
        touched = {airports[c]["country"] for c in codes}
        assert touched & {"US", "CA", "MX"}, codes
        carriers[flight["carrier"]] += 1
        countries.update(touched)
    assert len(carriers) >= 20
    assert {"US", "CA", "MX"} <= set(countries)
    assert len(countries) >= 15  # third countries too


def test_multi_leg_and_in_transit_are_present(small_set):
    manifests = [m for _, m in small_set.manifests.values()]
    assert any(len(m["flight"]["legs"]) > 1 for m in manifests)
    transit = [m for m in manifests if m["flight"]["in_transit"]]
    assert transit
    roles = Counter(p["role"] for m in manifests for p in m["persons"])
    assert roles["IN_TRANSIT_PASSENGER"] > 0 and roles["PASSENGER"] > 0 and roles["CREW"] > 0
    assert all(len(m["flight"]["legs"]) > 1 for m in transit)
    for m in manifests:
        for p in m["persons"]:
            if p["role"] == "IN_TRANSIT_PASSENGER":
                assert m["flight"]["in_transit"]


def test_message_types_and_functions(small_set):
    types = Counter(m["message_type"] for _, m in small_set.manifests.values())
    functions = Counter(m["message_function"] for _, m in small_set.manifests.values())
    assert types["PASSENGER_LIST"] and types["CREW_LIST"]
    assert functions["ORIGINAL"] and functions["CHANGE_PASSENGER"]
    assert functions["FLIGHT_CLOSE"] + functions["CLOSE_ON_BOARD"] + functions["CLOSE_NOT_ON_BOARD"] > 0
    for _, m in small_set.manifests.values():
        crew = sum(1 for p in m["persons"] if p["role"].endswith("CREW"))
        if m["message_type"] == "CREW_LIST":
            assert crew == len(m["persons"])
        else:
            assert crew == 0


def test_documents_and_person_details(small_set):
    persons = [p for _, _, p in small_set.persons()]
    types = Counter(d["type"] for p in persons for d in p["documents"])
    assert types["P"] > 0.8 * len(persons)
    assert types["V"] and types["I"] + types["IP"] + types["C"] > 0
    with_mrz = [p for p in persons if p["documents"] and p["documents"][0]["mrz_line"]]
    assert len(with_mrz) > 0.1 * len(persons)
    assert all(len(p["documents"][0]["mrz_line"]) == 44 for p in with_mrz)
    passengers = [p for p in persons if not p["role"].endswith("CREW")]
    assert all(p["pnr_locator"] for p in passengers)
    assert sum(1 for p in passengers if p["seat"]) > 0.8 * len(passengers)
    assert any(p["bag_tags"] for p in passengers)
    for p in passengers:
        assert len(p["bag_tags"]) == (p["bag_count"] or 0)
    assert Counter(p["verified"] for p in persons)[True] > 0.7 * len(persons)
    assert any(p["place_of_birth"] for p in persons)
    assert any(p["residence_country"] and p["residence_country"] != p["nationality"] for p in persons)
    assert all(p["crew_role"] for p in persons if p["role"].endswith("CREW"))


def test_mononyms_have_empty_given_names_and_are_valid(small_set):
    # A larger draw of one culture's names shows the shape; the set itself may or may not have one.
    from random import Random
    from pipelines.generate import draw_name
    rng = Random(3)
    names = [draw_name(rng, "indonesian", "F", "IDN") for _ in range(200)]
    mononyms = [n for n in names if n.given_names == ""]
    assert mononyms and all(n.surname for n in mononyms)
