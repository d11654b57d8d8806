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

One idea, one name: a list category's **threshold** is the score at or above which a candidate
alerts (:func:`alerts`); :attr:`Settings.lowest_threshold` is the lowest over the categories; the
**floor** is the lowest score ever reported (review candidates below every threshold).
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines import storage
from pipelines.yaml_lines import line_of, load_yaml_with_lines

__all__ = ["Settings", "SettingsError", "alerts", "load_settings", "default_settings"]


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


@dataclass(frozen=True)
class Settings:
    """Parsed settings. ``raw`` is the merged document; the properties are what the engine reads."""
    raw: dict[str, Any] = field(default_factory=dict)

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

    @property
    def blocking(self) -> dict[str, Any]:
        return self.raw["blocking"]

    @property
    def name(self) -> dict[str, float]:
        return self.raw["comparisons"]["name"]

    @property
    def dob(self) -> dict[str, float]:
        return self.raw["comparisons"]["date_of_birth"]

    @property
    def sex(self) -> dict[str, float]:
        return self.raw["comparisons"]["sex"]

    @property
    def nationality(self) -> dict[str, float]:
        return self.raw["comparisons"]["nationality"]

    @property
    def document(self) -> dict[str, float]:
        return self.raw["comparisons"]["document"]

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
