"""Airports, carriers and routes: where the generated flights go, and when.

Airports come from the ``airportsdata`` package (IATA code, country, time zone, position), limited
to the list in ``data/airports.csv`` with its traffic weights. Carriers (``data/carriers.csv``) are
real IATA designators with their home country, hubs, the markets they fly to from there and, for
foreign carriers, their North American gateways. ``data/multileg_routes.csv`` lists through
flights with intermediate stops, some of which only transit a partner country.

Leg times are computed in UTC from great-circle distance and shown in each airport's local time
with ``zoneinfo``, so local and UTC times agree across time zones and daylight-saving changes.
"""

from __future__ import annotations

import bisect
import csv
import functools
import math
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from random import Random
from zoneinfo import ZoneInfo

import airportsdata
import pycountry

from pipelines.generate.names import data_path

#: The partner countries whose API/PNR this project exchanges.
PARTNERS = ("USA", "CAN", "MEX")

UTC = timezone.utc


@dataclass(frozen=True)
class Airport:
    iata: str
    country: str       # ISO 3166 alpha-3
    tz: ZoneInfo
    lat: float
    lon: float
    city: str
    region: str


@dataclass(frozen=True)
class Carrier:
    code: str
    icao: str
    name: str
    country: str
    accounting: str    # 3-digit airline prefix used on tickets and bag tags
    weight: float
    hubs: tuple[str, ...]
    markets: tuple[tuple[str, float], ...]
    dests: tuple[str, ...]
    operators: tuple[str, ...]
    ff_program: str


@dataclass(frozen=True)
class Leg:
    departure: Airport
    arrival: Airport
    dep_utc: datetime
    arr_utc: datetime

    @property
    def dep_local(self) -> datetime:
        return self.dep_utc.astimezone(self.departure.tz)

    @property
    def arr_local(self) -> datetime:
        return self.arr_utc.astimezone(self.arrival.tz)


@dataclass
class FlightPlan:
    """A scheduled flight on one day: carrier, number and legs in flying order."""

    carrier: Carrier
    number: str
    operating_carrier: str | None
    legs: list[Leg]
    in_transit: bool
    long_haul: bool

    @property
    def airports(self) -> list[Airport]:
        return [self.legs[0].departure] + [leg.arrival for leg in self.legs]

    @property
    def departure_day(self) -> date:
        return self.legs[0].dep_local.date()


def local_text(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM`` (local time, no offset)."""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}"


def utc_text(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MMZ``."""
    m = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}Z"


class Weighted:
    """Draw from items with weights in O(log n) using one ``random()`` call."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        self.items = []
        self.cum = []
        total = 0.0
        for item, weight in pairs:
            if weight <= 0:
                continue
            total += float(weight)
            self.items.append(item)
            self.cum.append(total)
        if not self.items:
            raise ValueError("nothing to draw from")
        self.total = total

    def draw(self, rng: Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def alpha3(alpha2: str) -> str:
    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        raise KeyError(f"unknown country {alpha2!r}")
    return country.alpha_3


class World:
    """Everything a flight is drawn from, loaded once per process."""

    def __init__(self):
        raw = airportsdata.load("IATA")
        zones: dict[str, ZoneInfo] = {}
        self._raw = raw
        self._zones = zones
        self.airports: dict[str, Airport] = {}
        weights: dict[str, float] = {}
        with data_path("airports.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                weights[row["iata"]] = float(row["weight"])
                self.airport(row["iata"])
        self.by_country: dict[str, Weighted] = {}
        grouped: dict[str, list] = {}
        for code, weight in weights.items():
            grouped.setdefault(self.airports[code].country, []).append((code, weight))
        for country, pairs in grouped.items():
            self.by_country[country] = Weighted(pairs)
        self.carriers: dict[str, Carrier] = {}
        with data_path("carriers.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                markets = tuple((m.split(":")[0], float(m.split(":")[1])) for m in row["markets"].split())
                carrier = Carrier(row["code"], row["icao"], row["name"], row["country"], row["accounting"],
                                  float(row["weight"]), tuple(row["hubs"].split()), markets,
                                  tuple(row["dests"].split()), tuple(row["operators"].split()), row["ff_program"])
                for code in carrier.hubs + carrier.dests:
                    self.airport(code)
                self.carriers[carrier.code] = carrier
        self.carrier_draw = Weighted((c, c.weight) for c in self.carriers.values())
        self.multileg: list[tuple[Carrier, tuple[str, ...]]] = []
        with data_path("multileg_routes.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                codes = tuple(row["airports"].split())
                for code in codes:
                    self.airport(code)
                self.multileg.append((self.carriers[row["carrier"]], codes))
        self.partner_airports = {c: self.by_country[c] for c in PARTNERS}

    def airport(self, code: str) -> Airport:
        found = self.airports.get(code)
        if found is None:
            row = self._raw[code]
            zone = self._zones.get(row["tz"])
            if zone is None:
                zone = self._zones[row["tz"]] = ZoneInfo(row["tz"])
            found = Airport(code, alpha3(row["country"]), zone, float(row["lat"]), float(row["lon"]),
                            row["city"].upper(), row["subd"].upper())
            self.airports[code] = found
        return found

    def carriers_of(self, country: str) -> list[Carrier]:
        return [c for c in self.carriers.values() if c.country == country]


@functools.lru_cache(maxsize=1)
def world() -> World:
    return World()


def distance_km(a: Airport, b: Airport) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


_BLOCK_MINUTES: dict[tuple[str, str], int] = {}


def block_minutes(a: Airport, b: Airport) -> int:
    """Scheduled block time: cruise at ~820 km/h plus 35 minutes, rounded to 5 minutes."""
    key = (a.iata, b.iata)
    minutes = _BLOCK_MINUTES.get(key)
    if minutes is None:
        minutes = _BLOCK_MINUTES[key] = int(round((distance_km(a, b) / 820.0 * 60.0 + 35.0) / 5.0)) * 5
    return minutes


_DEPARTURE_HOURS = Weighted([(h, w) for h, w in zip(range(24), (
    1, 0.5, 0.2, 0.2, 0.3, 1, 4, 6, 7, 6, 5, 5, 5, 5, 5, 5, 6, 6, 6, 5, 4, 3, 3, 2))])


def _route_key(carrier: str, codes) -> int:
    return zlib.crc32(("-".join([carrier, *codes])).encode("ascii"))


_FLIGHT_NUMBERS: dict[tuple, str] = {}


def flight_number(carrier: Carrier, codes: tuple[str, ...], regional: bool) -> str:
    """A stable number for the carrier on this route: even one way (the alphabetically first
    end to the other), odd on the way back, as many carriers number their rotations."""
    key = (carrier.code, codes, regional)
    number = _FLIGHT_NUMBERS.get(key)
    if number is None:
        number = _FLIGHT_NUMBERS[key] = _flight_number(carrier, codes, regional)
    return number


def _flight_number(carrier: Carrier, codes: tuple[str, ...], regional: bool) -> str:
    forward = tuple(codes) <= tuple(reversed(codes))
    key = _route_key(carrier.code, codes if forward else tuple(reversed(codes)))
    if regional:
        base = 3000 + 2 * (key % 1900)
    elif carrier.country in PARTNERS:
        base = 2 + 2 * (key % 990)
    else:
        base = 2 + 2 * (key % 450)
    return str(base if forward else base + 1)


def draw_route(rng: Random, w: World, multileg_rate: float) -> tuple[Carrier, tuple[str, ...]]:
    """Carrier and airports (in flying order) of a flight touching a partner country."""
    if rng.random() < multileg_rate:
        carrier, codes = w.multileg[int(rng.random() * len(w.multileg))]
        return carrier, (codes if rng.random() < 0.5 else tuple(reversed(codes)))
    carrier = w.carrier_draw.draw(rng)
    market = Weighted(carrier.markets).draw(rng)
    hub = carrier.hubs[int(rng.random() * len(carrier.hubs))]
    if market in PARTNERS:
        other = hub
        for _ in range(8):
            other = w.by_country[market].draw(rng)
            if other != hub:
                break
    else:  # INTL from a partner carrier's hub, or NA gateways of a foreign carrier
        other = carrier.dests[int(rng.random() * len(carrier.dests))]
    if other == hub:
        other = carrier.dests[0] if carrier.dests else w.by_country["USA"].draw(rng)
    return carrier, ((hub, other) if rng.random() < 0.5 else (other, hub))


def make_flight(rng: Random, w: World, day: date, multileg_rate: float = 0.07) -> FlightPlan:
    """A flight departing (local time at its origin) on ``day``."""
    carrier, codes = draw_route(rng, w, multileg_rate)
    airports = [w.airport(c) for c in codes]
    hour = _DEPARTURE_HOURS.draw(rng)
    minute = 5 * int(rng.random() * 12)
    start_local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=airports[0].tz)
    # Round-trip through UTC so a local time that does not exist (DST gap) is normalised.
    dep = start_local.astimezone(UTC)
    legs = []
    for a, b in zip(airports, airports[1:]):
        arr = dep + timedelta(minutes=block_minutes(a, b))
        legs.append(Leg(a, b, dep, arr))
        dep = arr + timedelta(minutes=55 + 5 * int(rng.random() * 10))
    regional = (len(codes) == 2 and bool(carrier.operators) and carrier.country in PARTNERS
                and all(a.country in PARTNERS for a in airports) and rng.random() < 0.3)
    number = flight_number(carrier, codes, regional)
    operating = carrier.operators[int(rng.random() * len(carrier.operators))] if regional else None
    if rng.random() < 0.01:
        number += "A"  # re-timed or extra section
    origin_country, final_country = airports[0].country, airports[-1].country
    in_transit = any(a.country in PARTNERS and a.country != origin_country and a.country != final_country
                     for a in airports[1:-1])
    long_haul = sum(distance_km(leg.departure, leg.arrival) for leg in legs) > 4000
    return FlightPlan(carrier, number, operating, legs, in_transit, long_haul)


def transit_stops(plan: FlightPlan) -> set[int]:
    """Indexes (into ``plan.airports``) of intermediate stops in a partner country that is neither
    the origin's nor the final destination's: passengers flying through them are in transit."""
    airports = plan.airports
    first, last = airports[0].country, airports[-1].country
    return {i for i in range(1, len(airports) - 1)
            if airports[i].country in PARTNERS and airports[i].country not in (first, last)}
