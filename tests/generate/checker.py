"""An independent reading of the validity conventions the generator promises, used to check its
output: every planted defect is found where the truth says, and nothing else is found.

This is deliberately separate from ``pipelines.validation`` (written elsewhere): it encodes the
conventions in the generator's brief so a drift on either side shows up in a test.
"""

from __future__ import annotations

import re
from datetime import date

import pycountry

from pipelines.mrz import td3_line2_errors

SPECIALS = frozenset(
    "D GBD GBN GBO GBP GBS RKS EUE UNO UNA UNK XBA XIM XCC XCE XCO XEC XPO XES XMP XOM XDC XXA XXB XXC XXX UTO".split())
ALPHA3 = frozenset(c.alpha_3 for c in pycountry.countries)
SEXES = {"M", "F", "X", "U"}
PNR_SEXES = {"M", "F", "MI", "FI", "U"}
DOC_TYPES = {"P", "V", "I", "A", "C", "AC", "IP", "F"}
AIRPORT = re.compile(r"^[A-Z]{3}$")
CARRIER = re.compile(r"^[A-Z0-9]{2}[A-Z]?$")
FLIGHT_NUMBER = re.compile(r"^[0-9]{1,4}[A-Z]?$")
LOCATOR = re.compile(r"^[A-Z0-9]{5,8}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(text):
    if not isinstance(text, str) or not DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def known_country(code) -> bool:
    return code in ALPHA3 or code in SPECIALS


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def departure_date(manifest: dict) -> date:
    return date.fromisoformat(manifest["flight"]["legs"][0]["departure_local"][:10])


def person_defects(person: dict, departure: date) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if blank(person["surname"]):
        found.add(("MISSING", "surname"))
    dob_text = person["date_of_birth"]
    if blank(dob_text):
        found.add(("MISSING", "date_of_birth"))
    else:
        dob = parse_date(dob_text)
        if dob is None:
            found.add(("INVALID_DATE", "date_of_birth"))
        elif dob > departure:
            found.add(("DATE_IN_FUTURE", "date_of_birth"))
        elif dob < years_before(departure, 120):
            found.add(("IMPLAUSIBLY_OLD", "date_of_birth"))
    if blank(person["sex"]):
        found.add(("MISSING", "sex"))
    elif person["sex"] not in SEXES:
        found.add(("BAD_FORMAT", "sex"))
    if blank(person["nationality"]):
        found.add(("MISSING", "nationality"))
    elif not known_country(person["nationality"]):
        found.add(("UNKNOWN_COUNTRY", "nationality"))
    if person["residence_country"] is not None and not known_country(person["residence_country"]):
        found.add(("UNKNOWN_COUNTRY", "residence_country"))
    for airport in ("embarkation_airport", "debarkation_airport"):
        if person[airport] is not None and not AIRPORT.match(person[airport]):
            found.add(("BAD_FORMAT", airport))
    docs = person["documents"]
    if not docs:
        found.add(("MISSING", "documents"))
    for i, doc in enumerate(docs):
        prefix = f"documents[{i}]."
        if blank(doc["type"]):
            if i == 0:
                found.add(("MISSING", prefix + "type"))
        elif doc["type"] not in DOC_TYPES:
            found.add(("BAD_FORMAT", prefix + "type"))
        if blank(doc["number"]) and i == 0:
            found.add(("MISSING", prefix + "number"))
        if blank(doc["issuing_state"]):
            if i == 0:
                found.add(("MISSING", prefix + "issuing_state"))
        elif not known_country(doc["issuing_state"]):
            found.add(("UNKNOWN_COUNTRY", prefix + "issuing_state"))
        if blank(doc["expiry_date"]):
            if i == 0:
                found.add(("MISSING", prefix + "expiry_date"))
        else:
            expiry = parse_date(doc["expiry_date"])
            if expiry is None:
                found.add(("INVALID_DATE", prefix + "expiry_date"))
            elif expiry < departure:
                found.add(("DOCUMENT_EXPIRED", prefix + "expiry_date"))
        if doc["issue_date"] is not None:
            issued = parse_date(doc["issue_date"])
            if issued is None:
                found.add(("INVALID_DATE", prefix + "issue_date"))
            elif issued > departure:
                found.add(("DATE_IN_FUTURE", prefix + "issue_date"))
        if doc["mrz_line"] is not None and td3_line2_errors(doc["mrz_line"]):
            found.add(("CHECK_DIGIT", prefix + "mrz_line"))
    return found


def manifest_defects(manifest: dict) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    flight = manifest["flight"]
    if flight["carrier"] is None or not CARRIER.match(flight["carrier"]):
        found.add(("BAD_FORMAT", "flight.carrier"))
    if flight["number"] is None or not FLIGHT_NUMBER.match(flight["number"]):
        found.add(("BAD_FORMAT", "flight.number"))
    if not flight["legs"]:
        found.add(("MISSING", "flight.legs"))
    for i, leg in enumerate(flight["legs"]):
        for key in ("departure_airport", "arrival_airport"):
            if leg[key] is None or not AIRPORT.match(leg[key]):
                found.add(("BAD_FORMAT", f"flight.legs[{i}].{key}"))
        for key in ("departure_local", "arrival_local"):
            if not LOCAL.match(leg[key] or ""):
                found.add(("BAD_FORMAT", f"flight.legs[{i}].{key}"))
        for key in ("departure_utc", "arrival_utc"):
            if not UTC.match(leg[key] or ""):
                found.add(("BAD_FORMAT", f"flight.legs[{i}].{key}"))
    persons = manifest["persons"]
    crew = sum(1 for p in persons if p["role"] in ("CREW", "IN_TRANSIT_CREW"))
    passengers = len(persons) - crew
    if manifest["declared_passenger_count"] is not None and manifest["declared_passenger_count"] != passengers:
        found.add(("COUNT_MISMATCH", "declared_passenger_count"))
    if manifest["declared_crew_count"] is not None and manifest["declared_crew_count"] != crew:
        found.add(("COUNT_MISMATCH", "declared_crew_count"))
    return found


def pnr_defects(pnr: dict) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if blank(pnr["record_locator"]):
        found.add(("MISSING", "record_locator"))
    elif not LOCATOR.match(pnr["record_locator"]):
        found.add(("BAD_FORMAT", "record_locator"))
    if parse_date(pnr["creation_date"]) is None:
        found.add(("INVALID_DATE", "creation_date"))
    first_departure = None
    for i, seg in enumerate(pnr["flights"]):
        for key in ("departure_airport", "arrival_airport"):
            if seg[key] is None or not AIRPORT.match(seg[key]):
                found.add(("BAD_FORMAT", f"flights[{i}].{key}"))
        if not LOCAL.match(seg["departure_local"] or "") or not LOCAL.match(seg["arrival_local"] or ""):
            found.add(("BAD_FORMAT", f"flights[{i}].departure_local"))
        if not CARRIER.match(seg["carrier"] or "") or not FLIGHT_NUMBER.match(seg["number"] or ""):
            found.add(("BAD_FORMAT", f"flights[{i}].number"))
        if first_departure is None:
            first_departure = date.fromisoformat(seg["departure_local"][:10])
    created = parse_date(pnr["creation_date"])
    if created and first_departure and created > first_departure:
        found.add(("DATE_IN_FUTURE", "creation_date"))
    for i, t in enumerate(pnr["travellers"]):
        if blank(t["surname"]):
            found.add(("MISSING", f"travellers[{i}].surname"))
        dob = parse_date(t["date_of_birth"])
        if dob is None:
            found.add(("INVALID_DATE", f"travellers[{i}].date_of_birth"))
        elif first_departure and (dob > first_departure or dob < years_before(first_departure, 120)):
            found.add(("DATE_IN_FUTURE", f"travellers[{i}].date_of_birth"))
        if t["sex"] not in PNR_SEXES:
            found.add(("BAD_FORMAT", f"travellers[{i}].sex"))
        if not known_country(t["nationality"]):
            found.add(("UNKNOWN_COUNTRY", f"travellers[{i}].nationality"))
        for j, doc in enumerate(t["documents"]):
            expiry = parse_date(doc["expiry_date"])
            if expiry is None or (first_departure and expiry < first_departure):
                found.add(("DOCUMENT_EXPIRED", f"travellers[{i}].documents[{j}].expiry_date"))
            if not known_country(doc["issuing_state"]):
                found.add(("UNKNOWN_COUNTRY", f"travellers[{i}].documents[{j}].issuing_state"))
    return found
