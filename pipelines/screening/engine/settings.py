"""Screening settings: thresholds per list category, blocking rules and comparison levels.

What an operator tunes is data (``data/settings.yaml``), kept apart from the engine in the way
Splink keeps ``settings``, ``blocking_rules`` and ``comparisons`` apart: the engine reads numbers
from here and never hard-codes them. :func:`load_settings` reads the packaged defaults and
overlays a user file (YAML or JSON) key by key, so a deployment can change one threshold without
restating the rest.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Settings", "load_settings", "default_settings"]


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
        """Minimum score that raises a candidate on a list of this category."""
        thresholds = self.raw["thresholds"]
        return float(thresholds.get((category or "").upper(), thresholds["default"]))

    @property
    def floor(self) -> float:
        return float(self.raw.get("floor", 0.5))

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

    def with_overrides(self, overrides: dict[str, Any]) -> "Settings":
        return Settings(_merge(self.raw, overrides))


def _read(path: str | Path) -> dict:
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: screening settings must be a mapping")
    return data


def default_settings() -> Settings:
    text = resources.files("pipelines.screening").joinpath("data", "settings.yaml").read_text(encoding="utf-8")
    return Settings(yaml.safe_load(text))


def load_settings(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Packaged defaults, overlaid with the file at ``path`` and then ``overrides``."""
    settings = default_settings()
    if path:
        settings = settings.with_overrides(_read(path))
    if overrides:
        settings = settings.with_overrides(overrides)
    return settings
