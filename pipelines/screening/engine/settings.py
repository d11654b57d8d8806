"""Screening settings: thresholds per list category, blocking rules and comparison levels.

What an operator tunes is data (``data/settings.yaml``), kept apart from the engine in the way
Splink keeps ``settings``, ``blocking_rules`` and ``comparisons`` apart: the engine reads numbers
from here and never hard-codes them. :func:`load_settings` reads the packaged defaults and
overlays a user file (YAML or JSON) key by key, so a deployment can change one threshold without
restating the rest.

The packaged file is the one place defaults live, and also the schema: an override may only use
keys it has (any list category under ``thresholds``), with the same type (a number where it has a
number, true/false where it has a flag, a whole number where it has one). A misspelt key or a
wrong type is refused on load with :class:`SettingsError`, naming the file, the line and the key
(``site.yaml:12: unknown key 'comparisons.name.phonetc' (did you mean 'phonetic'?)``).

Each section is a frozen, typed dataclass (:class:`NameSettings`, :class:`BlockingSettings`,
:class:`DateOfBirthSettings`, :class:`AgreementSettings`, :class:`DocumentSettings`) built from the
checked document: the engine reads attributes (``settings.name.phonetic``), and a section is also
a read-only mapping by key, for code that walks levels by their settings name (the scoring
specification's ``level_values``). Their fields are exactly the packaged file's keys (a test holds
them equal); the values come only from the file.

One idea, one name: a list category's **threshold** is the score at or above which a candidate
alerts (:func:`alerts`); :attr:`Settings.lowest_threshold` is the lowest over the categories; the
**floor** is the lowest score ever reported (review candidates below every threshold).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import storage
from pipelines.yaml_lines import line_of, load_yaml_with_lines

__all__ = ["Settings", "SettingsError", "alerts", "load_settings", "default_settings", "NameSettings",
           "BlockingSettings", "blocking_settings", "DateOfBirthSettings", "AgreementSettings", "DocumentSettings"]


def alerts(score: float, threshold: float) -> bool:
    """The alert decision: a score at or above its list category's threshold. (A suppressed
    candidate reaches its threshold but does not alert: :attr:`Candidate.alert`.)"""
    return score >= threshold


class SettingsError(ValueError):
    """Settings that cannot be used; each problem names the file, the line and the key."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class _Section(Mapping):
    """A settings section: a frozen dataclass whose fields are the section's keys, readable as a
    mapping too. :meth:`of` builds it from the section of a checked document, each value as its
    field's type (a whole number is a fine number)."""

    _CASTS = {"float": float, "int": int, "bool": bool}

    @classmethod
    def of(cls, values: Mapping[str, Any], where: str):
        names = {f.name: f.type for f in dataclasses.fields(cls)}
        if set(values) != set(names):  # the packaged file and its dataclass drifted apart
            missing, unknown = sorted(set(names) - set(values)), sorted(set(values) - set(names))
            raise SettingsError([f"{where}: missing keys {missing}, unknown keys {unknown}"])
        return cls(**{name: cls._CASTS[kind](values[name]) for name, kind in names.items()})

    def __getitem__(self, key: str):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self.__dataclass_fields__)


@dataclass(frozen=True)
class NameSettings(_Section):
    """``comparisons.name``: token levels, weights and leftovers, and the name-only caps."""
    exact: float
    phonetic: float
    nickname: float
    nickname_indirect: float
    initial: float
    min_token_similarity: float
    conflict_weight: float
    extra_weight: float
    common_token_weight: float
    particle_weight: float
    surname_weight: float
    low_quality_alias_factor: float
    common_name_factor: float
    uncorroborated_common_name_cap: float
    common_full_name_share: float
    common_name_people: int
    travelling_population: int
    date_chance_year: float
    weak_evidence_people: float
    nationality_differs_factor: float
    population_part_min_people: int
    population_sample_min_entries: int
    undated_name_chance: float
    near_undated_by_namesakes: bool
    near_part_by_sound: bool
    listed_name_counts: bool
    listed_part_min_people: int
    near_part_factor: float
    independent_name_parts: int
    common_sound_is_not_rare: bool
    common_sound_people: int
    loose_name_by_traveller_spelling: bool
    weakly_corroborated_common_name_cap: float
    uncorroborated_name_cap: float
    rare_token_share: float
    rare_token_min: int
    lost_surname_extra: float
    missing_patronymic_weight: float


@dataclass(frozen=True)
class BlockingSettings(_Section):
    """``blocking``: which candidate keys are made, and the block and candidate limits."""
    token_pairs: bool
    key_with_initial: bool
    joined_tokens: bool
    document_number: bool
    document_one_edit: bool
    deletion_neighbourhood: bool
    deletion_min_length: int
    deletion_rare_share: float
    max_candidates: int
    max_block_size: int
    max_initial_block_size: int

    def overlaid(self, values: Mapping[str, Any] | None) -> BlockingSettings:
        """These settings with some keys replaced (a misspelt key is an error, not ignored)."""
        if not values:
            return self
        if isinstance(values, BlockingSettings):
            return values
        return BlockingSettings.of({**dataclasses.asdict(self), **values}, "blocking")


def blocking_settings(values: Mapping[str, Any] | None = None) -> BlockingSettings:
    """The packaged ``blocking`` section overlaid with ``values`` (defaults live in one place)."""
    return default_settings().blocking.overlaid(values)


@dataclass(frozen=True)
class DateOfBirthSettings(_Section):
    """``comparisons.date_of_birth``: the adjustment of each level (``dates.DOB_LEVELS``)."""
    exact: float
    partial_agree: float
    day_month_swap: float
    placeholder_agree: float
    day_or_month_typo: float
    month_differs: float
    year_typo: float
    year_off_by_one: float
    different_birthday: float
    year_off_2_3: float
    year_far: float


@dataclass(frozen=True)
class AgreementSettings(_Section):
    """``comparisons.sex`` and ``comparisons.nationality``: what agreeing and differing add."""
    agree: float
    differ: float


@dataclass(frozen=True)
class DocumentSettings(_Section):
    """``comparisons.document``: the score floors of an agreeing document."""
    agree_floor: float
    issuer_missing_floor: float


@dataclass(frozen=True)
class Settings:
    """Parsed settings. ``raw`` is the merged document (what a Beam worker is handed to rebuild
    them); the typed sections and the properties are what the engine reads."""
    raw: dict[str, Any] = field(default_factory=dict)
    blocking: BlockingSettings = field(init=False, repr=False)
    name: NameSettings = field(init=False, repr=False)
    dob: DateOfBirthSettings = field(init=False, repr=False)
    sex: AgreementSettings = field(init=False, repr=False)
    nationality: AgreementSettings = field(init=False, repr=False)
    document: DocumentSettings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        comparisons = self.raw["comparisons"]
        for attribute, cls, values, where in (
                ("blocking", BlockingSettings, self.raw["blocking"], "blocking"),
                ("name", NameSettings, comparisons["name"], "comparisons.name"),
                ("dob", DateOfBirthSettings, comparisons["date_of_birth"], "comparisons.date_of_birth"),
                ("sex", AgreementSettings, comparisons["sex"], "comparisons.sex"),
                ("nationality", AgreementSettings, comparisons["nationality"], "comparisons.nationality"),
                ("document", DocumentSettings, comparisons["document"], "comparisons.document")):
            object.__setattr__(self, attribute, cls.of(values, where))

    def threshold(self, category: str | None) -> float:
        """The score at or above which a candidate on a list of this category alerts."""
        thresholds = self.raw["thresholds"]
        return float(thresholds.get((category or "").upper(), thresholds["default"]))

    @property
    def lowest_threshold(self) -> float:
        """The lowest score that can alert on any category: what a caller that only wants alerts
        asks the engine for."""
        return min(float(v) for v in self.raw["thresholds"].values())

    @property
    def floor(self) -> float:
        """The lowest score reported at all (a candidate below every threshold, for review)."""
        return float(self.raw["floor"])







    def with_overrides(self, overrides: dict[str, Any], source: str = "overrides",
                       lines: dict[tuple, int] | None = None) -> "Settings":
        """These settings with ``overrides`` laid over them, key by key; raises
        :class:`SettingsError` for a key the defaults lack or a value of the wrong type."""
        problems = _check(overrides, _defaults_document(), (), source, lines or {})
        if problems:
            raise SettingsError(problems)
        return Settings(_merge(self.raw, overrides))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return isinstance(value, type(default))


def _check(document: Any, defaults: dict, path: tuple, source: str, lines: dict[tuple, int]) -> list[str]:
    """Problems of an override document against the packaged defaults (its schema)."""
    def where(at: tuple) -> str:
        return f"{source}:{line_of(lines, at)}"

    if not isinstance(document, dict):
        return [f"{where(path)}: {'.'.join(path) or 'the settings'} must be a mapping, not {_kind(document)}"]
    problems = []
    for key, value in document.items():
        at = path + (key,)
        dotted = ".".join(map(str, at))
        if path == ("thresholds",):  # any list category, each a score
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                problems.append(f"{where(at)}: '{dotted}' must be a score from 0 to 1, not {value!r}")
            continue
        if key not in defaults:
            known = [str(k) for k in defaults]
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            problems.append(f"{where(at + ('<key>',))}: unknown key '{dotted}'{hint}")
        elif not _fits(value, defaults[key]):
            problems.append(f"{where(at)}: '{dotted}' must be {_kind(defaults[key])}, not {value!r}")
        elif isinstance(value, dict):
            problems.extend(_check(value, defaults[key], at, source, lines))
    return problems


@functools.lru_cache(maxsize=1)
def _defaults_document() -> dict:
    return yaml.safe_load(storage.read_text(storage.packaged("screening", "data", "settings.yaml")))


def _read(path: str | Path) -> tuple[dict, dict[tuple, int]]:
    """A settings file's document and the line of each key (JSON: no lines)."""
    text = storage.read_text(path)
    try:
        if str(path).endswith(".json"):
            data, lines = json.loads(text), {}
        else:
            data, lines = load_yaml_with_lines(text)
    except (ValueError, yaml.YAMLError) as error:
        raise SettingsError([f"{path}: not valid {'JSON' if str(path).endswith('.json') else 'YAML'}: {error}"]) from None
    if not isinstance(data, dict):
        raise SettingsError([f"{path}:1: screening settings must be a mapping"])
    return data, lines


def default_settings() -> Settings:
    """The packaged ``data/settings.yaml``."""
    return Settings(copy.deepcopy(_defaults_document()))


def load_settings(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Packaged defaults, overlaid with the file at ``path`` and then ``overrides``."""
    settings = default_settings()
    if path:
        document, lines = _read(path)
        settings = settings.with_overrides(document, str(path), lines)
    if overrides:
        settings = settings.with_overrides(overrides)
    return settings
