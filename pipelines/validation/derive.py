"""Turn records into flat rows whose columns the expectation suite can judge.

Some checks are not about one stored value (a date of birth judged against the departure date, an
MRZ check digit, a declared count against the persons present), so each row carries derived
columns alongside the raw ones. Derivation never raises on bad data: a value that cannot be
interpreted becomes ``None`` or ``False`` and the suite says why. Where a check concerns one of
several elements (the third leg's airport), the derived column holds the path of the first
offending element, so the reason can name it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from pipelines import mrz
from pipelines.validation import reference

PASSENGER_ROLES = ("PASSENGER", "IN_TRANSIT_PASSENGER")
CREW_ROLES = ("CREW", "IN_TRANSIT_CREW")


def parse_date(value: str | None) -> dt.date | None:
    """A strict ``YYYY-MM-DD`` calendar date, or None."""
    if not value or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_local_time(value: str | None) -> dt.datetime | None:
    """``YYYY-MM-DDTHH:MM[:SS]`` without offset (a local time as carriers send it), or None."""
    if not value or len(value) < 16 or value[10] != "T":
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _blank(value: Any) -> Any:
    """Blank strings count as missing: carriers send empty elements for what they do not have."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _is_date(value: str | None) -> bool | None:
    """True/False for a present value; None when absent (the MISSING check covers that)."""
    if _blank(value) is None:
        return None
    return parse_date(value) is not None


def departure_date(manifest: dict) -> dt.date | None:
    legs = (manifest.get("flight") or {}).get("legs") or []
    first = parse_local_time(legs[0].get("departure_local")) if legs else None
    return first.date() if first else None


def first_segment_departure(pnr: dict) -> dt.datetime | None:
    """Local departure of a PNR's first itinerary segment, or None."""
    flights = pnr.get("flights") or []
    return parse_local_time(flights[0].get("departure_local")) if flights else None


def manifest_row(manifest: dict) -> dict:
    """Manifest-level columns: flight identity and formats, leg times, declared counts."""
    flight = manifest.get("flight") or {}
    legs = flight.get("legs") or []
    persons = manifest.get("persons") or []
    roles = [p.get("role") for p in persons]
    passengers = sum(role in PASSENGER_ROLES for role in roles)
    crew = sum(role in CREW_ROLES for role in roles)
    declared_pax = manifest.get("declared_passenger_count")
    declared_crew = manifest.get("declared_crew_count")
    return {
        "carrier": _blank(flight.get("carrier")),
        "flight_number": _blank(flight.get("number")),
        "leg_count": len(legs),
        "bad_airport_field": _first_bad_airport(legs),
        "missing_departure_time": bool(legs) and _blank(legs[0].get("departure_local")) is None,
        "bad_leg_time_field": _first_bad_leg_time(legs),
        "passenger_count_difference": _count_difference(declared_pax, passengers, manifest),
        "crew_count_difference": _count_difference(declared_crew, crew, manifest),
        "passengers_present": passengers,
        "crew_present": crew,
    }


def _count_difference(declared: int | None, present: int, manifest: dict) -> int | None:
    """Declared minus present, or None when it cannot be judged from this record: no count
    declared, or a part of a list sent in several messages (``list_part``) declaring more than it
    holds, since carriers may declare the whole list's count in every part."""
    if declared is None or (manifest.get("list_part") and declared > present):
        return None
    return declared - present


def _first_bad_airport(legs: list[dict]) -> str | None:
    for index, leg in enumerate(legs):
        for end in ("departure_airport", "arrival_airport"):
            code = leg.get(end)
            if not code or not reference.AIRPORT_CODE.match(code):
                return f"flight.legs[{index}].{end}"
    return None


def _first_bad_leg_time(legs: list[dict]) -> str | None:
    for index, leg in enumerate(legs):
        for end in ("departure_local", "arrival_local"):
            value = _blank(leg.get(end))
            if value is not None and parse_local_time(value) is None:
                return f"flight.legs[{index}].{end}"
    return None


def person_row(person: dict, departure: dt.date | None) -> dict:
    """Person-level columns: mandatory elements, codes, and dates judged against the departure."""
    documents = person.get("documents") or []
    document = documents[0] if documents else {}
    birth = parse_date(person.get("date_of_birth"))
    expiry = parse_date(document.get("expiry_date"))
    mrz_line = _blank(document.get("mrz_line"))
    return {
        "surname": _blank(person.get("surname")),
        "date_of_birth": _blank(person.get("date_of_birth")),
        "date_of_birth_is_date": _is_date(person.get("date_of_birth")),
        "age_days_at_departure": (departure - birth).days if birth and departure else None,
        "sex": _blank(person.get("sex")),
        "nationality": _blank(person.get("nationality")),
        "residence_country": _blank(person.get("residence_country")),
        "document_count": len(documents),
        "document_type": _blank(document.get("type")),
        "document_number": _blank(document.get("number")),
        "document_issuing_state": _blank(document.get("issuing_state")),
        "document_expiry_date": _blank(document.get("expiry_date")),
        "document_expiry_is_date": _is_date(document.get("expiry_date")),
        "document_days_valid_after_departure": (expiry - departure).days if expiry and departure else None,
        "unknown_other_document_state_field": _first_unknown_other_state(documents),
        "bad_other_document_date_field": _first_bad_other_date(documents),
        "mrz_check_ok": None if mrz_line is None else not mrz.td3_line2_errors(mrz_line),
    }


# Visas and further documents need not be complete, but what they state must be well formed.

def _first_unknown_other_state(documents: list[dict]) -> str | None:
    for index, document in enumerate(documents[1:], start=1):
        state = _blank(document.get("issuing_state"))
        if state is not None and state not in reference.COUNTRY_CODES:
            return f"documents[{index}].issuing_state"
    return None


def _first_bad_other_date(documents: list[dict]) -> str | None:
    for index, document in enumerate(documents[1:], start=1):
        for field in ("expiry_date", "issue_date"):
            if _is_date(document.get(field)) is False:
                return f"documents[{index}].{field}"
    return None


def pnr_row(pnr: dict) -> dict:
    """PNR-level columns: locator, itinerary formats, traveller names and dates."""
    flights = pnr.get("flights") or []
    travellers = pnr.get("travellers") or []
    return {
        "record_locator": _blank(pnr.get("record_locator")),
        "creation_date_is_date": _is_date(pnr.get("creation_date")),
        "flight_count": len(flights),
        "bad_itinerary_field": _first_bad_segment(flights),
        "traveller_count": len(travellers),
        "missing_surname_field": next(
            (f"travellers[{i}].surname" for i, t in enumerate(travellers) if _blank(t.get("surname")) is None), None),
        "bad_traveller_date_field": _first_bad_traveller_date(travellers),
    }


def _first_bad_segment(flights: list[dict]) -> str | None:
    for index, segment in enumerate(flights):
        checks = (
            ("carrier", reference.CARRIER_CODE), ("number", reference.FLIGHT_NUMBER),
            ("departure_airport", reference.AIRPORT_CODE), ("arrival_airport", reference.AIRPORT_CODE),
        )
        for field, pattern in checks:
            value = segment.get(field)
            if not value or not pattern.match(value):
                return f"flights[{index}].{field}"
        value = _blank(segment.get("departure_local"))
        if value is not None and parse_local_time(value) is None:
            return f"flights[{index}].departure_local"
    return None


def _first_bad_traveller_date(travellers: Iterable[dict]) -> str | None:
    for index, traveller in enumerate(travellers):
        if _is_date(traveller.get("date_of_birth")) is False:
            return f"travellers[{index}].date_of_birth"
        for d_index, document in enumerate(traveller.get("documents") or []):
            for field in ("expiry_date", "issue_date"):
                if _is_date(document.get(field)) is False:
                    return f"travellers[{index}].documents[{d_index}].{field}"
    return None
