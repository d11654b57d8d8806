"""Code lists and formats the validation suite checks against (ICAO Doc 9303, ISO 3166, IATA)."""

from __future__ import annotations

import re

import pycountry

#: Doc 9303 Part 3 codes that are not ISO 3166 alpha-3 but are valid nationality/issuer codes.
DOC9303_SPECIAL_CODES = frozenset({
    "D",  # Germany, also written padded as D<<
    "GBD", "GBN", "GBO", "GBP", "GBS",  # British nationality classes
    "RKS",  # Kosovo
    "EUE",  # European Union
    "UNO", "UNA", "UNK",  # United Nations and its agencies, UNMIK
    "XBA", "XIM", "XCC", "XCE", "XCO", "XEC", "XPO", "XES", "XMP", "XOM", "XDC",  # organisations
    "XXA", "XXB", "XXC", "XXX",  # stateless, refugee, other refugee, unspecified
    "UTO",  # Utopia: the Doc 9303 specimen/test code
})

COUNTRY_CODES = frozenset({c.alpha_3 for c in pycountry.countries}) | DOC9303_SPECIAL_CODES | {"D<<"}

SEX_CODES = frozenset({"M", "F", "X", "U"})

#: PAXLST DOC document name codes: passport, visa, identity card, and the A, C, AC, IP, F the
#: guide lists (crew member certificates, alien registration, etc.).
DOCUMENT_TYPES = frozenset({"P", "V", "I", "A", "C", "AC", "IP", "F"})

AIRPORT_CODE = re.compile(r"^[A-Z]{3}$")
#: IATA airline designators are two characters (letters or a digit) or three letters (ICAO).
CARRIER_CODE = re.compile(r"^(?:[A-Z0-9]{2}|[A-Z]{3})$")
FLIGHT_NUMBER = re.compile(r"^[0-9]{1,4}[A-Z]?$")
RECORD_LOCATOR = re.compile(r"^[A-Z0-9]{5,8}$")

#: Oldest plausible traveller, in days (120 years).
MAX_AGE_DAYS = int(120 * 365.2425)
