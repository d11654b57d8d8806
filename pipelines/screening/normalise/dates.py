"""Dates of birth as lists really hold them: full, year-month, year only, placeholders.

A date is parsed into ``(year, month, day)`` with ``None`` for what is unknown. ``01-01`` (and
``00-00``) often stands for "only the year is known" (many registries and some passports write
1 January for an unknown birthday), so a 1 January date is compared as year-only *as well as* in
full. Day and month swapped (``1980-05-07`` vs ``1980-07-05``) is the commonest keying error.

How much a disagreement counts depends on how precise both dates are. Two *full* dates (year,
month and day known, not a 01-01 placeholder) that differ in exactly one part by a plausible
keying error (the day, the month, or the year by one) are weak evidence against: a typo in one
field happens. Two full dates that differ in two or more parts are two different birthdays: a
strong disagreement. A partial date (year or year-month) or a placeholder cannot tell, so it
keeps the lenient levels ("circa" years on lists).

:func:`compare_dob` returns a level name; what each level is worth lives in the settings.
"""

from __future__ import annotations

import functools
import re

__all__ = ["parse_date", "compare_dob", "DOB_LEVELS", "DOB_ORDER"]

_DATE = re.compile(r"^\s*(\d{4})(?:[-/.]?(\d{1,2})(?:[-/.]?(\d{1,2}))?)?\s*$")

#: Levels, best first, with the words used in explanations.
DOB_LEVELS = {
    "exact": "same date of birth",
    "day_month_swap": "day and month swapped",
    "partial_agree": "agrees as far as the partial date goes",
    "placeholder_agree": "same year; one side has a 01-01 placeholder",
    "day_or_month_typo": "same year, full dates differing only in the day or only in the month (one keying error)",
    "month_differs": "same year, different month (a year-month date)",
    "year_typo": "same day and month, birth year differs by 1 (one keying error)",
    "year_off_by_one": "birth year differs by 1 (a partial or placeholder date)",
    "different_birthday": "full dates differing in two or more parts (different birthdays)",
    "year_off_2_3": "birth year differs by 2-3",
    "year_far": "birth year differs by more than 3",
    "missing": "not on both sides",
}

#: The level names, best first: the order the engine picks the best of several dates by.
DOB_ORDER = tuple(DOB_LEVELS)


@functools.lru_cache(maxsize=65_536)
def parse_date(text: str | None) -> tuple[int, int | None, int | None] | None:
    """'1980', '1980-05', '1980-05-07' (also with / or . or none) -> (year, month, day); None if
    unreadable. Month or day 0 count as unknown. Cached: birth dates repeat (a century of days is
    36,525 dates), and a million-entry list then shares one tuple per date."""
    if not text:
        return None
    match = _DATE.match(str(text))
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    if month is not None and not 1 <= month <= 12:
        month, day = None, None
    if day is not None and not 1 <= day <= 31:
        day = None
    if not 1800 <= year <= 2200:
        return None
    return year, month, day


def _is_placeholder(date: tuple[int, int | None, int | None]) -> bool:
    return date[1] == 1 and date[2] == 1


def _is_full(date: tuple[int, int | None, int | None]) -> bool:
    """Year, month and day known, and not a 01-01 placeholder."""
    return date[1] is not None and date[2] is not None and not _is_placeholder(date)


def compare_dob(a: tuple | None, b: tuple | None) -> str:
    """Level of agreement between two parsed dates (see :data:`DOB_LEVELS`)."""
    if a is None or b is None:
        return "missing"
    year_gap = abs(a[0] - b[0])
    if year_gap:
        if year_gap == 1:
            if _is_full(a) and _is_full(b):
                # a one-digit slip in the year keeps day and month; anything more is another birthday
                return "year_typo" if (a[1], a[2]) == (b[1], b[2]) else "different_birthday"
            return "year_off_by_one"
        if year_gap <= 3:
            return "year_off_2_3"
        return "year_far"
    if a == b and a[1] is not None and a[2] is not None:
        return "exact"
    if a[1] is None or b[1] is None:
        return "partial_agree"
    if a[2] is None or b[2] is None:
        return "partial_agree" if a[1] == b[1] else ("placeholder_agree" if _is_placeholder_month(a, b) else "month_differs")
    if (a[1], a[2]) == (b[2], b[1]):
        return "day_month_swap"
    if _is_placeholder(a) or _is_placeholder(b):
        return "placeholder_agree"
    # both full dates, same year: one part differing is a keying error, both is another birthday
    return "day_or_month_typo" if a[1] == b[1] or a[2] == b[2] else "different_birthday"


def _is_placeholder_month(a: tuple, b: tuple) -> bool:
    return (a[1] == 1 and a[2] in (None, 1)) or (b[1] == 1 and b[2] in (None, 1))
