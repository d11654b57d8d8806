"""Planted defects: exactly one per invalid person, manifest or PNR, recorded with the reason code
and field path the validator uses (``pipelines.reasons``).

Defect kinds are taken in turn from a shuffled cycle (re-shuffled when used up), so even a small
set contains every kind once enough records are planted, and which record gets which defect is
still random. A kind that does not apply to a record (a check-digit defect needs a passport, an
expired document needs a person old enough to have held one) is skipped for the next kind.
"""

from __future__ import annotations

from datetime import date
from random import Random

import pycountry

from pipelines.mrz import td3_line2
from pipelines import reasons as R

#: Three-letter codes that are neither ISO 3166 alpha-3 nor Doc 9303 specials (nor the Doc 9303
#: specimen code UTO): typing slips and invented states.
UNKNOWN_COUNTRIES = ("ABC", "USS", "CAA", "MXX", "UKG", "RUX", "CHA", "INA", "GEM", "SPN", "CNA", "JAP")

DOC9303_SPECIALS = frozenset(
    "D GBD GBN GBO GBP GBS RKS EUE UNO UNA UNK XBA XIM XCC XCE XCO XEC XPO XES XMP XOM XDC XXA XXB XXC XXX UTO".split())

BAD_SEX = ("Q", "MALE", "FEMALE", "1", "2", "H")
BAD_DOC_TYPE = ("PP", "PASSPORT", "Z", "9", "PT")
BAD_FLIGHT_NUMBER = ("12345", "AC123", "12 3", "9A9A", "00000")
BAD_CARRIER = ("A", "AIRC", "A-C", "1", "A.C")
BAD_AIRPORT = ("YYZZ", "Y1Z", "TORONTO", "Y Z", "12")


def _check_unknown_codes() -> None:
    for code in UNKNOWN_COUNTRIES:
        if pycountry.countries.get(alpha_3=code) is not None or code in DOC9303_SPECIALS:
            raise AssertionError(f"{code} is a real country code")


_check_unknown_codes()


def impossible_date(rng: Random, year: int) -> str:
    """A well-shaped date that is not on any calendar."""
    month_day = ("02-30", "02-31", "04-31", "06-31", "09-31", "11-31", "13-01", "00-10", "12-32", "07-00")
    choice = month_day[int(rng.random() * len(month_day))]
    if rng.random() < 0.15 and year % 4 != 0:
        choice = "02-29"
    return f"{year:04d}-{choice}"


def _ord(text: str) -> int:
    return date(int(text[0:4]), int(text[5:7]), int(text[8:10])).toordinal()


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _blank(rng: Random):
    return None if rng.random() < 0.7 else ""


class Cycle:
    """Kinds in a shuffled order, re-shuffled each time round."""

    def __init__(self, rng: Random, kinds: list):
        self.rng = rng
        self.kinds = list(kinds)
        self.queue: list = []

    def take(self, applies) -> object | None:
        tried = 0
        while tried < 2 * len(self.kinds):
            if not self.queue:
                self.queue = list(self.kinds)
                self.rng.shuffle(self.queue)
            kind = self.queue.pop()
            if applies(kind):
                return kind
            self.queue.insert(0, kind)  # keep it for a record it fits
            tried += 1
        return None


# --- persons ---------------------------------------------------------------------------------

PERSON_KINDS = [
    (R.INVALID_DATE, "date_of_birth"),
    (R.DATE_IN_FUTURE, "date_of_birth"),
    (R.IMPLAUSIBLY_OLD, "date_of_birth"),
    (R.UNKNOWN_COUNTRY, "nationality"),
    (R.UNKNOWN_COUNTRY, "residence_country"),
    (R.UNKNOWN_COUNTRY, "documents[0].issuing_state"),
    (R.UNKNOWN_COUNTRY, "documents[1].issuing_state"),
    (R.DOCUMENT_EXPIRED, "documents[0].expiry_date"),
    (R.INVALID_DATE, "documents[0].expiry_date"),
    (R.MISSING, "surname"),
    (R.MISSING, "date_of_birth"),
    (R.MISSING, "sex"),
    (R.MISSING, "nationality"),
    (R.MISSING, "documents"),
    (R.MISSING, "documents[0].number"),
    (R.MISSING, "documents[0].issuing_state"),
    (R.MISSING, "documents[0].expiry_date"),
    (R.MISSING, "documents[0].type"),
    (R.CHECK_DIGIT, "documents[0].mrz_line"),
    (R.BAD_FORMAT, "sex"),
    (R.BAD_FORMAT, "documents[0].type"),
]


def person_applies(kind, person: dict, age_days: int) -> bool:
    code, field = kind
    docs = person["documents"]
    if field.startswith("documents[0]") and not docs:
        return False
    if field == "documents[1].issuing_state":
        return len(docs) > 1
    if code == R.CHECK_DIGIT:
        return docs[0]["type"] == "P" and len(docs[0]["number"]) <= 9
    if code == R.DOCUMENT_EXPIRED:
        return age_days > 3 * 365
    return True


def plant_person(rng: Random, kind, person: dict, dep_ord: int) -> None:
    """Break ``person`` (an API person dict) in exactly the way ``kind`` says."""
    code, field = kind
    docs = person["documents"]
    if code != R.CHECK_DIGIT and docs:
        # The swiped MRZ repeats the fields; drop it so the planted field is the only defect.
        docs[0]["mrz_line"] = None
    dob_year = int(person["date_of_birth"][0:4])
    if code == R.INVALID_DATE and field == "date_of_birth":
        person["date_of_birth"] = impossible_date(rng, dob_year)
    elif code == R.DATE_IN_FUTURE:
        person["date_of_birth"] = _iso(dep_ord + 3 + int(rng.random() * 4000))
    elif code == R.IMPLAUSIBLY_OLD:
        dep = date.fromordinal(dep_ord)
        born = date(dep.year - 122 - int(rng.random() * 15), 1 + int(rng.random() * 12), 1 + int(rng.random() * 28))
        person["date_of_birth"] = born.isoformat()
    elif code == R.UNKNOWN_COUNTRY:
        bad = UNKNOWN_COUNTRIES[int(rng.random() * len(UNKNOWN_COUNTRIES))]
        if field == "nationality":
            person["nationality"] = bad
        elif field == "residence_country":
            person["residence_country"] = bad
        elif field == "documents[0].issuing_state":
            docs[0]["issuing_state"] = bad
        else:
            docs[1]["issuing_state"] = bad
    elif code == R.DOCUMENT_EXPIRED:
        doc = docs[0]
        dob_ord = _ord(person["date_of_birth"])
        latest = dep_ord - 3
        earliest = max(dob_ord + 400, dep_ord - 2000)
        expiry = earliest + int(rng.random() * max(1, latest - earliest))
        issue = max(dob_ord + 1, expiry - 5 * 365 - 1)
        doc["expiry_date"] = _iso(expiry)
        doc["issue_date"] = _iso(issue)
    elif code == R.INVALID_DATE:  # documents[0].expiry_date
        docs[0]["expiry_date"] = impossible_date(rng, date.fromordinal(dep_ord).year + 1 + int(rng.random() * 8))
    elif code == R.MISSING:
        if field == "documents":
            person["documents"] = []
        elif field.startswith("documents[0]."):
            docs[0][field.split(".", 1)[1]] = _blank(rng)
        else:
            person[field] = _blank(rng)
    elif code == R.CHECK_DIGIT:
        doc = docs[0]
        line = doc["mrz_line"] or td3_line2(doc["number"], person["nationality"], person["date_of_birth"],
                                            person["sex"], doc["expiry_date"])
        # Only the composite digit is wrong: every other check still verifies.
        digit = (int(line[43]) + 1 + int(rng.random() * 9)) % 10
        doc["mrz_line"] = line[:43] + str(digit)
    elif code == R.BAD_FORMAT and field == "sex":
        person["sex"] = BAD_SEX[int(rng.random() * len(BAD_SEX))]
    elif code == R.BAD_FORMAT:
        docs[0]["type"] = BAD_DOC_TYPE[int(rng.random() * len(BAD_DOC_TYPE))]
    else:  # pragma: no cover
        raise ValueError(f"no way to plant {kind}")


# --- manifests -------------------------------------------------------------------------------

FLIGHT_FORMAT_KINDS = [
    (R.BAD_FORMAT, "flight.number"),
    (R.BAD_FORMAT, "flight.carrier"),
    (R.BAD_FORMAT, "flight.legs[0].departure_airport"),
]
PASSENGER_MANIFEST_KINDS = [(R.COUNT_MISMATCH, "declared_passenger_count")] + FLIGHT_FORMAT_KINDS
CREW_MANIFEST_KINDS = [(R.COUNT_MISMATCH, "declared_crew_count")] + FLIGHT_FORMAT_KINDS


def plant_manifest(rng: Random, kind, manifest: dict) -> None:
    code, field = kind
    if code == R.COUNT_MISMATCH:
        actual = manifest[field] or 0
        delta = (1 + int(rng.random() * 5)) * (1 if rng.random() < 0.6 or actual < 2 else -1)
        manifest[field] = max(0, actual + delta)
        if manifest[field] == actual:
            manifest[field] = actual + 1
    elif field == "flight.number":
        manifest["flight"]["number"] = BAD_FLIGHT_NUMBER[int(rng.random() * len(BAD_FLIGHT_NUMBER))]
    elif field == "flight.carrier":
        manifest["flight"]["carrier"] = BAD_CARRIER[int(rng.random() * len(BAD_CARRIER))]
    elif field == "flight.legs[0].departure_airport":
        manifest["flight"]["legs"][0]["departure_airport"] = BAD_AIRPORT[int(rng.random() * len(BAD_AIRPORT))]
    else:  # pragma: no cover
        raise ValueError(f"no way to plant {kind}")


# --- PNRs ------------------------------------------------------------------------------------

PNR_KINDS = [
    (R.MISSING, "record_locator"),
    (R.INVALID_DATE, "travellers[{i}].date_of_birth"),
    (R.MISSING, "travellers[{i}].surname"),
    (R.BAD_FORMAT, "flights[{i}].departure_airport"),
]


def plant_pnr(rng: Random, kind, pnr: dict) -> str:
    """Break ``pnr``; returns the concrete field path."""
    code, field = kind
    if field == "record_locator":
        pnr["record_locator"] = _blank(rng)
        return field
    if field.startswith("travellers"):
        i = int(rng.random() * len(pnr["travellers"]))
        traveller = pnr["travellers"][i]
        if code == R.INVALID_DATE:
            traveller["date_of_birth"] = impossible_date(rng, int(traveller["date_of_birth"][0:4]))
            return f"travellers[{i}].date_of_birth"
        traveller["surname"] = _blank(rng)
        return f"travellers[{i}].surname"
    i = int(rng.random() * len(pnr["flights"]))
    pnr["flights"][i]["departure_airport"] = BAD_AIRPORT[int(rng.random() * len(BAD_AIRPORT))]
    return f"flights[{i}].departure_airport"
