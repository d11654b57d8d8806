"""The expectation suites: each defect is caught with the right code and field, valid data passes,
and a record with several defects gets every reason."""

from __future__ import annotations

import pytest

from pipelines import mrz
from pipelines.io.avro_files import DecodedRecord
from pipelines.validation import suite
from pipelines.validation.validator import Validator, flight_key
from tests.spine.factories import manifest, person, pnr


@pytest.fixture(scope="module")
def validator():
    return Validator("test-run")


def run(validator, *records):
    items = [DecodedRecord("pnr" if "record_locator" in r else "api_manifest", "f.avro", i, r)
             for i, r in enumerate(records)]
    return validator.validate(items)


def reasons_of(outcome, key):
    [letter] = [d for d in outcome.dead_letters if d["record_key"] == key]
    return {(r["code"], r["field"]) for r in letter["reasons"]}


def test_valid_manifest_gives_travellers(validator):
    outcome = run(validator, manifest("M1"))
    assert outcome.dead_letters == []
    assert [t["traveller_id"] for t in outcome.travellers] == ["M1/P001", "M1/P002", "M1/P003"]
    traveller = outcome.travellers[0]
    assert traveller["flight_key"] == "AC1890/2026-11-23" and traveller["flight_date"] == "2026-11-23"
    assert traveller["person"]["surname"] == "TREMBLAY"


DOC = {"type": "P", "number": "X1", "issuing_state": "CAN", "expiry_date": "2031-01-01", "issue_date": None,
       "mrz_line": None}


@pytest.mark.parametrize("changes, expected", [
    ({"surname": None}, ("MISSING", "surname")),
    ({"surname": "  "}, ("MISSING", "surname")),
    ({"date_of_birth": None}, ("MISSING", "date_of_birth")),
    ({"date_of_birth": "2023-02-30"}, ("INVALID_DATE", "date_of_birth")),
    ({"date_of_birth": "09/03/1984"}, ("INVALID_DATE", "date_of_birth")),
    ({"date_of_birth": "2027-01-01"}, ("DATE_IN_FUTURE", "date_of_birth")),
    ({"date_of_birth": "1890-01-01"}, ("IMPLAUSIBLY_OLD", "date_of_birth")),
    ({"sex": None}, ("MISSING", "sex")),
    ({"sex": "Q"}, ("BAD_FORMAT", "sex")),
    ({"nationality": None}, ("MISSING", "nationality")),
    ({"nationality": "ZZZ"}, ("UNKNOWN_COUNTRY", "nationality")),
    ({"residence_country": "CA"}, ("UNKNOWN_COUNTRY", "residence_country")),
    ({"documents": []}, ("MISSING", "documents")),
    ({"documents": [dict(DOC, type=None)]}, ("MISSING", "documents[0].type")),
    ({"documents": [dict(DOC, type="Z")]}, ("BAD_FORMAT", "documents[0].type")),
    ({"documents": [dict(DOC, number="")]}, ("MISSING", "documents[0].number")),
    ({"documents": [dict(DOC, issuing_state=None)]}, ("MISSING", "documents[0].issuing_state")),
    ({"documents": [dict(DOC, issuing_state="XYZ")]}, ("UNKNOWN_COUNTRY", "documents[0].issuing_state")),
    ({"documents": [dict(DOC, expiry_date=None)]}, ("MISSING", "documents[0].expiry_date")),
    ({"documents": [dict(DOC, expiry_date="2031-13-01")]}, ("INVALID_DATE", "documents[0].expiry_date")),
    ({"documents": [dict(DOC, expiry_date="2026-11-22")]}, ("DOCUMENT_EXPIRED", "documents[0].expiry_date")),
    ({"documents": [DOC, dict(DOC, type="V", issuing_state="QQQ")]}, ("UNKNOWN_COUNTRY", "documents[1].issuing_state")),
    ({"documents": [DOC, dict(DOC, type="V", issue_date="2019-02-29")]}, ("INVALID_DATE", "documents[1].issue_date")),
])
def test_person_defects(validator, changes, expected):
    outcome = run(validator, manifest("M1", persons=[person(1), person(2, **changes)]))
    assert reasons_of(outcome, "M1/P002") == {expected}
    assert [t["traveller_id"] for t in outcome.travellers] == ["M1/P001"]


def test_doc9303_special_codes_are_valid(validator):
    persons = [person(1, nationality="XXA"), person(2, nationality="D"), person(3, nationality="GBD"),
               person(4, nationality="UTO")]
    assert run(validator, manifest("M1", persons=persons)).dead_letters == []


def test_document_valid_on_departure_day_is_not_expired(validator):
    changed = person(1, documents=[dict(DOC, expiry_date="2026-11-23")])
    assert run(validator, manifest("M1", persons=[changed])).dead_letters == []


def test_mononym_with_no_given_names_is_valid(validator):
    assert run(validator, manifest("M1", persons=[person(1, given_names=None, surname="SUKARNO")])).dead_letters == []


def test_mrz_check_digits(validator):
    line = mrz.td3_line2("AB0000001", "CAN", "1984-03-09", "F", "2031-05-01")
    good = person(1, documents=[dict(DOC, number="AB0000001", mrz_line=line)])
    bad = person(2, documents=[dict(DOC, number="AB0000001", mrz_line=line[:19] + str((int(line[19]) + 1) % 10)
                                    + line[20:])])
    outcome = run(validator, manifest("M1", persons=[good, bad]))
    assert reasons_of(outcome, "M1/P002") == {("CHECK_DIGIT", "documents[0].mrz_line")}
    assert len(outcome.travellers) == 1


def test_every_reason_is_listed(validator):
    outcome = run(validator, manifest("M1", persons=[person(1, sex="Q", nationality="ZZZ", documents=[])]))
    assert reasons_of(outcome, "M1/P001") == {("BAD_FORMAT", "sex"), ("UNKNOWN_COUNTRY", "nationality"),
                                              ("MISSING", "documents")}


@pytest.mark.parametrize("changes, expected", [
    ({"declared_passenger_count": 4}, ("COUNT_MISMATCH", "declared_passenger_count")),
    ({"declared_crew_count": 2}, ("COUNT_MISMATCH", "declared_crew_count")),
    ({"flight": {"carrier": "A", "number": "1890", "operating_carrier": None, "in_transit": False,
                 "legs": manifest()["flight"]["legs"]}}, ("BAD_FORMAT", "flight.carrier")),
    ({"flight": {"carrier": "AC", "number": "18900", "operating_carrier": None, "in_transit": False,
                 "legs": manifest()["flight"]["legs"]}}, ("BAD_FORMAT", "flight.number")),
    ({"flight": {"carrier": "AC", "number": "1890", "operating_carrier": None, "in_transit": False,
                 "legs": []}}, ("MISSING", "flight.legs")),
    ({"flight": {"carrier": "AC", "number": "1890", "operating_carrier": None, "in_transit": False,
                 "legs": [dict(manifest()["flight"]["legs"][0], arrival_airport="MIAMI")]}},
     ("BAD_FORMAT", "flight.legs[0].arrival_airport")),
    ({"flight": {"carrier": "AC", "number": "1890", "operating_carrier": None, "in_transit": False,
                 "legs": [dict(manifest()["flight"]["legs"][0], departure_local="2026-11-31T08:00")]}},
     ("INVALID_DATE", "flight.legs[0].departure_local")),
])
def test_manifest_defects_reject_the_manifest_and_all_its_persons(validator, changes, expected):
    outcome = run(validator, manifest("M1", **changes))
    assert reasons_of(outcome, "M1") == {expected}
    [letter] = outcome.dead_letters
    assert letter["kind"] == "API_MANIFEST" and letter["person_count"] == 3
    assert outcome.travellers == []
    assert outcome.counts["f.avro"]["persons_rejected"] == 3


def test_crew_and_in_transit_roles_count_separately(validator):
    persons = [person(1), person(2, role="IN_TRANSIT_PASSENGER"), person(3, role="CREW")]
    outcome = run(validator, manifest("M1", persons=persons, declared_passenger_count=2, declared_crew_count=1))
    assert outcome.dead_letters == [] and len(outcome.travellers) == 3


def test_counts_reconcile_per_file(validator):
    outcome = run(validator, manifest("M1"), manifest("M2", declared_passenger_count=1),
                  manifest("M3", persons=[person(1), person(2, sex="?")]), pnr(), pnr(record_locator=None))
    counts = outcome.counts["f.avro"]
    assert counts["persons_in"] == counts["persons_valid"] + counts["persons_rejected"] == 8
    assert counts["persons_valid"] == 4
    assert counts["pnrs_in"] == 2 and counts["pnrs_valid"] == 1 and counts["pnrs_rejected"] == 1


@pytest.mark.parametrize("changes, expected", [
    ({"record_locator": None}, ("MISSING", "record_locator")),
    ({"record_locator": "AB"}, ("BAD_FORMAT", "record_locator")),
    ({"creation_date": "2026-02-30"}, ("INVALID_DATE", "creation_date")),
    ({"flights": []}, ("MISSING", "flights")),
])
def test_pnr_defects(validator, changes, expected):
    outcome = run(validator, pnr("Q7XK2M", **changes))
    assert {(r["code"], r["field"]) for r in outcome.dead_letters[0]["reasons"]} == {expected}


def test_pnr_traveller_date_defect_names_the_traveller(validator):
    broken = pnr()
    broken["travellers"][0]["date_of_birth"] = "1984-02-31"
    outcome = run(validator, broken)
    assert {(r["code"], r["field"]) for r in outcome.dead_letters[0]["reasons"]} == {
        ("INVALID_DATE", "travellers[0].date_of_birth")}


def test_flight_key_pads_the_number():
    assert flight_key("AC", "87", "2026-11-23") == "AC0087/2026-11-23"
    assert flight_key("DL", "123A", "2026-11-23") == "DL0123A/2026-11-23"


def test_suite_is_expressed_for_great_expectations():
    exported = suite.suite_as_json("api_person")
    types = {e["type"] for e in exported["expectations"]}
    assert "expect_column_values_to_not_be_null" in types and "expect_column_values_to_be_in_set" in types
    assert all("code" in e["meta"] for e in exported["expectations"])
