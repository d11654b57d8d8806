"""Every PAXLST sample in shared/data/edifact converts to the values its text holds."""

from __future__ import annotations

import fastavro
import pytest

from pipelines import schemas
from pipelines.io.edifact.convert import convert_bytes


def convert(shared_data, name: str):
    path = shared_data / "edifact" / name
    result = convert_bytes(path.read_bytes(), str(path))
    assert not result.dead_letters, result.dead_letters
    for manifest in result.manifests:
        assert fastavro.validation.validate(manifest, schemas.load("api_manifest"), raise_errors=True)
    return result


def test_crew_list_on_one_line_with_ung_group(shared_data):
    result = convert(shared_data, "Test1.txt")
    [manifest] = result.manifests
    assert manifest["message_id"] == "APIS*C3K/1403010600/1402010600"
    assert manifest["sender"] == "APIS*C3K"
    assert manifest["sender_contact"] == "CREW SCHEDULING; TE 808-838-5520; FX 808-838-5526"
    assert manifest["message_type"] == "CREW_LIST"
    assert manifest["message_function"] == "ORIGINAL"  # BGM+250+C: US regularly scheduled crew
    assert manifest["prepared_utc"] == "2014-02-02T06:00Z"
    assert manifest["source_format"] == "PAXLST D:02B:UN:IATA"
    flight = manifest["flight"]
    assert (flight["carrier"], flight["number"]) == ("UA", "0989")
    assert flight["legs"] == [{"departure_airport": "FRA", "departure_local": "2017-01-27T17:25", "departure_utc": None,
                               "arrival_airport": "IAD", "arrival_local": "2017-01-28T07:10", "arrival_utc": None}]
    assert manifest["declared_crew_count"] == 8 and manifest["declared_passenger_count"] is None
    persons = manifest["persons"]
    assert [p["surname"] for p in persons] == ["Steur", "Adomat", "Nalek", "Meissener", "Pelzing", "Merfort",
                                               "Sautter", "Zschieschak"]
    assert {p["role"] for p in persons} == {"CREW"}
    first = persons[0]
    assert first["person_id"] == "P0001"
    assert first["given_names"] == "Andrea Pat"
    assert first["sex"] == "F" and persons[2]["sex"] == "M"
    assert first["date_of_birth"] == "1978-07-06" and persons[7]["date_of_birth"] == "1978-07-13"
    assert (first["nationality"], first["residence_country"]) == ("GBR", "GBR")
    assert (first["embarkation_airport"], first["debarkation_airport"]) == ("FRA", "IAD")
    assert first["place_of_birth"] == "Hartford USA"
    assert first["documents"] == [{"type": "P", "number": "123456789", "issuing_state": "GBR",
                                   "expiry_date": "2061-02-18", "issue_date": None, "mrz_line": None}]
    assert not any("CNT" in warning for warning in manifest["warnings"])  # 8 crew declared, 8 present
    assert any("LOC+22" in warning for warning in manifest["warnings"])  # clearance airport has no field


def test_passenger_list_with_bags_seats_and_blank_document_type(shared_data):
    result = convert(shared_data, "flight1.txt")
    [manifest] = result.manifests
    assert manifest["message_id"] == "LUFTHANSA/123456789/53371718146010"
    assert manifest["message_type"] == "PASSENGER_LIST"
    assert manifest["flight"]["carrier"] == "LA" and manifest["flight"]["number"] == "532"
    leg = manifest["flight"]["legs"][0]
    assert (leg["departure_airport"], leg["departure_local"]) == ("SCL", "2020-01-19T23:00")
    assert (leg["arrival_airport"], leg["arrival_local"]) == ("JFK", "2020-01-20T07:40")
    persons = manifest["persons"]
    assert len(persons) == 10 and manifest["declared_passenger_count"] == 10
    jiang = persons[0]
    assert (jiang["surname"], jiang["given_names"], jiang["sex"]) == ("JIANG", "HSIUYUAN", "F")
    assert jiang["date_of_birth"] == "1967-06-03"
    assert (jiang["bag_count"], jiang["bag_weight_kg"], jiang["bag_tags"]) == (1, 13.0, ["2660001"])
    assert (jiang["pnr_locator"], jiang["seat"]) == ("7F5F21", "056F")
    # DOC++433419360: the document type was not sent and stays null for validation to flag.
    assert jiang["documents"][0] == {"type": None, "number": "433419360", "issuing_state": "CHN",
                                     "expiry_date": "2023-09-20", "issue_date": None, "mrz_line": None}
    assert jiang["documents"][1]["type"] == "V" and jiang["documents"][1]["number"] == "57131424"
    cannon = persons[2]
    assert cannon["surname"] == "CANNON" and cannon["bag_count"] == 4
    assert cannon["bag_tags"] == ["2660003", "2660004", "SU0005", "2660006"]
    assert cannon["documents"][0]["issuing_state"] is None  # LOC+91+ blank
    ogrady = persons[-1]
    assert (ogrady["surname"], ogrady["given_names"]) == ("O GRADY", "EMMA MAISIE")
    assert ogrady["date_of_birth"] == "2000-05-20"  # 000520: 19 years old at departure, not 119
    assert ogrady["bag_tags"] == ["2660015", "2660016"] and ogrady["bag_weight_kg"] == 48.0
    stefanski = persons[3]
    assert stefanski["date_of_birth"] == "1961-10-21" and stefanski["documents"][0]["expiry_date"] == "2024-02-29"


def test_multi_leg_flight_keeps_the_border_crossing_flight(shared_data):
    result = convert(shared_data, "multiple_flight_leg_apis.txt")
    [manifest] = result.manifests
    assert manifest["transaction_reference"] == "BART34567890"
    assert manifest["sender_contact"] == "DOTTIE MOODY; TE 703-555-1212; FX 703-555-4545"
    flight = manifest["flight"]
    assert (flight["carrier"], flight["number"]) == ("QQ", "827")
    assert [(leg["departure_airport"], leg["arrival_airport"]) for leg in flight["legs"]] == [("IAD", "JFK"), ("JFK", "CDG")]
    assert flight["legs"][1]["departure_local"] == "2008-08-10T20:00"
    assert flight["legs"][1]["arrival_local"] == "2008-08-11T06:30"
    assert any("QQ877 MIA-IAD" in warning for warning in manifest["warnings"])
    barrett, lang = manifest["persons"]
    assert barrett["person_id"] == "UUI34T543" and lang["person_id"] == "ABC124"
    assert barrett["pnr_locator"] == "GJIO3RT"
    assert barrett["documents"][0]["number"] == "YY3478621G" and barrett["documents"][0]["expiry_date"] == "2008-12-30"
    assert (lang["nationality"], lang["date_of_birth"]) == ("ESP", "1960-06-06")
    assert any("13Nov09" in warning for warning in result.warnings)  # text after UNZ is reported


def test_basic_example_with_leading_whitespace_and_two_flights(shared_data):
    result = convert(shared_data, "apisMessage.txt")
    [manifest] = result.manifests
    assert manifest["message_id"] == "AIR1/000006640/PAX001"
    assert manifest["transaction_reference"] == "AJYTR1070219"
    assert manifest["flight"]["carrier"] == "AA" and manifest["flight"]["number"] == "123"
    leg = manifest["flight"]["legs"][0]
    assert (leg["departure_airport"], leg["arrival_airport"], leg["departure_local"]) == ("ATL", "ORD", "2007-02-19T15:40")
    assert any("AA124 ORD-JFK" in warning for warning in manifest["warnings"])
    michael, cheryl = manifest["persons"]
    assert (michael["surname"], michael["given_names"], michael["sex"]) == ("CLARK", "MICHAEL", "M")
    assert michael["date_of_birth"] == "1972-09-07" and cheryl["date_of_birth"] == "1973-04-07"
    assert michael["person_id"] == "ABC123" and cheryl["person_id"] == "TYL009"
    assert (cheryl["embarkation_airport"], cheryl["debarkation_airport"]) == ("ORD", "JFK")
    assert michael["documents"] == []
    assert any("RFF+AEA" in warning for warning in manifest["warnings"])
    assert manifest["declared_passenger_count"] == 2


@pytest.mark.parametrize("name", ["Test1.txt", "flight1.txt", "multiple_flight_leg_apis.txt", "apisMessage.txt"])
def test_every_value_meets_the_validation_conventions(shared_data, name):
    from pipelines.validation import reference

    [manifest] = convert(shared_data, name).manifests
    flight = manifest["flight"]
    assert reference.CARRIER_CODE.match(flight["carrier"]) and reference.FLIGHT_NUMBER.match(flight["number"])
    for leg in flight["legs"]:
        assert reference.AIRPORT_CODE.match(leg["departure_airport"]) and reference.AIRPORT_CODE.match(leg["arrival_airport"])
    for person in manifest["persons"]:
        assert person["sex"] in reference.SEX_CODES
        assert person["nationality"] is None or person["nationality"] in reference.COUNTRY_CODES
        for document in person["documents"]:
            assert document["type"] is None or document["type"] in reference.DOCUMENT_TYPES
