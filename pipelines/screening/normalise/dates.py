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

__all__ = ["parse_date", "compare_dob", "dob_level", "DOB_LEVELS", "DOB_ORDER"]

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


def compare_dob(a: tuple | None, b: tuple | None) -> str:
    """Level of agreement between two parsed dates (see :data:`DOB_LEVELS`)."""
    if a is None or b is None:
        return "missing"
    return DOB_ORDER[dob_level(a[0], a[1] or 0, a[2] or 0, b[0], b[1] or 0, b[2] or 0)]


# level positions in DOB_ORDER (dob_level returns them)
_EXACT, _SWAP, _PARTIAL, _PLACEHOLDER, _DAY_OR_MONTH, _MONTH_DIFFERS, _YEAR_TYPO, _YEAR_OFF_BY_ONE, _DIFFERENT, \
    _YEAR_OFF_2_3, _YEAR_FAR = range(11)
assert DOB_ORDER[_YEAR_FAR] == "year_far" and DOB_ORDER[_SWAP] == "day_month_swap"


def dob_level(a_year: int, a_month: int, a_day: int, b_year: int, b_month: int, b_day: int) -> int:
    """:func:`compare_dob` on the parts of two dates (0: month or day unknown), as the position of
    the level in :data:`DOB_ORDER`. The one definition of the levels: plain integer code that the
    compiled screening path compiles as it is (``numba.njit``), so both engines agree by
    construction (it calls nothing, for that reason)."""
    gap = abs(a_year - b_year)
    if gap:
        if gap == 1:
            # full dates (month and day known, not a 01-01 placeholder): a one-digit slip in the
            # year keeps day and month; anything more is another birthday
            a_full = a_month != 0 and a_day != 0 and not (a_month == 1 and a_day == 1)
            b_full = b_month != 0 and b_day != 0 and not (b_month == 1 and b_day == 1)
            if a_full and b_full:
                return _YEAR_TYPO if (a_month == b_month and a_day == b_day) else _DIFFERENT
            return _YEAR_OFF_BY_ONE
        if gap <= 3:
            return _YEAR_OFF_2_3
        return _YEAR_FAR
    if a_month == b_month and a_day == b_day and a_month != 0 and a_day != 0:
        return _EXACT
    if a_month == 0 or b_month == 0:
        return _PARTIAL
    if a_day == 0 or b_day == 0:
        if a_month == b_month:
            return _PARTIAL
        if (a_month == 1 and a_day <= 1) or (b_month == 1 and b_day <= 1):
            return _PLACEHOLDER  # a 01 or 01-01 placeholder month
        return _MONTH_DIFFERS
    if a_month == b_day and a_day == b_month:
        return _SWAP
    if (a_month == 1 and a_day == 1) or (b_month == 1 and b_day == 1):
        return _PLACEHOLDER
    # both full dates, same year: one part differing is a keying error, both is another birthday
    return _DAY_OR_MONTH if (a_month == b_month or a_day == b_day) else _DIFFERENT

