"""Turn EDIFACT element values into the schema conventions: dates, codes, flights, numbers.

Everything here is forgiving: a value it cannot read comes back as sent (or ``None`` when
blank), so validation, not conversion, decides whether it is acceptable.

Two-digit years need a rule. Dates of birth and issue dates take the century that puts them
at most 120 years before the reference date (the departure) and not after it: "prefer the
past". Expiry dates take the century that puts them nearest the reference date. Flight and
message dates (YYMMDD in UNB, DTM 201, PNRGOV DDMMYY) are taken as 20YY.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

import pycountry

MONTHS = {name: index for index, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}

_FLIGHT = re.compile(r"([A-Z]{3}|[A-Z0-9]{2})\s*([0-9]{1,4}[A-Z]?)\Z")
_FLIGHT_NUMBER = re.compile(r"[0-9]{1,4}[A-Z]?\Z")


def blank_to_none(value: str | None) -> str | None:
    """Strip surrounding spaces; empty becomes None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _year_for(two_digit: int, month: int, day: int, reference: dt.date, rule: str) -> int:
    """Full year for a two-digit year under ``rule`` ('past' or 'nearest') around ``reference``."""
    candidates = [century + two_digit for century in (reference.year // 100 * 100 - 100,
                                                       reference.year // 100 * 100,
                                                       reference.year // 100 * 100 + 100)]

    def as_date(year: int) -> dt.date:
        try:
            return dt.date(year, month, day)
        except ValueError:  # impossible month/day: judge by the year alone
            return dt.date(year, 1, 1) if year != reference.year else reference

    if rule == "nearest":
        return min(candidates, key=lambda year: (abs((as_date(year) - reference).days), -year))
    past = [year for year in candidates if as_date(year) <= reference and reference.year - year <= 120]
    if past:
        return max(past)
    return min(candidates, key=lambda year: abs(year - reference.year))


def yymmdd(value: str | None, reference: dt.date | None = None, rule: str = "future") -> str | None:
    """``YYMMDD`` (or ``CCYYMMDD``) to ``YYYY-MM-DD``; a value of another shape comes back as sent.

    ``rule``: 'past' (birth, issue), 'nearest' (expiry), 'future' (20YY: flights, messages).
    Month and day are not checked, so an impossible date stays visibly impossible.
    """
    value = blank_to_none(value)
    if value is None or not value.isdigit():
        return value
    if len(value) == 8:
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    if len(value) != 6:
        return value
    if rule == "future" or reference is None:
        return f"20{value[:2]}-{value[2:4]}-{value[4:6]}"
    year = int(value[:2])
    century = reference.year // 100 * 100
    if rule == "past":
        # ISO strings compare like dates: the latest century not after the reference, within 120 years.
        iso_reference = reference.isoformat()
        for full in (century + year, century - 100 + year, century - 200 + year):
            candidate = f"{full:04d}-{value[2:4]}-{value[4:6]}"
            if candidate <= iso_reference:
                if reference.year - full <= 120:
                    return candidate
                break
        full = _year_for(year, int(value[2:4]), int(value[4:6]), reference, rule)
        return f"{full:04d}-{value[2:4]}-{value[4:6]}"
    full = min((century - 100 + year, century + year, century + 100 + year),
               key=lambda candidate: (abs(candidate - reference.year), -candidate))
    return f"{full:04d}-{value[2:4]}-{value[4:6]}"


def ddmmyy(value: str | None) -> str | None:
    """PNRGOV ``DDMMYY`` to ``YYYY-MM-DD`` (20YY); other shapes come back as sent."""
    value = blank_to_none(value)
    if value is None or not value.isdigit():
        return value
    if len(value) == 6:
        return f"20{value[4:6]}-{value[2:4]}-{value[0:2]}"
    if len(value) == 8:
        return f"{value[4:8]}-{value[2:4]}-{value[0:2]}"
    return value


def ddmmmyy(value: str | None, reference: dt.date | None, rule: str) -> str | None:
    """SSR ``DDMMMYY`` (``12JUL64``) to ``YYYY-MM-DD`` with the century rule; else as sent."""
    value = blank_to_none(value)
    if value is None:
        return None
    text = value.upper()
    if len(text) == 7 and text[:2].isdigit() and text[5:].isdigit() and text[2:5] in MONTHS:
        day, month, year = int(text[:2]), MONTHS[text[2:5]], int(text[5:])
        full = _year_for(year, month, day, reference or dt.date.today(), rule)
        return f"{full:04d}-{month:02d}-{day:02d}"
    if len(text) == 9 and text[:2].isdigit() and text[5:].isdigit() and text[2:5] in MONTHS:
        return f"{text[5:]}-{MONTHS[text[2:5]]:02d}-{text[:2]}"
    return value


def hhmm(value: str | None) -> str | None:
    """``HHMM`` (or ``HHMMSS``) to ``HH:MM``; None when absent or not digits."""
    value = blank_to_none(value)
    if value is None or not value.isdigit() or len(value) not in (4, 6):
        return None
    return f"{value[:2]}:{value[2:4]}"


def local_time(date: str | None, time: str | None) -> str | None:
    """``YYYY-MM-DD`` + ``HH:MM`` to ``YYYY-MM-DDTHH:MM``; the date alone when no time."""
    if date is None:
        return None
    return f"{date}T{time}" if time else date


def dtm_value(value: str | None, format_code: str | None) -> str | None:
    """PAXLST DTM date/time: 201 ``YYMMDDHHMM``, 203 ``CCYYMMDDHHMM``, 102 ``CCYYMMDD``, or by length."""
    value = blank_to_none(value)
    if value is None or not value.isdigit():
        return value
    length = len(value)
    if format_code == "203" or length == 12:
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}T{value[8:10]}:{value[10:12]}"
    if format_code == "201" or length == 10:
        return f"20{value[:2]}-{value[2:4]}-{value[4:6]}T{value[6:8]}:{value[8:10]}"
    return yymmdd(value)


def parse_date(value: str | None) -> dt.date | None:
    """The date part of an ISO string, or None when it is not a real date."""
    if not value or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def country(value: str | None) -> str | None:
    """Country code as ISO alpha-3: alpha-2 codes (``GB``, ``KR``) are converted, others kept.

    Doc 9303 specials (``D``, ``XXA``...) and unknown codes come back as sent (upper-cased) for
    validation to judge.
    """
    value = blank_to_none(value)
    if value is None:
        return None
    code = value.upper()
    if len(code) == 2 and code.isalpha():
        found = pycountry.countries.get(alpha_2=code)
        if found is not None:
            return found.alpha_3
    return code


def split_flight(reference: str | None, carrier_hint: str | None = None) -> tuple[str | None, str | None]:
    """``UA0989`` -> (``UA``, ``0989``). Uses the carrier sent beside it when the text starts with it."""
    text = (blank_to_none(reference) or "").upper().replace(" ", "")
    hint = (blank_to_none(carrier_hint) or "").upper()
    if not text:
        return (hint or None), None
    if hint and text.startswith(hint) and len(text) > len(hint):
        return hint, text[len(hint):]
    if text[:1].isdigit() and _FLIGHT_NUMBER.match(text):
        return (hint or None), text
    match = _FLIGHT.match(text)
    if match:
        return match.group(1), match.group(2)
    return (hint or None), text


def integer(value: str | None) -> int | None:
    """An integer count, or None when absent or not a number."""
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        number = int(float(value.replace(",", ".")))
    except ValueError:
        return None
    return number if -2**31 <= number < 2**31 else None


def number(value: str | None, decimal: str = ".") -> float | None:
    """A decimal amount, or None when absent or not a number."""
    value = blank_to_none(value)
    if value is None:
        return None
    try:
        result = float(value.replace(decimal, ".") if decimal != "." else value)
    except ValueError:
        return None
    return result if result == result and abs(result) != float("inf") else None


POUND_KG = 0.45359237


def weight_kg(amount: float | None, unit: str | None) -> float | None:
    """Weight in kg from an amount and its unit (KGM/700 kg; LBR/701 lb)."""
    if amount is None:
        return None
    if (unit or "").upper() in ("LBR", "LB", "LBS", "701", "L"):
        return round(amount * POUND_KG, 3)
    return amount


def consecutive_tags(tag: str, count: int | None) -> list[str]:
    """Bag tags from a first tag and a count of consecutive numbers (``AB123:3`` -> 3 tags).

    Only expands when the tag ends in digits and the count is small and sensible.
    """
    tag = tag.strip()
    if not tag:
        return []
    if not count or count <= 1 or count > 99:
        return [tag]
    digits = len(tag) - len(tag.rstrip("0123456789"))
    if digits == 0:
        return [tag]
    prefix, start = tag[:-digits], int(tag[-digits:])
    return [f"{prefix}{start + step:0{digits}d}" for step in range(count)]
