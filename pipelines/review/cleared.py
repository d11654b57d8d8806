"""The cleared-traveller list: analysts' false positives, exported for screening to suppress.

A traveller an analyst has cleared against one watchlist entry should not raise the same alert on
every flight (the purpose of redress numbers in Secure Flight). The review store keeps one row per
false-positive disposition; this module writes the rows that are still in force to a CSV or JSON
file that the screening engine reads, and reads such a file back.

File format (also in docs/review.md), version 1:

- CSV: UTF-8, a header row, then one row per clearance with the columns in ``CLEARED_COLUMNS``.
  Empty cells mean "not known". Dates are ISO ``YYYY-MM-DD``; times ISO UTC with ``Z``.
- JSON: ``{"format": "paxshare.cleared_travellers", "version": 1, "generated_utc": "...",
  "records": [{column: value-or-null, ...}, ...]}``.

A clearance applies to one (traveller, entry_id) pair, never to the traveller against every list.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = [
    "CLEARED_COLUMNS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "cleared_records",
    "cleared_text",
    "export_cleared",
    "read_cleared",
    "write_cleared",
]

FORMAT_NAME = "paxshare.cleared_travellers"
FORMAT_VERSION = 1

#: Columns of the exported file, in order.
CLEARED_COLUMNS: tuple[str, ...] = (
    "surname",
    "given_names",
    "date_of_birth",
    "document_number",
    "document_issuer",
    "traveller_id",
    "entry_id",
    "list_id",
    "flag_id",
    "disposition_id",
    "analyst",
    "cleared_utc",
)


def cleared_records(rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Store rows reduced to the exported columns, in a stable order."""
    records = [{column: row.get(column) for column in CLEARED_COLUMNS} for row in rows]
    return sorted(records, key=lambda record: (str(record["cleared_utc"]), str(record["disposition_id"])))


def _format_of(path: Path, fmt: str | None) -> str:
    """'csv' or 'json': as asked, else from the file's suffix."""
    chosen = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if chosen not in ("csv", "json"):
        raise ValueError(f"cannot write cleared travellers as {chosen!r}: use .csv or .json")
    return chosen


def cleared_text(records: list[dict], fmt: str, generated: datetime | None = None) -> str:
    """The file's content: CSV with a header row, or the JSON document described above."""
    if fmt == "json":
        moment = (generated or datetime.now(timezone.utc)).astimezone(timezone.utc)
        document = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "generated_utc": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "records": records,
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise ValueError(f"cannot write cleared travellers as {fmt!r}: use csv or json")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CLEARED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: "" if record.get(key) is None else record[key] for key in CLEARED_COLUMNS})
    return buffer.getvalue()


def write_cleared(records: list[dict], path: str | Path, fmt: str | None = None,
                  generated: datetime | None = None) -> Path:
    """Write records to ``path`` as CSV or JSON (by ``fmt`` or the suffix); returns the path.

    Written to a temporary file and renamed, so screening never reads a half-written list.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = cleared_text(records, _format_of(target, fmt), generated)
    partial = target.with_name(target.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(partial, target)
    return target


def export_cleared(store, path: str | Path, fmt: str | None = None, *, analyst: str | None = None,
                   viewer=None) -> int:
    """Write the clearances in force (of the viewer's units, when given) to ``path`` (mode 0600);
    returns how many. Logs the export."""
    records = cleared_records(store.cleared_travellers(viewer=viewer))
    write_cleared(records, path, fmt, generated=store.clock())
    if analyst or viewer is not None:
        store.log_access(analyst, "EXPORT", None, f"{len(records)} cleared travellers to {Path(path).name}",
                         viewer=viewer)
    return len(records)


def read_cleared(path: str | Path) -> list[dict]:
    """Clearances from a CSV or JSON file written by ``export_cleared`` (blank cells -> None)."""
    source = Path(path)
    if _format_of(source, None) == "json":
        document = json.loads(source.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT_NAME:
            raise ValueError(f"{source}: not a {FORMAT_NAME} file")
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"{source}: unsupported version {document.get('version')!r}")
        return [{column: record.get(column) for column in CLEARED_COLUMNS} for record in document["records"]]
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(CLEARED_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{source}: missing columns {sorted(missing)}")
        return [{column: (row.get(column) or None) for column in CLEARED_COLUMNS} for row in reader]
