"""Cleared and trusted travellers: stop the same innocent person alerting again and again.

* **Cleared list (redress).** After review finds a traveller is *not* the listed person, the
  analyst records the traveller's identity (name, date of birth, optionally a document or a
  redress number) with the entries they were cleared against (none = all). A later candidate for
  the same identity against those entries is kept for audit but marked ``suppressed_by``.
* **Trusted travellers (NEXUS/SENTRI-like)**, keyed by document number + issuing state. A vetted
  traveller presenting that document *with the vetted name* has person-list candidates
  suppressed. A document hit on a lost/stolen list is never suppressed: a trusted traveller's
  stolen passport in someone else's hands must still alert, which is also why the name must agree.

Identity agreement here is deliberately strict (same name tokens in any order, same date of
birth): suppression must never hide a different person.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pipelines.screening.normalise.countries import to_alpha3
from pipelines.screening.normalise.documents import normalise_number
from pipelines.screening.normalise.names import name_form

__all__ = ["ClearedRecord", "TrustedRecord", "Suppressor", "load_cleared", "load_trusted"]


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
    path = str(path)
    if path.endswith(".jsonl") or path.endswith(".json"):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
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


class Suppressor:
    """Answers "is this candidate a known false alert?" with the suppressing record's id."""

    def __init__(self, cleared: Iterable[ClearedRecord] = (), trusted: Iterable[TrustedRecord] = ()):
        self._cleared: dict[frozenset[str], list[ClearedRecord]] = {}
        for record in cleared:
            self._cleared.setdefault(record.name_tokens, []).append(record)
        self._trusted = {(t.document_number, t.document_issuer): t for t in trusted}

    def __bool__(self) -> bool:
        return bool(self._cleared or self._trusted)

    def check(self, traveller, entry: dict, tokens: frozenset[str]) -> str | None:
        """``suppressed_by`` text for a candidate, or None."""
        for record in self._cleared.get(tokens, ()):
            if record.entry_ids and entry["entry_id"] not in record.entry_ids:
                continue
            same_dob = record.date_of_birth and record.date_of_birth == traveller.date_of_birth
            same_doc = record.document_number and any(n == record.document_number for n, _ in traveller.documents)
            if same_dob or same_doc:
                return f"cleared:{record.cleared_id}"
        if entry.get("category") == "LOST_STOLEN_DOCUMENT":
            return None
        for number, issuer in traveller.documents:
            record = self._trusted.get((number, issuer))
            if record and record.name_tokens == tokens and (
                    not record.date_of_birth or not traveller.date_of_birth or record.date_of_birth == traveller.date_of_birth):
                return f"trusted:{record.program}:{record.trusted_id}"
        return None
