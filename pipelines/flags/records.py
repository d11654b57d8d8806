"""Risk flag records (``schemas/risk_flag.avsc``) built from MatchCandidate dicts, one per unit.

A flag carries only the traveller fields its unit may see: the others are null, and their values
are also blanked out of the explanation text. Flag ids are stable (traveller, entry, unit), so a
re-run produces the same ids and never a duplicate. No Beam here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any


from pipelines import schemas
from pipelines.json_values import json_object
from pipelines.flags.routing import TRAVELLER_FIELDS, Unit, UnitsConfig, route

__all__ = [
    "SCHEMA_NAME",
    "schema",
    "schema_version",
    "flag_id",
    "traveller_fields_of",
    "build_flag",
    "build_flags",
    "withdrawal_id",
    "withdrawn_flag",
    "FlagBatch",
    "WITHHELD",
]

SCHEMA_NAME = "risk_flag"
WITHHELD = "[withheld]"


def schema() -> dict:
    """The parsed risk_flag schema."""
    return schemas.load(SCHEMA_NAME)


def schema_version() -> int:
    """Current risk_flag schema version (default of its ``schema_version`` field)."""
    return schemas.version(SCHEMA_NAME)


def flag_id(traveller_id: str, entry_id: str, unit_id: str) -> str:
    """Stable id from run-independent inputs only: the same traveller, entry and unit give the same id."""
    material = "\x00".join(("paxshare.risk_flag.v1", traveller_id, entry_id, unit_id))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def traveller_fields_of(traveller: Mapping[str, Any]) -> dict[str, Any]:
    """Every FlagTraveller field from an ApiTraveller record (the first document is the one travelled on)."""
    person = traveller.get("person") or {}
    documents = person.get("documents") or []
    document = documents[0] if documents and isinstance(documents[0], Mapping) else {}
    values = {
        "role": person.get("role"),
        "surname": person.get("surname"),
        "given_names": person.get("given_names"),
        "date_of_birth": person.get("date_of_birth"),
        "sex": person.get("sex"),
        "nationality": person.get("nationality"),
        "residence_country": person.get("residence_country"),
        "place_of_birth": person.get("place_of_birth"),
        "address": person.get("address"),
        "document_type": document.get("type"),
        "document_number": document.get("number"),
        "document_issuing_state": document.get("issuing_state"),
        "document_expiry_date": document.get("expiry_date"),
        "embarkation_airport": person.get("embarkation_airport"),
        "debarkation_airport": person.get("debarkation_airport"),
        "seat": person.get("seat"),
        "pnr_locator": person.get("pnr_locator"),
    }
    return {name: (None if values[name] in (None, "") else str(values[name])) for name in TRAVELLER_FIELDS}


def _parts(value: str) -> set[str]:
    """A value and its tokens of 3+ characters ("JOHN PAUL" -> itself, JOHN, PAUL; a date -> its year)."""
    parts = {value} if len(value) >= 2 else set()
    parts.update(token for token in re.split(r"[\s\-/,]+", value) if len(token) >= 3)
    return parts


def _withhold(explanation: str, withheld_values: Iterable[str], shown_values: Iterable[str]) -> str:
    """Blank values of withheld fields out of the explanation, as whole words, longest first.

    Screening's explanation quotes compared values; a unit that may not see, say, the date of
    birth must not read it there either. Values the unit may see anyway are left alone.
    """
    shown = {part.upper() for v in shown_values if v for part in _parts(v)}
    candidates = {part for v in withheld_values if v for part in _parts(v)}
    values = sorted((v for v in candidates if v.upper() not in shown), key=len, reverse=True)
    if not values:
        return explanation
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in values) + r")(?!\w)", re.IGNORECASE)
    return pattern.sub(WITHHELD, explanation)


def build_flag(
    candidate: Mapping[str, Any],
    unit: Unit,
    *,
    run_id: str,
    rules_version: str,
    created_utc: str,
) -> dict[str, Any]:
    """The risk flag ``unit`` receives for ``candidate``; call only for units ``route`` returned."""
    traveller = json_object(candidate.get("traveller_json"))
    all_fields = traveller_fields_of(traveller)
    allowed = set(unit.traveller_fields)
    shown = {name: (value if name in allowed else None) for name, value in all_fields.items()}
    withheld = [value for name, value in all_fields.items() if name not in allowed and value]
    legs = traveller.get("legs") or []
    return {
        "schema_version": schema_version(),
        "flag_id": flag_id(candidate["traveller_id"], candidate["entry_id"], unit.unit_id),
        "unit_id": unit.unit_id,
        "candidate_id": candidate["candidate_id"],
        "traveller_id": candidate["traveller_id"],
        "flight_key": candidate["flight_key"],
        "departure_utc": candidate.get("departure_utc"),
        "origin_airport": legs[0].get("departure_airport") if legs else None,
        "destination_airport": legs[-1].get("arrival_airport") if legs else None,
        "traveller": shown,
        "disclosed_fields": list(unit.traveller_fields),
        "entry_id": candidate["entry_id"],
        "list_id": candidate["list_id"],
        "list_owner": candidate["list_owner"],
        "category": candidate["category"],
        "severity": candidate["severity"],
        "score": float(candidate["score"]),
        "threshold": float(candidate["threshold"]),
        "explanation": _withhold(str(candidate.get("explanation") or ""), withheld, shown.values()),
        "run_id": run_id,
        "rules_version": rules_version,
        "created_utc": created_utc,
        "withdrawn": None,
    }


def withdrawal_id(flag_id_: str) -> str:
    """Stable id of a flag's withdrawal, from the flag id alone (a flag is withdrawn once)."""
    return hashlib.sha256(f"paxshare.risk_flag.withdrawal.v1\x00{flag_id_}".encode("utf-8")).hexdigest()[:32]


#: withdrawal reasons that withdraw a flag: the person's record was replaced by a newer one (which
#: is screened and flagged in its turn), or a cancellation named the person
FLAG_WITHDRAWING_REASONS = frozenset({"SUPERSEDED", "CANCELLED"})


def withdraws_flag(withdrawal: Mapping[str, Any]) -> bool:
    """Whether ``withdrawal`` withdraws the flags raised on its traveller. A person merely left
    off a later list (``REMOVED``) keeps them: a PAXLST change (CP) or close-out may name only the
    persons it adds or changes, so an omission is no proof that a listed person is not travelling,
    and a flag withdrawn in error would hide a listed traveller from the JPAU."""
    return withdrawal.get("reason") in FLAG_WITHDRAWING_REASONS


def withdrawn_flag(flag: Mapping[str, Any], withdrawal: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """The copy of ``flag`` that withdraws it, for the same unit: the same flag id and content, and
    ``withdrawn`` saying why (``withdrawal``: a withdrawal record of ``io/flights.py``, whose
    traveller id is the flag's). ``run_id``: the file it goes in."""
    if withdrawal["traveller_id"] != flag["traveller_id"]:
        raise ValueError(f"withdrawal of {withdrawal['traveller_id']} does not concern flag {flag['flag_id']}")
    return dict(flag, run_id=run_id, withdrawn={
        "withdrawal_id": withdrawal_id(flag["flag_id"]), "reason": withdrawal["reason"],
        "by_message_id": withdrawal["by_message_id"], "message_function": withdrawal["message_function"]})


class FlagBatch:
    """Flags per unit built from many candidates, with the counts a run report needs."""

    def __init__(self) -> None:
        self.by_unit: dict[str, list[dict[str, Any]]] = {}
        self.suppressed = 0
        self.unrouted = 0
        self.candidates = 0


def build_flags(
    candidates: Iterable[Mapping[str, Any]],
    config: UnitsConfig,
    *,
    run_id: str,
    rules_version: str | None = None,
    created_utc: str,
) -> FlagBatch:
    """Route and build flags for many candidates (the non-Beam path; the Beam path does the same per element)."""
    batch = FlagBatch()
    for unit_id in config.unit_ids:
        batch.by_unit[unit_id] = []
    for candidate in candidates:
        batch.candidates += 1
        if candidate.get("suppressed_by"):
            batch.suppressed += 1
            continue
        unit_ids = route(candidate, config)
        if not unit_ids:
            batch.unrouted += 1
        for unit_id in unit_ids:
            batch.by_unit[unit_id].append(
                build_flag(candidate, config.unit(unit_id), run_id=run_id,
                           rules_version=rules_version or config.rules_version, created_utc=created_utc)
            )
    return batch
