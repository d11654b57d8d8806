"""Cleared (redress) and trusted (NEXUS/SENTRI-like) traveller lists: their records and readers.

Rows come from CSV (header names, case-insensitive) or JSON lines. A record's identity is its
name tokens in any order plus the date of birth, as :class:`~pipelines.screening.engine.suppression.Suppressor`
compares them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pipelines import storage
from pipelines.screening.normalise.countries import to_alpha3
from pipelines.screening.normalise.documents import normalise_number
from pipelines.screening.normalise.names import name_form

__all__ = ["ClearedRecord", "TrustedRecord", "load_cleared", "load_trusted"]


def _identity(surname: str | None, given_names: str | None, full_name: str | None = None) -> frozenset[str]:
    return frozenset(name_form(surname, given_names, full_name).tokens)


@dataclass(frozen=True)
class ClearedRecord:
    cleared_id: str
    name_tokens: frozenset[str]
    date_of_birth: str | None
    entry_ids: frozenset[str]
    document_number: str = ""


@dataclass(frozen=True)
class TrustedRecord:
    trusted_id: str
    program: str
    document_number: str
    document_issuer: str | None
    name_tokens: frozenset[str]
    date_of_birth: str | None = None


def _rows(path: str | Path) -> Iterable[dict]:
    """The list's rows, read through :mod:`pipelines.storage` (any filesystem, on the worker that
    screens: nothing comes from the launcher's disk)."""
    path = str(path)
    text = storage.read_text(path)
    if path.endswith(".jsonl") or path.endswith(".json"):
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
    else:
        for row in csv.DictReader(io.StringIO(text, newline="")):
            yield {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}


def load_cleared(path: str | Path) -> list[ClearedRecord]:
    """Cleared-traveller records from CSV/JSONL: cleared_id, surname, given_names (or full_name),
    date_of_birth, entry_ids ('|'-separated or a list; empty = all), document_number."""
    out = []
    for row in _rows(path):
        ids = row.get("entry_ids") or []
        ids = ids.split("|") if isinstance(ids, str) else ids
        out.append(ClearedRecord(str(row["cleared_id"]), _identity(row.get("surname"), row.get("given_names"), row.get("full_name")),
                                 row.get("date_of_birth") or None, frozenset(i for i in ids if i),
                                 normalise_number(row.get("document_number"))))
    return out


def load_trusted(path: str | Path) -> list[TrustedRecord]:
    """Trusted-traveller records from CSV/JSONL: trusted_id, program, document_number,
    document_issuer, surname, given_names (or full_name), date_of_birth."""
    return [TrustedRecord(str(row["trusted_id"]), row.get("program") or "TRUSTED",
                          normalise_number(row["document_number"]), to_alpha3(row.get("document_issuer")),
                          _identity(row.get("surname"), row.get("given_names"), row.get("full_name")),
                          row.get("date_of_birth") or None) for row in _rows(path)]
