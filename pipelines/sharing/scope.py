"""Which flights an arrangement covers (domain.md, "Sharing rules", rule 8).

Airports map to ISO 3166 alpha-3 countries through the ``airportsdata`` package. A record is in
scope of an arrangement when its itinerary (an API traveller's flight legs, a PNR's segments):

- is international: a purely domestic itinerary never is (a domestic leg travels only along
  with an international one);
- touches the provider, whose data it is; and
- enters or departs the recipient's territory (runs *between* the two parties, possibly *in
  transit* through one of them), or touches one of the *other relevant* airports or third
  countries the arrangement names explicitly.

A transit stop alone never admits a journey: ICN-ANC-ORD stops in the US but never touches
Mexico, so no US-Mexico arrangement covers it (the Smart Border and Border Partnership plans
cover flights between the two countries, including travellers in transit through one of them to
or from the other).

``in_scope`` decides once per record and arrangement; it returns the admitting rule in words,
with the rules key it comes from (carried in the shared record and its audit entry), or None.
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
    """Which rule of ``arrangement`` admits ``itinerary`` (a short phrase naming it), or None.

    The journey must touch the provider, whose data it is, and be international. Then it is in
    scope only when it enters or departs the *recipient's* territory (a stop there counts) or when
    the arrangement names it explicitly as an "other relevant" flight (an airport or a third
    country on the journey). A stop in a transit country never admits on its own a journey that
    never reaches the recipient: SYD-HNL-SFO-IAD is not a US-Mexico flight.
    """
    if not itinerary.international or arrangement.provider not in itinerary.countries:
        return None
    countries = itinerary.countries
    recipient = arrangement.recipient
    if recipient in countries:
        ends = {airport_country(itinerary.airports[0]), airport_country(itinerary.airports[-1])}
        parties = {arrangement.provider, recipient}
        for country in arrangement.in_transit_through:
            # the recipient's or the provider's territory reached only as an intermediate stop
            if country in parties and country in itinerary.transit_countries and country not in ends:
                return f"in transit through {country} (scope.flights.in_transit_through)"
        if itinerary.marked_in_transit and arrangement.provider in arrangement.in_transit_through:
            return f"in transit through {arrangement.provider} as reported (scope.flights.in_transit_through)"
        if arrangement.between:
            return f"between {arrangement.between[0]} and {arrangement.between[1]} (scope.flights.between)"
    for airport in arrangement.other_airports:
        if airport in itinerary.airports:
            return f"other relevant airport {airport} (scope.flights.other_relevant.airports)"
    for country in arrangement.other_countries:
        if country in countries:
            return f"other relevant country {country} (scope.flights.other_relevant.countries)"
    return None
