"""The review database's retention: travellers depersonalised on the schedule in rules/.

A unit's flags hold travellers shared between the unit's member countries, so the schedule is
that of the arrangements between them (for a CAN/USA unit: CAN-USA and USA-CAN), the strictest
of them where they differ: a field is masked at the earliest step any of them masks it, and the
whole traveller at the earliest ``delete_after``. Ages run from the flight's departure (or, with
no departure, from when the flag was ingested).

- A masking step replaces the traveller's fields it names (``person.surname`` and
  ``travellers[].surname`` are the flag's ``surname``; ``person.documents[].number`` is
  ``document_number``) with ``****``, and those values wherever screening's explanation and the
  cleared-traveller list repeat them.
- At ``delete_after`` every traveller field is masked and the explanation dropped. The flag's
  decisions, notes and the access log stay: they are the audit trail of what was done.
- A flag whose current decision is a **confirmed match** keeps its record when every applicable
  arrangement has ``flagged_exception: true`` (records tied to a hit are retained).

``paxshare review retention [--now TIME] [--dry-run]`` applies it; run it daily (cron, a systemd
timer). Each change is one RETENTION entry in the access log naming the fields masked.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from typing import Iterable

import sqlalchemy as sa

__all__ = ["Schedule", "schedule_for", "traveller_field", "apply_retention", "MASK"]

MASK = "****"
_DROPPED_EXPLANATION = "[depersonalised under the retention schedule]"


def traveller_field(path: str) -> str | None:
    """The flag's traveller field a rules mask path names, or None when flags do not carry it."""
    name = re.sub(r"^(person\.|travellers\[\]\.)", "", path)
    if name.startswith("documents[]."):
        return "document_" + name.split(".", 1)[1]
    if name == "record_locator":
        return "pnr_locator"
    return name if "." not in name and "[" not in name else None


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Fields masked at each age, full depersonalisation age, the confirmed-match exception."""

    steps: tuple[tuple[float, frozenset[str], str], ...]   # (after hours, flag fields, label)
    delete_after_hours: float | None
    flagged_exception: bool
    arrangements: tuple[str, ...]

    def due(self, age_hours: float) -> tuple[set[str], bool]:
        """(fields to mask, whole traveller?) at this age."""
        fields: set[str] = set()
        for after, names, _ in self.steps:
            if age_hours >= after:
                fields |= names
        whole = self.delete_after_hours is not None and age_hours >= self.delete_after_hours
        return fields, whole


def schedule_for(members: Iterable[str], arrangements) -> Schedule | None:
    """The strictest schedule of the arrangements between a unit's member countries (None: none apply)."""
    members = set(members)
    chosen = [a for a in arrangements if a.provider in members and a.recipient in members]
    if not chosen:
        return None
    steps = []
    for arrangement in chosen:
        for step in arrangement.depersonalisation:
            fields = {traveller_field(path) for paths in step.paths.values() for path in paths}
            steps.append((step.after_hours, frozenset(f for f in fields if f), f"{arrangement.id}: {step.label}"))
    deletes = [a.delete_after_hours for a in chosen if a.delete_after_hours]
    return Schedule(tuple(sorted(steps, key=lambda s: s[0])), min(deletes) if deletes else None,
                    all(a.flagged_exception for a in chosen), tuple(sorted(a.id for a in chosen)))


def _mask_text(text: str, values: Iterable[str]) -> str:
    for value in sorted({v for v in values if v and v != MASK and len(v) > 1}, key=len, reverse=True):
        text = re.sub(re.escape(value), MASK, text, flags=re.IGNORECASE)
    return text


def depersonalise(flag: dict, fields: set[str], whole: bool) -> tuple[dict, list[str]]:
    """A copy of the flag with those traveller fields (or all) masked; the fields newly masked."""
    flag = json.loads(json.dumps(flag))
    traveller = flag.get("traveller") or {}
    targets = set(traveller) if whole else fields & set(traveller)
    masked = sorted(name for name in targets if traveller.get(name) not in (None, MASK))
    values = [str(traveller[name]) for name in masked]
    for name in masked:
        traveller[name] = MASK
    flag["traveller"] = traveller
    if whole:
        if flag.get("explanation") != _DROPPED_EXPLANATION:
            flag["explanation"] = _DROPPED_EXPLANATION
            masked = masked or ["explanation"]
    elif values and flag.get("explanation"):
        # Names are compared token by token in the explanation: mask the tokens too.
        tokens = values + [token for value in values for token in re.split(r"[\s,]+", value)]
        flag["explanation"] = _mask_text(str(flag["explanation"]), tokens)
    if masked:
        flag["depersonalised_fields"] = sorted(set(flag.get("depersonalised_fields") or []) | set(masked))
    return flag, masked


_CLEARED_FIELDS = {"surname": "surname", "given_names": "given_names", "date_of_birth": "date_of_birth",
                   "document_number": "document_number", "document_issuing_state": "document_issuer"}


def apply_retention(store, arrangements, now: datetime, *, dry_run: bool = False,
                    actor: str = "retention") -> dict[str, int]:
    """Apply the schedule to every flag in the store; returns counts by outcome."""
    from pipelines.review.priority import departure_of, parse_utc
    from pipelines.review.store import cleared_table, flags_table

    counts = {"flags": 0, "masked": 0, "depersonalised": 0, "exempt": 0, "unchanged": 0, "no_schedule": 0}
    schedules: dict[str, Schedule | None] = {}
    current = {row["flag"]["flag_id"]: row for row in store.review_rows()}
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(flags_table.c.flag_id, flags_table.c.unit_id, flags_table.c.record_json,
                                      flags_table.c.ingested_utc)).all()
    for flag_id, unit_id, record_json, ingested in rows:
        counts["flags"] += 1
        flag = json.loads(record_json)
        if unit_id not in schedules:
            schedules[unit_id] = schedule_for(store.unit_members(unit_id or ""), arrangements)
        schedule = schedules[unit_id]
        if schedule is None:
            counts["no_schedule"] += 1
            continue
        start = departure_of(flag) or parse_utc(ingested)
        age_hours = (now - start).total_seconds() / 3600 if start else 0.0
        decision = (current.get(flag_id) or {}).get("disposition")
        if schedule.flagged_exception and decision and decision["disposition"] == "CONFIRMED_MATCH":
            counts["exempt"] += 1
            continue
        fields, whole = schedule.due(age_hours)
        if not fields and not whole:
            counts["unchanged"] += 1
            continue
        changed, masked = depersonalise(flag, fields, whole)
        if not masked:
            counts["unchanged"] += 1
            continue
        counts["depersonalised" if whole else "masked"] += 1
        if dry_run:
            continue
        cleared_values = {column: MASK for field, column in _CLEARED_FIELDS.items()
                          if field in masked or whole}
        with store.engine.begin() as conn:
            conn.execute(flags_table.update().where(flags_table.c.flag_id == flag_id)
                         .values(record_json=json.dumps(changed, sort_keys=True, default=str)))
            if cleared_values:
                conn.execute(cleared_table.update().where(cleared_table.c.flag_id == flag_id)
                             .values(**cleared_values))
            store._log(conn, actor.split(":")[-1][:64], "RETENTION", flag_id,
                       f"{'fully depersonalised' if whole else 'masked'}: {', '.join(masked)} "
                       f"(age {age_hours / 24:.1f} days; {', '.join(schedule.arrangements)})",
                       store._now(), auth=actor, unit_id=unit_id)
    return counts

