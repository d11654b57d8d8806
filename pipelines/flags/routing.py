"""Which Joint Passenger Analysis Units (JPAUs) a candidate match goes to.

Units are configuration (``rules/jpau_units.yaml``), validated on load with errors that name the
file and the key. ``route(candidate, units)`` returns every unit entitled to a flag and no other:
the list owner and category are ones the unit receives, every member country of the unit may
receive hits on the entry (owner or listed in ``receivers``), and a leg of the flight matches one of
the unit's routes. Suppressed candidates reach nobody. No Beam here.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from pipelines import storage
from pipelines.json_values import json_object

__all__ = [
    "ConfigError",
    "TRAVELLER_FIELDS",
    "SEVERITIES",
    "Route",
    "Unit",
    "UnitsConfig",
    "default_config_path",
    "load_units",
    "parse_units",
    "route",
    "is_entitled",
    "flight_legs",
    "airport_country",
]

#: Traveller fields a unit may be allowed to see (the FlagTraveller record of risk_flag.avsc).
TRAVELLER_FIELDS: tuple[str, ...] = (
    "role", "surname", "given_names", "date_of_birth", "sex", "nationality", "residence_country",
    "place_of_birth", "address", "document_type", "document_number", "document_issuing_state",
    "document_expiry_date", "embarkation_airport", "debarkation_airport", "seat", "pnr_locator",
)

#: Severities from lowest to highest.
SEVERITIES: tuple[str, ...] = ("NORMAL", "HIGH", "TOP")

_UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ALPHA3_RE = re.compile(r"^[A-Z]{3}$")
_ROUTE_KEYS = ("from_airports", "to_airports", "from_countries", "to_countries")


class ConfigError(ValueError):
    """The units configuration is invalid; the message names the file and the key."""


@dataclasses.dataclass(frozen=True)
class Route:
    """One leg pattern; an empty condition matches anything, all given conditions must hold on one leg."""

    from_airports: frozenset[str] = frozenset()
    to_airports: frozenset[str] = frozenset()
    from_countries: frozenset[str] = frozenset()
    to_countries: frozenset[str] = frozenset()

    def matches_leg(self, departure_airport: str | None, arrival_airport: str | None) -> bool:
        return (
            _in(self.from_airports, departure_airport)
            and _in(self.to_airports, arrival_airport)
            and _in(self.from_countries, airport_country(departure_airport) if self.from_countries else None)
            and _in(self.to_countries, airport_country(arrival_airport) if self.to_countries else None)
        )


def _in(allowed: frozenset[str], value: str | None) -> bool:
    return not allowed or (value is not None and value.upper() in allowed)


@dataclasses.dataclass(frozen=True)
class Unit:
    """A receiving unit: its key name, entitlements and the traveller fields it may see."""

    unit_id: str
    description: str
    members: tuple[str, ...]
    public_key: str
    suite: str
    list_owners: frozenset[str] | None  # None: any owner
    categories: frozenset[str] | None  # None: any category
    min_severity: str
    routes: tuple[Route, ...]
    traveller_fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class UnitsConfig:
    """The whole file: units by id plus the signing key name and rules version."""

    units: Mapping[str, Unit]
    signing_key: str
    rules_version: str
    partners: Mapping[str, str]  # partner alpha-3 -> suite, for `paxshare keys demo`
    source: str

    def unit(self, unit_id: str) -> Unit:
        return self.units[unit_id]

    @property
    def unit_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.units))


def default_config_path() -> Path:
    """``jpau_units.yaml`` of the installed rules, else the source checkout's ``rules/``."""
    return Path(storage.packaged("default_rules", "jpau_units.yaml"))


def load_units(path: str | Path | None = None) -> UnitsConfig:
    """Read and validate a units file, on any filesystem (default: the packaged
    ``rules/jpau_units.yaml``)."""
    path = str(path) if path is not None else str(default_config_path())
    try:
        text = storage.read_text(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: units configuration not found") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    return parse_units(document, source=str(path))


class _Checker:
    """Small helpers that raise ConfigError naming file and key path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {problem}")

    def mapping(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a mapping, not {type(value).__name__}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must be a non-empty string")
        return value.strip()

    def only_keys(self, value: dict, where: str, allowed: Iterable[str]) -> None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise self.fail(where, f"unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(allowed)})")

    def codes(self, value: Any, where: str, pattern: re.Pattern = _ALPHA3_RE, *, star: bool = False) -> frozenset[str] | None:
        if star and value == "*":
            return None
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list" + (' or "*"' if star else ""))
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not pattern.match(item):
                raise self.fail(f"{where}[{index}]", f"{item!r} is not a valid code")
            result.append(item)
        return frozenset(result)


def parse_units(document: Any, source: str = "units config") -> UnitsConfig:
    """Validate a parsed units document (see ``rules/jpau_units.yaml``)."""
    check = _Checker(source)
    document = check.mapping(document, "top level")
    check.only_keys(document, "top level", ("version", "rules_version", "signing_key", "units", "partners"))
    if document.get("version") != 1:
        raise check.fail("version", f"must be 1, not {document.get('version')!r}")
    from pipelines import crypto

    units_doc = check.mapping(document.get("units"), "units")
    if not units_doc:
        raise check.fail("units", "must define at least one unit")
    units = {str(unit_id): _parse_unit(check, str(unit_id), body, crypto) for unit_id, body in units_doc.items()}
    keys = [unit.public_key for unit in units.values()]
    if len(set(keys)) != len(keys):
        raise check.fail("units", "two units share a public_key; each unit needs its own key")
    partners: dict[str, str] = {}
    for partner, body in check.mapping(document.get("partners") or {}, "partners").items():
        where = f"partners.{partner}"
        if not isinstance(partner, str) or not _ALPHA3_RE.match(partner):
            raise check.fail(where, "partner must be an alpha-3 country code")
        body = check.mapping(body or {}, where)
        check.only_keys(body, where, ("suite",))
        partners[partner] = _suite(check, body.get("suite", crypto.DEFAULT_SUITE), f"{where}.suite", crypto)
    signing_key = check.text(document.get("signing_key"), "signing_key")
    _key_name(check, signing_key, "signing_key", crypto)
    return UnitsConfig(
        units=units,
        signing_key=signing_key,
        rules_version=str(document.get("rules_version") or "unversioned"),
        partners=partners,
        source=source,
    )


def _suite(check: _Checker, value: Any, where: str, crypto) -> str:
    if value not in crypto.SUITES:
        raise check.fail(where, f"{value!r} is not a suite (choose {', '.join(crypto.SUITES)})")
    return value


def _key_name(check: _Checker, value: str, where: str, crypto) -> str:
    try:
        crypto._check_key_id(value)
    except ValueError as error:
        raise check.fail(where, str(error)) from None
    return value


def _parse_unit(check: _Checker, unit_id: str, body: Any, crypto) -> Unit:
    where = f"units.{unit_id}"
    if not _UNIT_ID_RE.match(unit_id):
        raise check.fail(where, "unit id must be lower-case letters, digits and '-' (e.g. jpau-yvr)")
    body = check.mapping(body, where)
    check.only_keys(body, where, ("description", "members", "public_key", "suite", "receives", "routes", "traveller_fields"))
    receives = check.mapping(body.get("receives"), f"{where}.receives")
    check.only_keys(receives, f"{where}.receives", ("list_owners", "categories", "min_severity"))
    min_severity = receives.get("min_severity", "NORMAL")
    if min_severity not in SEVERITIES:
        raise check.fail(f"{where}.receives.min_severity", f"{min_severity!r} is not one of {', '.join(SEVERITIES)}")
    routes_doc = body.get("routes")
    if not isinstance(routes_doc, list) or not routes_doc:
        raise check.fail(f"{where}.routes", "must be a non-empty list of routes")
    routes = tuple(_parse_route(check, f"{where}.routes[{index}]", item) for index, item in enumerate(routes_doc))
    fields_doc = body.get("traveller_fields")
    if not isinstance(fields_doc, list):
        raise check.fail(f"{where}.traveller_fields", "must be a list of field names (may be empty)")
    for index, field in enumerate(fields_doc):
        if field not in TRAVELLER_FIELDS:
            raise check.fail(f"{where}.traveller_fields[{index}]", f"unknown field {field!r} (known: {', '.join(TRAVELLER_FIELDS)})")
    if len(set(fields_doc)) != len(fields_doc):
        raise check.fail(f"{where}.traveller_fields", "lists a field twice")
    members = check.codes(body.get("members"), f"{where}.members")
    return Unit(
        unit_id=unit_id,
        description=str(body.get("description") or unit_id),
        members=tuple(sorted(members or ())),
        public_key=_key_name(check, check.text(body.get("public_key"), f"{where}.public_key"), f"{where}.public_key", crypto),
        suite=_suite(check, body.get("suite", crypto.DEFAULT_SUITE), f"{where}.suite", crypto),
        list_owners=check.codes(receives.get("list_owners"), f"{where}.receives.list_owners", star=True),
        categories=check.codes(receives.get("categories"), f"{where}.receives.categories", re.compile(r"^[A-Z][A-Z0-9_]*$"), star=True),
        min_severity=min_severity,
        routes=routes,
        traveller_fields=tuple(field for field in TRAVELLER_FIELDS if field in fields_doc),
    )


def _parse_route(check: _Checker, where: str, item: Any) -> Route:
    item = check.mapping(item, where)
    check.only_keys(item, where, _ROUTE_KEYS)
    if not item:
        raise check.fail(where, f"a route needs at least one of {', '.join(_ROUTE_KEYS)}")
    parts = {}
    for key in _ROUTE_KEYS:
        if key in item:
            parts[key] = check.codes(item[key], f"{where}.{key}")
            if key.endswith("airports"):
                unknown = sorted(code for code in parts[key] if airport_country(code) is None)
                if unknown:
                    raise check.fail(f"{where}.{key}", f"unknown IATA airport code(s) {', '.join(unknown)}")
    return Route(**parts)


# ------------------------------------------------------------------------------------ routing


@functools.lru_cache(maxsize=4096)
def airport_country(iata: str | None) -> str | None:
    """Alpha-3 country of an IATA airport code (airportsdata), None when unknown."""
    if not iata:
        return None
    airport = airport_facts(iata)
    if not airport:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=airport["country"])
    return country.alpha_3 if country else None


@functools.lru_cache(maxsize=1)
def _airports() -> dict:
    import airportsdata

    return airportsdata.load("IATA")


def airport_facts(iata: str | None) -> dict | None:
    """airportsdata's record of an IATA airport (``country`` alpha-2, ``tz``, name...), None when unknown."""
    return _airports().get(iata.strip().upper()) if iata else None


def _traveller(candidate: Mapping[str, Any]) -> dict:
    return json_object(candidate.get("traveller_json"))


def flight_legs(candidate: Mapping[str, Any]) -> list[tuple[str | None, str | None]]:
    """(departure airport, arrival airport) per leg, from the candidate's traveller record."""
    legs = _traveller(candidate).get("legs") or []
    return [(leg.get("departure_airport"), leg.get("arrival_airport")) for leg in legs if isinstance(leg, Mapping)]


def _severity_rank(severity: str | None) -> int:
    """Unknown or missing severities rank as NORMAL: a risk must not vanish for want of a label."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def is_entitled(candidate: Mapping[str, Any], unit: Unit) -> bool:
    """Whether ``unit`` may receive a flag for ``candidate`` (see the module docstring)."""
    if candidate.get("suppressed_by"):
        return False
    owner = candidate.get("list_owner")
    if unit.list_owners is not None and owner not in unit.list_owners:
        return False
    if unit.categories is not None and candidate.get("category") not in unit.categories:
        return False
    if _severity_rank(candidate.get("severity")) < SEVERITIES.index(unit.min_severity):
        return False
    consented = set(candidate.get("receivers") or ()) | {owner}
    if not set(unit.members) <= consented:
        return False
    legs = flight_legs(candidate)
    return any(r.matches_leg(departure, arrival) for r in unit.routes for departure, arrival in legs)


def route(candidate: Mapping[str, Any], units: UnitsConfig | Mapping[str, Unit] | Iterable[Unit]) -> list[str]:
    """Ids of every unit entitled to a flag for ``candidate``, sorted; empty when none is."""
    if isinstance(units, UnitsConfig):
        unit_list: Iterable[Unit] = units.units.values()
    elif isinstance(units, Mapping):
        unit_list = units.values()
    else:
        unit_list = units
    return sorted(unit.unit_id for unit in unit_list if is_entitled(candidate, unit))
