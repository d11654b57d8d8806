"""Country codes: alpha-2 and alpha-3 (and Doc 9303's ``D`` for Germany) to alpha-3."""

from __future__ import annotations

import functools

import pycountry

__all__ = ["to_alpha3"]

_SPECIAL = {"D": "DEU", "D<<": "DEU", "UK": "GBR", "EL": "GRC"}


@functools.lru_cache(maxsize=2048)
def to_alpha3(code: str | None) -> str | None:
    """'us' -> 'USA', 'CAN' -> 'CAN', 'D' -> 'DEU'; unknown 3-letter codes (Doc 9303 specials such
    as XXA) are kept as given; empty -> None."""
    if not code:
        return None
    code = code.strip().upper()
    if not code:
        return None
    if code in _SPECIAL:
        return _SPECIAL[code]
    if len(code) == 2:
        country = pycountry.countries.get(alpha_2=code)
        return country.alpha_3 if country else code
    return code
