"""Sharing arrangements: one YAML document per bilateral arrangement in ``rules/``.

An arrangement says who gives what to whom, why, under which conditions and for how long. It is
loaded with line numbers kept (PyYAML's node marks), validated completely, and every problem is
reported as ``FILE:LINE: message`` so a privacy officer can fix the document without reading code.
Paths in ``fields`` are checked against the Avro source schemas (see ``paths``).

Files the loader skips: ``partners.yaml`` (the partner registry, loaded by ``load_partners``)
and ``jpau_units.yaml`` (the flags area's unit registry). Any other ``*.yaml`` file must be an
arrangement (``format: paxshare-arrangement/1``), so that a misspelt one is reported, not ignored.

The document format is described in ``docs/sharing.md``; ``rules/usa-can.yaml`` is a full example.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from pipelines import storage
from pipelines.yaml_lines import load_yaml_with_lines
from pipelines.sharing.paths import schema_paths, suggest
from pipelines.sharing.sensitive import FREE_TEXT_POLICIES, SCREEN_REMOVED

FORMAT = "paxshare-arrangement/1"
#: Files in a rules directory that are not arrangements.
NOT_ARRANGEMENTS = frozenset({"partners.yaml", "jpau_units.yaml", "own-stores.yaml"})
TREATMENTS = ("keep", "drop", "mask", "generalise", "pseudonym")
DATA_KINDS = ("API", "PNR")
PERSON_KINDS = ("PASSENGER", "CREW")
SHARING_MODES = ("all", "flagged_only")
DOMESTIC_LEGS = ("only_with_international_leg",)
ONWARD = ("prohibited", "case_by_case_with_consent")
CLOCKS = ("departure", "shared")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdwy])\s*$")
_UNIT_HOURS = {"h": 1.0, "d": 24.0, "w": 168.0, "y": 24.0 * 365}
_ID = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,63}$")
_CLOCK_TIME = re.compile(r"^\s*(\d{2}):(\d{2})\s*$")


class RulesError(ValueError):
    """One or more problems in a rules directory; ``problems`` lists them as ``Problem``s."""

    def __init__(self, problems: list["Problem"]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Treatment:
    """What happens to one allowed field: keep, drop, mask, generalise or pseudonym."""

    path: str
    kind: str
    keep_last: int = 0
    to: str = "year"


@dataclass(frozen=True)
class MaskStep:
    """One depersonalisation step: after ``after_hours`` mask these paths (per data kind)."""

    after_hours: float
    paths: dict[str, tuple[str, ...]]
    label: str


@dataclass(frozen=True)
class Arrangement:
    """One bilateral arrangement as loaded and validated."""

    id: str
    version: int
    title: str
    provider: str
    recipient: str
    effective_from: str
    legal_basis: str
    references: tuple[str, ...]
    purpose: str
    purpose_categories: tuple[str, ...]
    between: tuple[str, ...]
    in_transit_through: tuple[str, ...]
    other_countries: tuple[str, ...]
    other_airports: tuple[str, ...]
    data: tuple[str, ...]
    persons: tuple[str, ...]
    sharing_mode: str
    pseudonym_key: str
    free_text: str
    extra_ssr_codes: tuple[str, ...]
    extra_terms: tuple[str, ...]
    fields: dict[str, tuple[Treatment, ...]]
    depersonalisation: tuple[MaskStep, ...]
    delete_after_hours: float
    retention_clock: str
    flagged_exception: bool
    onward_transfer: str
    onward_marking: str
    source_file: str
    digest: str
    #: minutes after midnight UTC at which a stream pushes this arrangement's records (``cadence:
    #: push_at``), sorted; empty: once per window (batch: once per run, whatever the cadence)
    push_minutes: tuple[int, ...] = ()

    def next_push(self, after: datetime) -> datetime | None:
        """The first push time strictly after ``after`` (UTC), or None for a per-window cadence."""
        return next_push(self.push_minutes, after)

    @property
    def rules_version(self) -> str:
        """``ID@vN`` as carried in shared records and audit entries."""
        return f"{self.id}@v{self.version}"

    def allowed_paths(self, kind: str) -> tuple[str, ...]:
        return tuple(t.path for t in self.fields.get(kind, ()) if t.kind != "drop")


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    key_name: str


# --------------------------------------------------------------------------------------------
# Reading documents (YAML with line numbers: pipelines.yaml_lines)


class _Doc:
    """Helper reading a loaded document while collecting problems with their lines."""

    def __init__(self, data: Any, lines: dict[tuple, int], file: str, problems: list[Problem]):
        self.data, self.lines, self.file, self.problems = data, lines, file, problems

    def line(self, path: tuple) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(self.file, self.line(path), message))

    def get(self, path: tuple, default: Any = ..., types: type | tuple = object) -> Any:
        node = self.data
        for key in path:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            else:
                if default is ...:
                    self.error(path[:-1], f"missing required key '{'.'.join(map(str, path))}'")
                    return None
                return default
        if node is not None and not isinstance(node, types):
            names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
            self.error(path, f"'{'.'.join(map(str, path))}' must be {names}, not {type(node).__name__}")
            return None if default is ... else default
        return node

    def text(self, path: tuple, default: Any = ...) -> str:
        value = self.get(path, default, (str, int, float))
        return "" if value is None else str(value).strip()

    def str_list(self, path: tuple, allowed: tuple | None = None, upper: bool = True) -> tuple[str, ...]:
        values = self.get(path, [], list) or []
        out = []
        for index, item in enumerate(values):
            if not isinstance(item, (str, int)):
                self.error(path + (index,), f"expected a string in '{'.'.join(map(str, path))}'")
                continue
            item = str(item).strip()
            item = item.upper() if upper else item
            if allowed is not None and item not in allowed:
                self.error(path + (index,), f"'{item}' is not one of {', '.join(allowed)}")
                continue
            out.append(item)
        return tuple(out)

    def unknown_keys(self, path: tuple, allowed: set[str]) -> None:
        mapping = self.get(path, {}, dict) if path else self.data
        for key in (mapping or {}):
            if key not in allowed:
                self.error(path + (key, "<key>"), f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})")


def next_push(push_minutes: tuple[int, ...], after: datetime) -> datetime | None:
    """The first of the daily push times (minutes after midnight UTC) strictly after ``after``."""
    if not push_minutes:
        return None
    after = after.astimezone(timezone.utc) if after.tzinfo else after.replace(tzinfo=timezone.utc)
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in (0, 1):
        for minute in push_minutes:
            when = midnight + timedelta(days=day, minutes=minute)
            if when > after:
                return when
    raise AssertionError("unreachable: a push time comes within a day")


def _push_minutes(doc: "_Doc") -> tuple[int, ...]:
    """``cadence.push_at``: daily UTC times ``HH:MM`` at which the stream pushes the records."""
    doc.unknown_keys(("cadence",), {"push_at"})
    if doc.get(("cadence",), None, dict) is None:
        return ()
    values = doc.get(("cadence", "push_at"), types=list)
    if not values:
        if values is not None:
            doc.error(("cadence", "push_at"), "cadence.push_at must name at least one time of day (UTC, 'HH:MM')")
        return ()
    minutes: list[int] = []
    for index, value in enumerate(values):
        where = ("cadence", "push_at", index)
        if isinstance(value, int) and not isinstance(value, bool):
            doc.error(where, "write push times in quotes, e.g. '18:00': unquoted, YAML reads 18:00 as a number (1080)")
            continue
        match = _CLOCK_TIME.match(str(value))
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            doc.error(where, f"push time {value!r} is not a UTC time of day 'HH:MM' (00:00 to 23:59)")
            continue
        minute = int(match.group(1)) * 60 + int(match.group(2))
        if minute in minutes:
            doc.error(where, f"push time {value!r} is given twice")
            continue
        minutes.append(minute)
    return tuple(sorted(minutes))


def parse_duration(text: Any) -> float | None:
    """``72h``, ``30d``, ``26w``, ``3.5y`` -> hours; None if not a duration."""
    match = _DURATION.match(str(text))
    if not match:
        return None
    return float(match.group(1)) * _UNIT_HOURS[match.group(2)]


def _country_code(code: str) -> bool:
    import pycountry

    return len(code) == 3 and pycountry.countries.get(alpha_3=code) is not None


def _airport_ok(code: str) -> bool:
    return _airport_country(code) is not None


def _airport_country(code: str) -> str | None:
    from pipelines.sharing.scope import airport_country

    return airport_country(code)


# --------------------------------------------------------------------------------------------
# arrangement parsing

_TOP_KEYS = {
    "format", "id", "version", "title", "provider", "recipient", "effective_from", "legal_basis",
    "purpose", "scope", "sharing_mode", "pseudonym_key", "sensitive", "fields",
    "depersonalisation", "retention", "onward_transfer", "notes", "cadence",
}


def _treatment(doc: _Doc, kind: str, path: str, spec: Any) -> Treatment | None:
    where = ("fields", kind.lower(), path)
    info = schema_paths(kind).get(path)
    if info is None:
        hint = suggest(path, kind)
        doc.error(where + ("<key>",), f"'{path}' is not a field of the {kind} schema"
                  + (f" (did you mean '{hint}'?)" if hint else ""))
        return None
    options: dict = {}
    if isinstance(spec, str):
        name = spec.strip()
    elif isinstance(spec, dict):
        name = str(spec.get("treatment", "")).strip()
        options = {k: v for k, v in spec.items() if k != "treatment"}
        for key in options:
            if key not in ("keep_last", "to"):
                doc.error(where + (key, "<key>"), f"unknown treatment option '{key}' (keep_last, to)")
    else:
        doc.error(where, f"treatment of '{path}' must be a name or a mapping with 'treatment'")
        return None
    if name not in TREATMENTS:
        doc.error(where, f"unknown treatment '{name}' for '{path}' (one of: {', '.join(TREATMENTS)})")
        return None
    if name in ("mask", "generalise", "pseudonym") and not info.is_leaf:
        doc.error(where, f"'{name}' applies to a single value; '{path}' is a {info.kind.replace('_', ' ')}")
        return None
    if name in ("mask", "generalise", "pseudonym") and info.avro_type not in ("string",):
        doc.error(where, f"'{name}' applies to text fields; '{path}' is {info.avro_type}")
        return None
    if name == "generalise":
        leaf = path.rsplit(".", 1)[-1]
        if "date" not in leaf and not leaf.endswith(("_local", "_utc")):
            doc.error(where, f"'generalise' turns dates into a year or month; '{path}' is not a date")
            return None
        to = str(options.get("to", "year"))
        if to not in ("year", "year_month"):
            doc.error(where + ("to",), f"generalise 'to' must be year or year_month, not '{to}'")
            return None
        return Treatment(path, name, to=to)
    keep_last = options.get("keep_last", 0)
    if not isinstance(keep_last, int) or not 0 <= keep_last <= 4 or (keep_last and name != "mask"):
        doc.error(where + ("keep_last",), "keep_last is for 'mask' only and must be 0 to 4")
        keep_last = 0
    return Treatment(path, name, keep_last=keep_last)


def _mask_paths(doc: _Doc, path: tuple, fields: dict[str, tuple[Treatment, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for index, item in enumerate(doc.get(path, [], list) or []):
        item = str(item).strip()
        kinds = [k for k in DATA_KINDS if item in schema_paths(k)]
        if not kinds:
            doc.error(path + (index,), f"'{item}' is not a field of the API or PNR schema")
            continue
        for kind in kinds:
            sent = {t.path: t for t in fields.get(kind, ())}
            if item not in sent or sent[item].kind == "drop":
                doc.error(path + (index,), f"'{item}' is masked here but never sent under fields.{kind.lower()}")
            elif not schema_paths(kind)[item].is_leaf:
                doc.error(path + (index,), f"only single values can be masked; '{item}' is a {schema_paths(kind)[item].kind}")
            else:
                out.setdefault(kind, []).append(item)
    return {k: tuple(v) for k, v in out.items()}


def parse_arrangement(text: str, file: str) -> tuple[Arrangement | None, list[Problem]]:
    """Parse and validate one arrangement document; the arrangement is None when it has problems."""
    problems: list[Problem] = []
    try:
        data, lines = load_yaml_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(file, mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [Problem(file, 1, "an arrangement must be a YAML mapping")]
    doc = _Doc(data, lines, file, problems)
    if data.get("format") != FORMAT:
        doc.error(("format",), f"'format' must be '{FORMAT}'")
    doc.unknown_keys((), _TOP_KEYS)
    ident = doc.text(("id",))
    if ident and not _ID.match(ident):
        doc.error(("id",), f"id '{ident}' must be upper-case letters, digits, '-' or '_'")
    version = doc.get(("version",), types=int)
    if isinstance(version, int) and version < 1:
        doc.error(("version",), "version must be 1 or more")
    provider, recipient = doc.text(("provider",)).upper(), doc.text(("recipient",)).upper()
    for key, code in (("provider", provider), ("recipient", recipient)):
        if code and not _country_code(code):
            doc.error((key,), f"{key} '{code}' is not an ISO 3166 alpha-3 country code")
    if provider and provider == recipient:
        doc.error(("recipient",), "provider and recipient must differ")
    legal = doc.text(("legal_basis", "text"))
    refs = doc.str_list(("legal_basis", "references"), upper=False)
    if not refs:
        doc.error(("legal_basis",), "legal_basis.references must cite at least one instrument")
    purpose = doc.text(("purpose", "text"))
    categories = doc.str_list(("purpose", "categories"), upper=False)

    # scope
    doc.unknown_keys(("scope",), {"flights", "data", "persons"})
    doc.unknown_keys(("scope", "flights"), {"between", "in_transit_through", "other_relevant", "domestic_legs"})
    between = doc.str_list(("scope", "flights", "between"))
    transit = doc.str_list(("scope", "flights", "in_transit_through"))
    other_c = doc.str_list(("scope", "flights", "other_relevant", "countries"))
    other_a = doc.str_list(("scope", "flights", "other_relevant", "airports"))
    for key, codes in (("between", between), ("in_transit_through", transit)):
        for index, code in enumerate(codes):
            if not _country_code(code):
                doc.error(("scope", "flights", key, index), f"'{code}' is not an ISO 3166 alpha-3 country code")
    for index, code in enumerate(other_c):
        if code in (provider, recipient):
            # naming a party as "other relevant" would admit every international journey through it
            doc.error(("scope", "flights", "other_relevant", "countries", index),
                      f"'{code}' is a party to the arrangement: 'other relevant' names third countries "
                      "(flights between the parties are covered by 'between')")
        elif not _country_code(code):
            doc.error(("scope", "flights", "other_relevant", "countries", index), f"'{code}' is not an ISO 3166 alpha-3 country code")
    for index, code in enumerate(other_a):
        if not _airport_ok(code):
            doc.error(("scope", "flights", "other_relevant", "airports", index), f"'{code}' is not a known IATA airport")
        elif _airport_country(code) == provider:
            # every journey through the provider's own airport would reach the recipient
            doc.error(("scope", "flights", "other_relevant", "airports", index),
                      f"'{code}' is an airport of the provider {provider}: naming it would share every "
                      f"journey through it with {recipient}; name airports outside {provider}")
    if between and (len(between) != 2 or set(between) != {provider, recipient}):
        doc.error(("scope", "flights", "between"), f"'between' must name the two parties, {provider} and {recipient}")
    if not (between or transit or other_c or other_a):
        doc.error(("scope", "flights"), "scope.flights names no flights: give between, in_transit_through or other_relevant")
    domestic = doc.text(("scope", "flights", "domestic_legs"), "only_with_international_leg")
    if domestic not in DOMESTIC_LEGS:
        doc.error(("scope", "flights", "domestic_legs"), f"domestic_legs must be one of {', '.join(DOMESTIC_LEGS)}")
    data_kinds = doc.str_list(("scope", "data"), DATA_KINDS)
    persons = doc.str_list(("scope", "persons"), PERSON_KINDS)
    if not data_kinds:
        doc.error(("scope", "data"), "scope.data must list API and/or PNR")
    if not persons:
        doc.error(("scope", "persons"), "scope.persons must list PASSENGER and/or CREW")

    mode = doc.text(("sharing_mode",))
    if mode and mode not in SHARING_MODES:
        doc.error(("sharing_mode",), f"sharing_mode must be one of {', '.join(SHARING_MODES)}")
    pseudonym_key = doc.text(("pseudonym_key",))
    if pseudonym_key and ("/" in pseudonym_key or pseudonym_key.startswith(".")):
        doc.error(("pseudonym_key",), "pseudonym_key is a file name inside the keys directory, not a path")

    doc.unknown_keys(("sensitive",), {"free_text", "extra_ssr_codes", "extra_terms"})
    free_text = doc.text(("sensitive", "free_text"), "drop")
    if free_text == "screen":
        doc.error(("sensitive", "free_text"), SCREEN_REMOVED)
    elif free_text not in FREE_TEXT_POLICIES:
        doc.error(("sensitive", "free_text"), f"sensitive.free_text must be one of {', '.join(FREE_TEXT_POLICIES)}")
    extra_codes = doc.str_list(("sensitive", "extra_ssr_codes"))
    extra_terms = doc.str_list(("sensitive", "extra_terms"))
    if extra_terms:
        doc.error(("sensitive", "extra_terms"), "sensitive.extra_terms is no longer used: free text is always dropped")

    # fields
    fields: dict[str, tuple[Treatment, ...]] = {}
    doc.unknown_keys(("fields",), {"api", "pnr"})
    for kind in DATA_KINDS:
        spec = doc.get(("fields", kind.lower()), {}, dict) or {}
        if kind in data_kinds and not spec:
            doc.error(("fields",), f"scope.data includes {kind} but fields.{kind.lower()} lists no field")
        if spec and kind not in data_kinds:
            doc.error(("fields", kind.lower(), "<key>"), f"fields.{kind.lower()} given but {kind} is not in scope.data")
        treatments = [t for path, value in spec.items() if (t := _treatment(doc, kind, str(path), value))]
        for t in treatments:  # a whole subtree and one of its fields cannot both be listed
            for other in treatments:
                if other.path != t.path and other.path.startswith(t.path + ".") and t.kind != "drop":
                    doc.error(("fields", kind.lower(), other.path, "<key>"),
                              f"'{other.path}' is inside '{t.path}', which is already sent whole")
        fields[kind] = tuple(treatments)

    # depersonalisation and retention
    steps = []
    previous = -1.0
    for index, step in enumerate(doc.get(("depersonalisation",), [], list) or []):
        where = ("depersonalisation", index)
        if not isinstance(step, dict):
            doc.error(where, "each depersonalisation step is a mapping with 'after' and 'mask'")
            continue
        doc.unknown_keys(where, {"after", "mask", "label"})
        hours = parse_duration(step.get("after"))
        if hours is None:
            doc.error(where + ("after",), f"'after' must be a duration like 72h, 30d, 26w or 2y, not {step.get('after')!r}")
            continue
        if hours <= previous:
            doc.error(where + ("after",), "depersonalisation steps must be in increasing order of 'after'")
        previous = hours
        paths = _mask_paths(doc, where + ("mask",), fields)
        steps.append(MaskStep(hours, paths, str(step.get("label") or f"mask after {step.get('after')}")))
    doc.unknown_keys(("retention",), {"delete_after", "clock", "flagged_exception"})
    delete_text = doc.get(("retention", "delete_after"))
    delete_hours = parse_duration(delete_text) if delete_text is not None else None
    if delete_text is not None and delete_hours is None:
        doc.error(("retention", "delete_after"), f"delete_after must be a duration like 72h, 30d or 3.5y, not {delete_text!r}")
    if delete_hours is not None and steps and delete_hours <= steps[-1].after_hours:
        doc.error(("retention", "delete_after"), "delete_after must come after the last depersonalisation step")
    clock = doc.text(("retention", "clock"), "departure")
    if clock not in CLOCKS:
        doc.error(("retention", "clock"), f"retention.clock must be one of {', '.join(CLOCKS)}")
    flagged_exception = doc.get(("retention", "flagged_exception"), True, bool)

    doc.unknown_keys(("onward_transfer",), {"allowed", "marking"})
    onward = doc.text(("onward_transfer", "allowed"))
    if onward and onward not in ONWARD:
        doc.error(("onward_transfer", "allowed"), f"onward_transfer.allowed must be one of {', '.join(ONWARD)}")
    marking = doc.text(("onward_transfer", "marking"))
    push_minutes = _push_minutes(doc)

    if problems:
        return None, problems
    return Arrangement(
        id=ident, version=version, title=doc.text(("title",), ""), provider=provider, recipient=recipient,
        effective_from=doc.text(("effective_from",), ""), legal_basis=legal, references=refs,
        purpose=purpose, purpose_categories=categories, between=between, in_transit_through=transit,
        other_countries=other_c, other_airports=other_a, data=data_kinds, persons=persons,
        sharing_mode=mode, pseudonym_key=pseudonym_key, free_text=free_text,
        extra_ssr_codes=extra_codes, extra_terms=extra_terms, fields=fields,
        depersonalisation=tuple(steps), delete_after_hours=delete_hours or 0.0,
        retention_clock=clock, flagged_exception=bool(flagged_exception), onward_transfer=onward,
        onward_marking=marking, source_file=file, digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        push_minutes=push_minutes,
    ), []


def _rule_files(rules_dir: str) -> list[str]:
    """Arrangement files in a rules folder on any filesystem (``*.yaml``/``*.yml``, not the
    registries), sorted."""
    return [p for p in storage.match(storage.join(rules_dir, "*.y*ml"))
            if p.endswith((".yaml", ".yml")) and storage.basename(p) not in NOT_ARRANGEMENTS]


def default_rules_dir() -> Path:
    """The packaged copy of ``rules/`` when installed, else the checkout's."""
    return Path(storage.packaged("default_rules"))


def check_texts(texts: dict[str, str], partners_text: str | None = None) -> tuple[list[Arrangement], list[Problem]]:
    """Validate arrangement documents given as ``{file name: text}`` (plus the partner registry)."""
    arrangements, problems = [], []
    for name in sorted(texts):
        arrangement, found = parse_arrangement(texts[name], name)
        problems.extend(found)
        if arrangement:
            arrangements.append(arrangement)
    seen: dict[str, str] = {}
    for a in arrangements:
        if a.id in seen:
            problems.append(Problem(a.source_file, 1, f"arrangement id {a.id} is also used in {seen[a.id]}"))
        seen[a.id] = a.source_file
    if partners_text is not None:
        partners, found = parse_partners(partners_text, "partners.yaml")
        problems.extend(found)
        for a in arrangements:
            if partners and a.recipient not in partners:
                problems.append(Problem(a.source_file, 1, f"recipient {a.recipient} is not in partners.yaml"))
    return arrangements, problems


def load_rules(rules_dir: str | Path | None = None) -> list[Arrangement]:
    """Load and validate every arrangement in ``rules_dir`` (any filesystem; default: the packaged
    rules); raises ``RulesError`` listing all problems."""
    return load_rules_and_partners(rules_dir)[0]


def load_rules_and_partners(rules_dir: str | Path | None = None) -> tuple[list[Arrangement], dict[str, Partner]]:
    """The arrangements and the partner registry of a rules folder, validated together (a
    recipient must be a registered partner); raises ``RulesError`` listing all problems."""
    folder = str(rules_dir or default_rules_dir())
    files = _rule_files(folder)
    if not files and not storage.exists(folder):
        raise RulesError([Problem(folder, 0, "rules directory not found")])
    texts = {path: storage.read_text(path) for path in files}
    partners_path = storage.join(folder, "partners.yaml")
    partners_text = storage.read_text(partners_path) if storage.exists(partners_path) else None
    arrangements, problems = check_texts(texts, partners_text)
    if not texts:
        problems.append(Problem(folder, 0, "no arrangement files (*.yaml) found"))
    if problems:
        raise RulesError(problems)
    partners = parse_partners(partners_text, partners_path)[0] if partners_text is not None else {}
    return arrangements, partners


def parse_partners(text: str, file: str) -> tuple[dict[str, Partner], list[Problem]]:
    """The partner registry: ``partners: {CAN: {name, key_name}}``."""
    problems: list[Problem] = []
    try:
        data, lines = load_yaml_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [Problem(file, mark.line + 1 if mark else 1, f"not valid YAML: {exc}")]
    doc = _Doc(data or {}, lines, file, problems)
    out = {}
    for code, entry in (doc.get(("partners",), {}, dict) or {}).items():
        code = str(code).upper()
        if not _country_code(code):
            doc.error(("partners", code, "<key>"), f"partner '{code}' is not an ISO 3166 alpha-3 country code")
        if not isinstance(entry, dict) or not entry.get("key_name"):
            doc.error(("partners", code), f"partner {code} needs a key_name (its recipient key's name in the keys directory)")
            continue
        out[code] = Partner(code, str(entry.get("name", code)), str(entry["key_name"]))
    return out, problems


def load_partners(rules_dir: str | Path | None = None) -> dict[str, Partner]:
    """Partners from ``partners.yaml``; a partner not listed uses its country code as key name."""
    path = storage.join(str(rules_dir or default_rules_dir()), "partners.yaml")
    if not storage.exists(path):
        return {}
    partners, problems = parse_partners(storage.read_text(path), path)
    if problems:
        raise RulesError(problems)
    return partners
