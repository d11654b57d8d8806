"""Depersonalisation and retention schedules applied to shared records.

An arrangement lists masking steps (``after: 72h, mask: [person.surname, ...]``) and a
``delete_after``. Ages run from the record's departure (``departure_utc``) or, with
``clock: shared``, from ``shared_at_utc``. A record shared with ``flagged: true`` under an
arrangement with ``flagged_exception: true`` is neither masked nor deleted (records tied to a
hit are retained, domain.md rule 4); every other record is masked step by step and deleted at
``delete_after``. Masked values become ``****``; ``masked_fields``, ``masked_at_utc`` and the
content hash are updated, so the audit log can record old and new hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from pipelines.sharing.engine import MASK, canonical_json, content_hash
from pipelines.sharing.paths import split_path
from pipelines.sharing.rules import Arrangement


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Outcome:
    action: str             # keep, mask, delete, exempt
    record: dict | None     # the (possibly masked) record; None when deleted
    masked: list[str]       # paths newly masked
    reason: str


def _mask_path(node, parts: list[tuple[str, bool]]) -> bool:
    if node is None or not parts:
        return False
    (name, is_array), rest = parts[0], parts[1:]
    if not isinstance(node, dict) or name not in node or node[name] is None:
        return False
    if rest:
        children = node[name] if is_array else [node[name]]
        changed = False
        for child in children:
            changed = _mask_path(child, rest) or changed
        return changed
    value = node[name]
    if isinstance(value, list):
        if any(v is not None and v != MASK for v in value):
            node[name] = [None if v is None else MASK for v in value]
            return True
        return False
    if value != MASK:
        node[name] = MASK
        return True
    return False


mask_path = _mask_path  # for the operator's own stores (own_stores.py)


def schedule(record: dict, arrangement: Arrangement | None) -> dict:
    """When the arrangement says this record must be masked and deleted (ISO times), for the
    recipient to apply: ``{"clock", "depersonalise": [{"at", "label", "paths"}], "delete_at",
    "exempt"}``; empty dates when the arrangement or the clock time is unknown."""
    if arrangement is None:
        return {"clock": None, "depersonalise": [], "delete_at": None, "exempt": False}
    clock = record.get("shared_at_utc") if arrangement.retention_clock == "shared" else (record.get("departure_utc") or record.get("shared_at_utc"))
    start = parse_time(clock)
    exempt = bool(record.get("flagged") and arrangement.flagged_exception)
    if start is None:
        return {"clock": None, "depersonalise": [], "delete_at": None, "exempt": exempt}
    steps = [{"at": iso(start + timedelta(hours=step.after_hours)), "label": step.label,
              "paths": list(step.paths.get(record.get("data_kind"), ()))} for step in arrangement.depersonalisation]
    delete_at = iso(start + timedelta(hours=arrangement.delete_after_hours)) if arrangement.delete_after_hours else None
    return {"clock": iso(start), "depersonalise": [s for s in steps if s["paths"]], "delete_at": delete_at,
            "exempt": exempt}


def apply(record: dict, arrangement: Arrangement | None, now: datetime) -> Outcome:
    """What the schedule requires for one shared record at ``now``."""
    if arrangement is None:
        return Outcome("keep", record, [], f"arrangement {record.get('arrangement_id')} not in the rules; left as is")
    clock = record.get("shared_at_utc") if arrangement.retention_clock == "shared" else (record.get("departure_utc") or record.get("shared_at_utc"))
    start = parse_time(clock)
    if start is None:
        return Outcome("keep", record, [], "no usable clock time; left as is")
    age_hours = (now - start).total_seconds() / 3600.0
    if record.get("flagged") and arrangement.flagged_exception:
        return Outcome("exempt", record, [], "tied to a risk flag (flagged_exception)")
    if arrangement.delete_after_hours and age_hours >= arrangement.delete_after_hours:
        return Outcome("delete", None, [], f"older than delete_after ({arrangement.delete_after_hours:g} h)")
    due = [p for step in arrangement.depersonalisation if age_hours >= step.after_hours
           for p in step.paths.get(record.get("data_kind"), ())]
    if not due:
        return Outcome("keep", record, [], "no step due")
    payload = json.loads(record["payload_json"])
    newly = [p for p in due if _mask_path(payload, split_path(p))]
    if not newly:
        return Outcome("keep", record, [], "already masked")
    updated = dict(record)
    updated["payload_json"] = canonical_json(payload)
    updated["masked_fields"] = sorted(set(record.get("masked_fields") or ()) | set(newly))
    updated["masked_at_utc"] = iso(now)
    updated["content_hash"] = content_hash(updated)
    return Outcome("mask", updated, sorted(newly), "depersonalisation step due")
