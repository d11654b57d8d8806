"""Output records: a :class:`~pipelines.screening.engine.score.Candidate` as a ``MatchCandidate`` dict
(``schemas/match_candidate.avsc``) or as a CLI JSON line."""

from __future__ import annotations

import hashlib
import json

from pipelines.screening.engine.score import Candidate
from pipelines.screening.lists.watchlist import Traveller

__all__ = ["candidate_id", "match_candidate", "json_line", "note_validation_failure", "traveller_json"]


def candidate_id(traveller_id: str, list_id: str, entry_id: str) -> str:
    """Stable id: the same traveller against the same entry always gets the same id."""
    return hashlib.sha256(f"{traveller_id}\x00{list_id}\x00{entry_id}".encode()).hexdigest()[:32]


def _departure(record: dict) -> str | None:
    legs = record.get("legs") or []
    if not legs:
        return None
    return legs[0].get("departure_utc") or legs[0].get("departure_local")


def traveller_json(traveller: Traveller) -> str:
    """The traveller's record as the candidates' ``traveller_json`` (canonical: sorted keys)."""
    return json.dumps(traveller.record or {}, sort_keys=True, default=str, ensure_ascii=False)


def match_candidate(traveller: Traveller, candidate: Candidate, record_json: str | None = None) -> dict:
    """MatchCandidate record, every field of the schema set. ``record_json``: the traveller's
    :func:`traveller_json` when the caller has it already (a traveller with several candidates)."""
    record = traveller.record or {}
    entry = candidate.entry
    return {
        "schema_version": 1,
        "candidate_id": candidate_id(traveller.traveller_id, entry["list_id"], entry["entry_id"]),
        "traveller_id": traveller.traveller_id,
        "flight_key": record.get("flight_key") or "",
        "departure_utc": _departure(record),
        "entry_id": entry["entry_id"],
        "list_id": entry["list_id"],
        "list_owner": entry["list_owner"],
        "category": entry["category"],
        "severity": entry.get("severity") or "NORMAL",
        "score": float(candidate.score),
        "threshold": float(candidate.threshold),
        "explanation": candidate.explanation,
        "suppressed_by": candidate.suppressed_by,
        "receivers": list(entry.get("receivers") or []),
        "traveller_json": traveller_json(traveller) if record_json is None else record_json,
        "entry_json": json.dumps(entry, sort_keys=True, default=str, ensure_ascii=False),
    }


def note_validation_failure(candidate: dict, reasons: list[str] | None) -> dict:
    """A candidate for a traveller whose record failed validation says so (and why); a candidate
    for a valid traveller (``reasons`` None) is returned unchanged."""
    if reasons is None:
        return candidate
    return dict(candidate, explanation=candidate["explanation"]
                + f"\nNOTE: this traveller's record failed validation ({'; '.join(reasons)}); screened anyway, not shared.")


def json_line(traveller: Traveller, candidate: Candidate) -> str:
    """One CLI output line: ids, score, threshold, alert, suppression and the explanation."""
    entry = candidate.entry
    return json.dumps({
        "traveller_id": traveller.traveller_id, "entry_id": entry["entry_id"], "list_id": entry["list_id"],
        "list_owner": entry["list_owner"], "category": entry["category"], "severity": entry.get("severity"),
        "score": candidate.score, "threshold": candidate.threshold, "alert": candidate.alert,
        "suppressed_by": candidate.suppressed_by, "explanation": candidate.explanation.split("\n"),
    }, ensure_ascii=False)
