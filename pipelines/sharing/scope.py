"""Which flights an arrangement covers (domain.md, "Sharing rules", rule 8).

Airports map to ISO 3166 alpha-3 countries through the ``airportsdata`` package. A record is in
scope of an arrangement when its itinerary (an API traveller's flight legs, a PNR's segments):

- is international: a purely domestic itinerary never is (a domestic leg travels only along
  with an international one);
- touches the provider, whose data it is; and
- runs *between* the two parties (touches both), or stops *in transit* in a listed country on a
  journey that begins or ends in one of the parties (or is an API record marked in transit
  through the provider on a flight reaching the recipient), or touches one of the *other
  relevant* airports or countries the arrangement names.

``ScopeIndex`` decides once per record and arrangement; it returns the reason in words (carried in
the shared record) or None.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import airportsdata
import pycountry


@functools.lru_cache(maxsize=1)
def _airports() -> dict[str, str]:
    alpha3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    return {code: alpha3.get(entry["country"], entry["country"]) for code, entry in airportsdata.load("IATA").items()}


def airport_country(code: str | None) -> str | None:
    """ISO alpha-3 country of an IATA airport code, or None when unknown."""
    if not code:
        return None
    return _airports().get(code.strip().upper())


@dataclass(frozen=True)
class Itinerary:
    """The airports of a record's journey in order, with their countries."""

    airports: tuple[str, ...]          # every airport in flying order (departure, arrivals)
    countries: frozenset[str]          # countries touched
    transit_countries: frozenset[str]  # countries of intermediate stops
    unknown_airports: tuple[str, ...]
    marked_in_transit: bool

    @property
    def international(self) -> bool:
        return len(self.countries) > 1


def itinerary_of(legs: list[dict], marked_in_transit: bool = False) -> Itinerary:
    """Itinerary from legs or PNR segments (dicts with departure_airport/arrival_airport)."""
    airports: list[str] = []
    for leg in legs or ():
        for key in ("departure_airport", "arrival_airport"):
            code = (leg.get(key) or "").strip().upper()
            if code and (not airports or airports[-1] != code):
                airports.append(code)
    countries, unknown = [], []
    for code in airports:
        country = airport_country(code)
        (countries.append(country) if country else unknown.append(code))
    transit = frozenset(c for c in (airport_country(a) for a in airports[1:-1]) if c)
    return Itinerary(tuple(airports), frozenset(countries), transit, tuple(unknown), marked_in_transit)


def in_scope(arrangement, itinerary: Itinerary) -> str | None:
    """Why ``itinerary`` falls under ``arrangement`` (a short phrase), or None when it does not."""
    if not itinerary.international or arrangement.provider not in itinerary.countries:
        return None
    countries = itinerary.countries
    if arrangement.between and set(arrangement.between) <= countries:
        return f"between {arrangement.between[0]} and {arrangement.between[1]}"
    parties = {arrangement.provider, arrangement.recipient}
    ends = {airport_country(itinerary.airports[0]), airport_country(itinerary.airports[-1])}
    for country in arrangement.in_transit_through:
        # a stop in a listed country on a journey that begins or ends in one of the two parties
        if country in itinerary.transit_countries and ends & parties:
            return f"in transit through {country}"
        if itinerary.marked_in_transit and country == arrangement.provider and arrangement.recipient in countries:
            return f"in transit through {country} (as reported)"
    for airport in arrangement.other_airports:
        if airport in itinerary.airports:
            return f"other relevant airport {airport}"
    for country in arrangement.other_countries:
        if country in countries:
            return f"other relevant country {country}"
    return None
