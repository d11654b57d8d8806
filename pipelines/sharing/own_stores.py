"""Retention of the operator's own stores: valid records, screening matches, dead letters.

The pipeline's output folder holds full personal data (every valid traveller and PNR, every
candidate match, every rejected record with its raw content). ``rules/own-stores.yaml`` gives the
providing country's schedule for each store: mask named fields after ``depersonalise_after``,
delete after ``delete_after``, and keep records of travellers with a confirmed match
(``confirmed_match_exception``; the confirmed ids come from the review, ``--confirmed FILE``).
Ages run from the flight date in each file's name (``flight_date=YYYY-MM-DD-...``), or for dead
letters from the file's modification time (the run that wrote it).

``plan`` works out, per file, what is due; ``paxshare retention`` logs every action in the audit
chain first (write-ahead, signed checkpoint) and then rewrites (atomically) or deletes the files.
No Beam.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import fastavro
import yaml

from pipelines.sharing.paths import schema_paths, split_path
from pipelines.sharing.retention import iso, mask_path
from pipelines.sharing.rules import RulesError, parse_duration

FILE_NAME = "own-stores.yaml"
FORMAT = "paxshare-own-retention/1"
#: store folder -> (data kind of its records for mask paths, field holding the traveller id)
STORES = {
    "valid/api_travellers": ("API", "traveller_id"),
    "valid/pnr": ("PNR", "record_locator"),
    "matches": (None, "traveller_id"),
    "dead_letter": (None, None),
}
_DATE_IN_NAME = re.compile(r"flight_date=(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class StorePolicy:
    folder: str
    depersonalise_after_hours: float | None
    mask: tuple[str, ...]
    delete_after_hours: float | None


@dataclass(frozen=True)
class OwnRetention:
    stores: dict
    confirmed_exception: bool
    digest: str


def load(rules_dir: str | Path) -> OwnRetention | None:
    """The schedule in ``rules_dir/own-stores.yaml``; None when the file is absent."""
    path = Path(rules_dir) / FILE_NAME
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise RulesError([f"{path}: not valid YAML: {error}"]) from None
    problems = []
    if data.get("format") != FORMAT:
        problems.append(f"{path}: format must be {FORMAT}")
    stores = {}
    for folder, spec in (data.get("stores") or {}).items():
        if folder not in STORES:
            problems.append(f"{path}: unknown store {folder!r} (known: {', '.join(STORES)})")
            continue
        spec = spec or {}
        kind = STORES[folder][0]
        mask = tuple(spec.get("mask") or ())
        if mask and kind is None:
            problems.append(f"{path}: {folder}: records of this store cannot be masked field by field; give delete_after")
        known = schema_paths(kind) if kind else {}
        for item in mask:
            if item not in known:
                problems.append(f"{path}: {folder}: {item!r} is not a field of its records")
        hours = {key: parse_duration(spec[key]) if key in spec else None for key in ("depersonalise_after", "delete_after")}
        for key, value in hours.items():
            if key in spec and value is None:
                problems.append(f"{path}: {folder}.{key}: {spec[key]!r} is not a duration (72h, 30d, 26w, 5y)")
        stores[folder] = StorePolicy(folder, hours["depersonalise_after"], mask, hours["delete_after"])
    if problems:
        raise RulesError(problems)
    return OwnRetention(stores, bool(data.get("confirmed_match_exception", True)),
                        hashlib.sha256(text.encode("utf-8")).hexdigest())


@dataclass
class Action:
    """What is due for one file: ``mask`` or ``delete`` (records of confirmed travellers kept)."""

    store: str
    path: str
    action: str
    records: int
    kept: int
    reason: str
    old_sha256: str
    new_bytes: bytes | None = None

    def entry(self, now: datetime) -> dict:
        return {"event": f"own_store_{self.action}", "time_utc": iso(now), "store": self.store,
                "file": Path(self.path).name, "records": self.records, "kept_confirmed": self.kept,
                "reason": self.reason, "old_sha256": self.old_sha256,
                "new_sha256": hashlib.sha256(self.new_bytes).hexdigest() if self.new_bytes else None}


def _age_hours(path: Path, now: datetime) -> float:
    match = _DATE_IN_NAME.search(path.name)
    if match:
        start = datetime.fromisoformat(match.group(1)).replace(tzinfo=timezone.utc)
    else:
        start = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return (now - start).total_seconds() / 3600.0


def _rewrite(data: bytes, keep) -> tuple[bytes, int, int]:
    """The Avro file with ``keep(record)`` applied to each record (None drops it), in its own
    schema, codec and metadata; (bytes, records before, records after)."""
    reader = fastavro.reader(io.BytesIO(data))
    schema, metadata = reader.writer_schema, {k: v.decode() if isinstance(v, bytes) else v
                                               for k, v in reader.metadata.items() if not k.startswith("avro.")}
    codec = reader.codec
    before, after = 0, []
    for record in reader:
        before += 1
        kept = keep(record)
        if kept is not None:
            after.append(kept)
    buffer = io.BytesIO()
    fastavro.writer(buffer, schema, after, codec=codec, metadata=metadata)
    return buffer.getvalue(), before, len(after)


def plan(output_dir: str | Path, policy: OwnRetention, now: datetime, confirmed: set[str]) -> list[Action]:
    """Every file of the operator's stores that is due for masking or deletion at ``now``."""
    actions = []
    confirmed = confirmed if policy.confirmed_exception else set()
    for folder, store in sorted(policy.stores.items()):
        kind, id_field = STORES[folder]
        for path in sorted((Path(output_dir) / folder).glob("*.avro")):
            age = _age_hours(path, now)
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()

            def is_confirmed(record):
                return id_field is not None and str(record.get(id_field)) in confirmed

            if store.delete_after_hours is not None and age >= store.delete_after_hours:
                new, before, after = _rewrite(data, lambda r: r if is_confirmed(r) else None)
                reason = f"older than delete_after ({store.delete_after_hours:g} h)"
                actions.append(Action(folder, str(path), "delete", before, after, reason, digest, new if after else None))
            elif store.mask and store.depersonalise_after_hours is not None and age >= store.depersonalise_after_hours:
                changed = [0]

                def masked(record):
                    if is_confirmed(record):
                        return record
                    for item in store.mask:
                        if mask_path(record, split_path(item)):
                            changed[0] += 1
                    return record

                new, before, _ = _rewrite(data, masked)
                if changed[0]:
                    kept = sum(1 for r in fastavro.reader(io.BytesIO(data)) if is_confirmed(r))
                    reason = f"older than depersonalise_after ({store.depersonalise_after_hours:g} h): {', '.join(store.mask)} masked"
                    actions.append(Action(folder, str(path), "mask", before, kept, reason, digest, new))
    return actions


def carry_out(action: Action) -> None:
    """Apply one logged action: rewrite the file atomically (0600), or delete it."""
    from pipelines.sharing.audit import write_atomic

    if action.new_bytes is None:
        Path(action.path).unlink(missing_ok=True)
    else:
        write_atomic(action.path, action.new_bytes, 0o600)


def read_confirmed(path: str | Path | None) -> set[str]:
    """Traveller ids (or PNR locators) with a confirmed match: one per line, ``#`` comments."""
    if not path:
        return set()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return {line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()}



