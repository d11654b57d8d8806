"""Every PNRGOV sample in shared/data/edifact converts to the values its text holds."""

from __future__ import annotations

import fastavro

from pipelines import schemas
from pipelines.io.edifact.convert import convert_bytes


def convert(shared_data, name: str):
    path = shared_data / "edifact" / name
    result = convert_bytes(path.read_bytes(), str(path))
    assert not result.dead_letters, result.dead_letters
    assert not result.manifests
    for pnr in result.pnrs:
        assert fastavro.validation.validate(pnr, schemas.load("pnr"), raise_errors=True)
    return result


def by_ref(pnr: dict) -> dict:
    return {traveller["traveller_ref"]: traveller for traveller in pnr["travellers"]}


def test_two_pnrs_crlf_with_history(shared_data):
    first, second = convert(shared_data, "2_pnrs_basic.edi").pnrs
    assert first["message_id"] == second["message_id"] == "DL/020A07/1"
    assert first["source_format"] == "PNRGOV 10.1" and first["push_type"] == "FULL"
    assert (first["record_locator"], second["record_locator"]) == ("MFN4TI", "23456")
    assert first["last_modified_utc"] == "2010-12-06T10:10Z"
    assert [(f["carrier"], f["number"], f["departure_airport"], f["arrival_airport"]) for f in first["flights"]] == [
        ("DL", "324", "LHR", "JFK"), ("DL", "330", "JFK", "YVR")]
    assert first["flights"][0]["departure_local"] == "2010-12-12T09:15"
    assert first["flights"][0]["arrival_local"] == "2010-12-12T12:30"
    assert first["flights"][1]["status"] == "HK" and first["flights"][0]["booking_class"] == "B"
    smith = by_ref(first)["1"]
    assert (smith["surname"], smith["given_names"], smith["traveller_type"]) == ("SMITHJR", "JOHNMR", "A")
    # SSR DOCS wrapped over two lines (SMITHJ / R): line breaks are not data.
    assert smith["documents"] == [{"type": "P", "number": "123456789", "issuing_state": "GBR",
                                   "expiry_date": "2019-08-23", "issue_date": None, "place_of_birth": None,
                                   "applicable_country": None}]
    assert (smith["date_of_birth"], smith["sex"], smith["nationality"]) == ("1964-07-12", "M", "GBR")
    jones = by_ref(first)["2"]
    assert jones["documents"] == [] and jones["nationality"] == "GBR" and jones["date_of_birth"] == "1964-07-12"
    assert {(t["traveller_ref"], t["number"], t["fare_amount"], t["currency"]) for t in first["tickets"]} == {
        ("1", "0062120234533", 2957.94, "GBP"), ("2", "0062120234534", 2957.94, "GBP")}
    assert {t["traveller_ref"]: t["issue_date"] for t in first["tickets"]} == {"1": "2010-12-06", "2": "2010-12-08"}
    assert first["payments"][0]["method"] == "CC" and first["payments"][0]["card_type"] == "VI"
    assert first["payments"][0]["masked_card_number"] == "XXXXXXXX1186"
    assert {(f["traveller_ref"], f["airline"], f["number"], f["tier"]) for f in first["frequent_flyer"]} == {
        ("1", "DL", "1234567890", "ELITE"), ("2", "AF", "0093789865", "ELITE")}
    assert {"kind": "OSI", "text": "THIS PASSENGER IS A VIP", "traveller_ref": None} in first["remarks"]
    assert {"kind": "SPONSOR", "text": "TIMOTHY SIMS 2234 MAIN STREET ATLANTA, GA 30067 7705632891",
            "traveller_ref": "1"} in first["remarks"]
    assert any(r["kind"] == "OTHER" and "VANCOUVER ARMS" in r["text"] for r in first["remarks"])  # hotel, MSG+8
    assert [s["code"] for s in first["ssrs"]] == ["AVML", "DOCS", "DOCS", "SEAT", "SEAT"]
    assert {(s["traveller_ref"], s["segment"], s["seat"]) for s in first["seats"]} == {
        ("1", 0, "15A"), ("2", 0, "15B"), ("1", 1, "15E"), ("2", 1, "15F")}
    assert first["travel_status"] == [{"traveller_ref": "1", "segment": 0, "status": "CHECKED_IN",
                                       "check_in_utc": "2010-12-11T09:15Z"}]
    assert first["bags"][0]["count"] == 4
    assert {"kind": "PHONE", "value": "00441753637285", "traveller_ref": None} in first["contacts"]
    assert first["history"][0] == {"time_utc": "2010-12-07T10:10Z", "action": "X", "office": "LHRRR",
                                   "text": "TVL+101210:0915::1230+LHR+JFK+DL+324:B"}
    assert [h["action"] for h in first["history"] if h["text"].startswith("SSR+AVML")] == ["X", "X", "A", "A"]
    # Second PNR: booked by a travel agency (ORG originator type T).
    assert second["travel_agency"] == {"name": None, "iata_number": "12345678", "agent_id": "A78987",
                                       "city": "LON", "country": "GB"}
    wayne = by_ref(second)["1"]
    assert wayne["date_of_birth"] == "1912-07-12"  # 12JUL12 is after the 2010 departure: the past century
    assert second["history"] == [
        {"time_utc": "2010-12-07T10:10Z", "action": "X", "office": "LHRRR", "text": "TIF+WAYNE+JONMR:A:1"},
        {"time_utc": "2010-12-07T10:10Z", "action": "A", "office": "LHRRR", "text": "TIF+WAYNE+JOHNMR:A:1"}]
    assert {"kind": "ADDRESS", "value": "351 LANDSDOWN ROAD, SLOUGH, BERKSHIRE, GB, SL1AA", "traveller_ref": None} \
        in second["contacts"]


def test_adult_with_infant(shared_data):
    [pnr] = convert(shared_data, "adult_and_infant.edi").pnrs
    assert pnr["message_id"] == "AM/13052210400995/13052210400995"
    assert pnr["source_format"] == "PNRGOV 11.1"
    assert (pnr["record_locator"], pnr["creation_date"]) == ("XXXYET", "2013-04-30")
    adult, infant = pnr["travellers"]
    assert (adult["traveller_ref"], adult["surname"], adult["given_names"]) == ("1.1", "TESTSURNAMEONE", "TESTNAMEONE MRS")
    assert (adult["date_of_birth"], adult["sex"], adult["nationality"]) == ("1976-05-30", "F", "COL")  # CO -> COL
    assert adult["documents"][0]["number"] == "52263000" and adult["documents"][0]["expiry_date"] == "2015-10-31"
    assert (infant["traveller_ref"], infant["traveller_type"], infant["infant_of"]) == ("2.1", "IN", "1.1")
    # The infant's DOCS sits in the adult's TIF group; its names (wrapped as TESTSUR NAMETWO) place it.
    assert (infant["date_of_birth"], infant["sex"]) == ("2011-08-10", "FI")
    assert infant["documents"][0]["number"] == "AO234000"
    assert [(f["carrier"], f["number"], f["departure_airport"], f["arrival_airport"], f["status"]) for f in pnr["flights"]] == [
        ("AM", "709", "BOG", "MEX", "YG"), ("AM", "445", "MEX", "CUN", "HK"), ("AM", "718", "CUN", "BOG", "HK")]
    assert pnr["flights"][0]["departure_local"] == "2013-05-15T01:05"
    assert pnr["flights"][0]["arrival_local"] == "2013-05-15T05:57"
    assert pnr["party_size"] == 2
    assert sum(s["code"] == "TKNE" for s in pnr["ssrs"]) == 8
    assert pnr["ssrs"][0]["text"] == "ADV TKT NUMBER BY 03MAY13 1800CO OR WILL CANCEL"
    assert {"kind": "OSI", "text": "AM INF", "traveller_ref": "2.1"} in pnr["remarks"]


def test_codeshare_operating_carrier(shared_data):
    park_pnr, kim_pnr = convert(shared_data, "codeshare.edi").pnrs  # UNA with the decimal mark left out
    assert park_pnr["record_locator"] == "2LS6KP" and kim_pnr["record_locator"] == "X49V9U"
    assert park_pnr["creation_date"] == "2013-05-20"
    assert any("KE:EDP2RW" in warning for warning in park_pnr["warnings"])
    flight = park_pnr["flights"][0]
    assert (flight["carrier"], flight["number"], flight["operating_carrier"], flight["operating_number"]) == (
        "KE", "609", "SQ", "303")
    assert (flight["departure_airport"], flight["arrival_airport"]) == ("ICN", "SIN")
    assert kim_pnr["flights"][0]["carrier"] == "OZ" and kim_pnr["flights"][0]["operating_number"] == "752"
    [park] = park_pnr["travellers"]
    assert (park["surname"], park["given_names"], park["date_of_birth"]) == ("PARK", "SEJOONMR", "1972-09-10")
    # Two DOCS for the same passport (KR and KOR): one document.
    assert park["documents"] == [{"type": "P", "number": "JR3364288", "issuing_state": "KOR",
                                  "expiry_date": "2016-07-05", "issue_date": None, "place_of_birth": None,
                                  "applicable_country": None}]
    assert park_pnr["seats"] == [{"traveller_ref": "1", "segment": 0, "seat": "039G"}]
    assert park_pnr["bags"] == [{"traveller_ref": "1", "count": 2, "weight_kg": 34.0,
                                 "tags": ["6181026000001", "6181026000002"]}]
    assert park_pnr["frequent_flyer"] == [{"traveller_ref": "1", "airline": "SQ", "number": "314655277", "tier": "G"}]
    assert park_pnr["history"][0]["text"] == "0/O/NM/PARK/SEJOONMR"
    # The release character \\ keeps the * in the LTS text.
    assert "LK *1A/E* /KE" in park_pnr["history"][1]["text"]
    [kim] = kim_pnr["travellers"]
    assert (kim["traveller_ref"], kim["given_names"], kim["sex"]) == ("3", "KONG CHUN MRS", "F")
    assert kim_pnr["seats"] == [{"traveller_ref": "3", "segment": 0, "seat": "014A"}]


def test_pnrs_without_history(shared_data):
    pnrs = convert(shared_data, "no_pnr_history.edi").pnrs
    assert [p["record_locator"] for p in pnrs] == ["3MZVP2", "33O6DK", "35K2IO"]
    assert all(p["history"] == [] for p in pnrs)
    jacks = pnrs[0]
    assert jacks["flights"][0]["carrier"] == "AC" and jacks["flights"][0]["number"] == "9099"
    assert jacks["flights"][0]["operating_carrier"] == "LH" and jacks["flights"][0]["operating_number"] == "474"
    assert jacks["travellers"][0]["date_of_birth"] == "1966-04-21" and jacks["travellers"][0]["documents"] == []
    carrera = pnrs[1]
    assert [(f["carrier"], f["number"]) for f in carrera["flights"]] == [("LH", "9457"), ("LH", "474")]
    assert carrera["flights"][0]["operating_carrier"] == "EN" and carrera["flights"][0]["operating_number"] == "8203"
    assert carrera["travellers"][0]["documents"][0]["issuing_state"] == "ITA"
    assert carrera["tickets"][0]["number"] == "3909508960" and carrera["tickets"][0]["issue_date"] == "2013-05-10"
    doron, lendrot = pnrs[2]["travellers"]
    assert (doron["traveller_ref"], doron["surname"], doron["date_of_birth"]) == ("2", "DORON", "1953-02-05")
    assert (lendrot["traveller_ref"], lendrot["date_of_birth"], lendrot["sex"]) == ("1", "1952-02-14", "F")
    assert pnrs[2]["party_size"] == 2


def test_general_example_13_1(shared_data):
    [pnr] = convert(shared_data, "pnrMessageExample.txt").pnrs
    assert pnr["source_format"] == "PNRGOV 13.1"
    assert (pnr["record_locator"], pnr["creation_date"]) == ("7C789A", "2018-08-23")
    assert [f["departure_airport"] for f in pnr["flights"]] == ["WDH", "ADD", "FRA"]  # origin WDH, as GTAS expects
    assert pnr["flights"][2]["carrier"] == "UA" and pnr["flights"][2]["number"] == "988"
    assert pnr["flights"][0]["arrival_local"] == "2018-09-27T21:20"
    assert len(pnr["travellers"]) == 5
    lobb = by_ref(pnr)["1"]
    assert (lobb["surname"], lobb["date_of_birth"], lobb["sex"]) == ("LOBB", "1954-08-13", "F")
    assert lobb["documents"][0]["number"] == "796428965" and lobb["documents"][0]["expiry_date"] == "2025-04-26"
    assert {"kind": "EMAIL", "value": "MOLLY..LOBB//GMAIL.COM", "traveller_ref": "1"} in pnr["contacts"]
    assert pnr["payments"][0] == {"method": "CC", "card_type": "AX", "masked_card_number": "372395XXXXX9581",
                                  "card_holder": None, "amount": 800.0, "currency": "GBP", "billing_address": None}
    assert {"method": "CA", "amount": 100.0} == {k: pnr["payments"][3][k] for k in ("method", "amount")}
    assert {"traveller_ref": "5", "segment": 2, "seat": "33J"} in pnr["seats"]
    habte_bags = [b for b in pnr["bags"] if b["traveller_ref"] == "5"]
    assert habte_bags[0]["count"] == 4 and habte_bags[0]["tags"] == ["ET0853", "ET0854", "ET0855", "ET0856"]
    assert habte_bags[0]["weight_kg"] == round(24 * 0.45359237, 3)  # 701: pounds
    assert sum(s["status"] == "CHECKED_IN" for s in pnr["travel_status"]) == 11


def test_doco_visa(shared_data):
    [pnr] = convert(shared_data, "pnrWithDoco.txt").pnrs
    [ackary] = pnr["travellers"]
    passport, visa = ackary["documents"]
    assert passport["number"] == "602120901" and ackary["date_of_birth"] == "1948-12-26"
    assert visa == {"type": "V", "number": "8675309", "issuing_state": "OTHER PLACE", "expiry_date": None,
                    "issue_date": "2006-12-22", "place_of_birth": "HERE VA", "applicable_country": "LIE"}
    assert any("'002'" in warning for warning in pnr["warnings"])  # DOCO names a traveller not on the PNR
    assert [s["code"] for s in pnr["ssrs"]][:2] == ["DOCS", "DOCO"]
    assert pnr["payments"] == [{"method": "CA", "card_type": None, "masked_card_number": None, "card_holder": None,
                                "amount": 250.0, "currency": "GBP", "billing_address": None}]
