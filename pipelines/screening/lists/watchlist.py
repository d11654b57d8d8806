"""Watchlist entries and travellers: the records screening compares, and how they are read.

Watchlists arrive as Avro (``schemas/watchlist_entry.avsc``) or CSV; travellers as Avro
``ApiTraveller`` records, ``ApiManifest`` files or CSV. Entries stay plain dicts shaped by the Avro
schema (so they can be written back and shown in explanations); the matching engine derives its
own compact forms from them in :mod:`pipelines.screening.engine.index`.

CSV readers are liberal in what they accept (UTF-8 BOM, extra columns, blank lines, header case
and spacing) and strict about what they need: a bad row raises :class:`ScreeningInputError`
naming the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import fastavro

from pipelines import storage
from pipelines.screening.normalise.countries import to_alpha3
from pipelines.screening.normalise.dates import parse_date
from pipelines.screening.normalise.documents import normalise_number

__all__ = [
    "ScreeningInputError", "Traveller", "watchlist_schema", "read_watchlist", "read_watchlists",
    "read_watchlist_csv", "write_watchlist_avro", "write_watchlist_csv", "read_travellers",
    "traveller_from_api", "traveller_from_row", "WATCHLIST_CSV_COLUMNS", "TRAVELLER_CSV_COLUMNS",
]

WATCHLIST_CSV_COLUMNS = ["entry_id", "surname", "given_names", "full_name", "aliases", "date_of_birth",
                         "gender", "nationality", "document_number", "document_issuer", "category"]
#: Optional watchlist CSV columns: list_id, list_owner, severity, receivers (|), document_type,
#: low_quality_aliases (|), remarks. Multi-valued cells (dates, nationalities, documents) use |.
OPTIONAL_WATCHLIST_COLUMNS = ["list_id", "list_owner", "severity", "receivers", "document_type",
                              "low_quality_aliases", "remarks"]
TRAVELLER_CSV_COLUMNS = ["id", "surname", "given_names", "full_name", "date_of_birth", "gender",
                         "nationality", "document_number", "document_issuer"]
SEVERITIES = ("TOP", "HIGH", "NORMAL")


class ScreeningInputError(ValueError):
    """A watchlist or traveller file that cannot be read; the message names file and line."""


def watchlist_schema() -> dict:
    """Parsed ``paxshare.screening.WatchlistEntry`` schema."""
    from pipelines import schemas
    return schemas.load("watchlist_entry")


# --------------------------------------------------------------------------------------------
# reading: shared helpers

def _open_binary(path: str):
    return storage.open_binary(path)


def _open_text(path: str) -> io.TextIOBase:
    """A list file as text (utf-8, BOM tolerated), on any filesystem."""
    return io.TextIOWrapper(storage.open_binary(path), encoding="utf-8-sig", newline="")


def _is_avro(path: str) -> bool:
    if path.lower().endswith(".avro"):
        return True
    with _open_binary(path) as handle:
        return handle.read(4) == b"Obj\x01"


def _csv_rows(path: str, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with lower-case stripped keys and stripped values); blank lines skipped."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip().lower().lstrip("\ufeff") for h in row]
                missing = [c for c in required if c not in header]
                if missing:
                    raise ScreeningInputError(f"{path}:{line}: header lacks column(s) {', '.join(missing)}; "
                                              f"found {', '.join(header)}")
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                raise ScreeningInputError(f"{path}:{line}: {len(row)} cells but the header has {len(header)}")
            yield line, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split("|") if part.strip()]


def _check_date(value: str, where: str) -> str:
    if parse_date(value) is None:
        raise ScreeningInputError(f"{where}: date of birth {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def _sex(value: str | None, where: str) -> str | None:
    value = (value or "").strip().upper()
    if not value or value == "U":
        return None
    if value in ("M", "MALE"):
        return "M"
    if value in ("F", "FEMALE"):
        return "F"
    if value == "X":
        return "X"
    raise ScreeningInputError(f"{where}: gender {value!r} is not M, F or X")


# --------------------------------------------------------------------------------------------
# watchlists

def _entry_from_row(row: dict[str, str], where: str, list_id: str, list_owner: str) -> dict[str, Any]:
    entry_id = row.get("entry_id", "")
    if not entry_id:
        raise ScreeningInputError(f"{where}: entry_id is empty")
    names = []
    if row.get("surname") or row.get("given_names") or row.get("full_name"):
        names.append({"full_name": row.get("full_name") or None, "surname": row.get("surname") or None,
                      "given_names": row.get("given_names") or None, "kind": "PRIMARY", "quality": "GOOD",
                      "script": None})
    for alias in _split(row.get("aliases")):
        names.append({"full_name": alias, "surname": None, "given_names": None, "kind": "ALIAS",
                      "quality": "GOOD", "script": None})
    for alias in _split(row.get("low_quality_aliases")):
        names.append({"full_name": alias, "surname": None, "given_names": None, "kind": "ALIAS",
                      "quality": "LOW", "script": None})
    numbers = _split(row.get("document_number"))
    issuers = _split(row.get("document_issuer"))
    types = _split(row.get("document_type"))
    if issuers and len(issuers) not in (1, len(numbers)):
        raise ScreeningInputError(f"{where}: {len(numbers)} document numbers but {len(issuers)} issuers")
    documents = []
    for i, number in enumerate(numbers):
        issuer = issuers[i] if len(issuers) == len(numbers) else (issuers[0] if issuers else None)
        documents.append({"type": types[i] if i < len(types) else (types[0] if types else None),
                          "number": number, "issuer": to_alpha3(issuer)})
    category = (row.get("category") or "").upper().replace(" ", "_") or "LOOKOUT"
    if not names and not documents:
        raise ScreeningInputError(f"{where}: entry {entry_id} has neither a name nor a document")
    severity = (row.get("severity") or "NORMAL").upper()
    if severity not in SEVERITIES:
        raise ScreeningInputError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    owner = (row.get("list_owner") or list_owner or "UNK").upper()
    return {
        "schema_version": 1,
        "entry_id": entry_id,
        "list_id": row.get("list_id") or list_id,
        "list_owner": owner,
        "category": category,
        "severity": severity,
        "names": names,
        "dates_of_birth": [_check_date(d, where) for d in _split(row.get("date_of_birth"))],
        "sex": _sex(row.get("gender") or row.get("sex"), where),
        "nationalities": [to_alpha3(n) for n in _split(row.get("nationality"))],
        "documents": documents,
        "receivers": [r.upper() for r in _split(row.get("receivers"))] or [owner],
        "remarks": row.get("remarks") or None,
    }


def read_watchlist_csv(path: str, list_id: str | None = None, list_owner: str | None = None) -> Iterator[dict]:
    """Entries from a watchlist CSV (columns: :data:`WATCHLIST_CSV_COLUMNS`, plus optional ones).
    ``list_id`` defaults to the file name without extension."""
    list_id = list_id or Path(path.split("://")[-1]).stem
    seen: dict[str, int] = {}
    for line, row in _csv_rows(path, ("entry_id",)):
        where = f"{path}:{line}"
        entry = _entry_from_row(row, where, list_id, list_owner or "UNK")
        key = entry["list_id"] + "\x00" + entry["entry_id"]
        if key in seen:
            raise ScreeningInputError(f"{where}: entry_id {entry['entry_id']} repeats line {seen[key]}")
        seen[key] = line
        yield entry


def read_watchlist(path: str, list_id: str | None = None, list_owner: str | None = None) -> Iterator[dict]:
    """Entries from one watchlist file, Avro or CSV (told apart by the Avro magic bytes)."""
    if _is_avro(path):
        with _open_binary(path) as handle:
            for number, record in enumerate(fastavro.reader(handle), start=1):
                if not record.get("entry_id"):
                    raise ScreeningInputError(f"{path}: record {number} has no entry_id")
                yield record
    else:
        yield from read_watchlist_csv(path, list_id, list_owner)


def read_watchlists(paths: Iterable[str]) -> list[dict]:
    """All entries of several lists, in file order."""
    entries: list[dict] = []
    for path in paths:
        entries.extend(read_watchlist(path))
    return entries


def write_watchlist_avro(entries: Iterable[dict], path: str) -> None:
    from pipelines import schemas
    # A sync marker derived from the file name (fastavro's default is random) keeps same input,
    # same bytes.
    marker = hashlib.sha256(f"paxshare-watchlist:{os.path.basename(path)}".encode()).digest()[:16]
    buffer = io.BytesIO()
    fastavro.writer(buffer, watchlist_schema(), list(entries), codec="deflate",
                    metadata=schemas.file_metadata("watchlist_entry"), sync_marker=marker)
    storage.write_bytes(path, buffer.getvalue())


def write_watchlist_csv(entries: Iterable[dict], path: str) -> None:
    """CSV with :data:`WATCHLIST_CSV_COLUMNS` and the optional columns (round-trips with the reader)."""
    with io.StringIO(newline="") as handle:
        writer = csv.DictWriter(handle, WATCHLIST_CSV_COLUMNS + OPTIONAL_WATCHLIST_COLUMNS)
        writer.writeheader()
        for e in entries:
            names = e.get("names") or []
            primary = names[0] if names and names[0].get("kind") == "PRIMARY" else None
            aliases = [n for n in names if n is not primary]
            def spell(n: dict) -> str:
                return n.get("full_name") or " ".join(p for p in (n.get("given_names"), n.get("surname")) if p)
            docs = e.get("documents") or []
            writer.writerow({
                "entry_id": e["entry_id"],
                "surname": (primary or {}).get("surname") or "",
                "given_names": (primary or {}).get("given_names") or "",
                "full_name": (primary or {}).get("full_name") or "",
                "aliases": "|".join(spell(n) for n in aliases if n.get("quality") != "LOW"),
                "low_quality_aliases": "|".join(spell(n) for n in aliases if n.get("quality") == "LOW"),
                "date_of_birth": "|".join(e.get("dates_of_birth") or []),
                "gender": e.get("sex") or "",
                "nationality": "|".join(e.get("nationalities") or []),
                "document_number": "|".join(d["number"] for d in docs),
                "document_issuer": "|".join(d.get("issuer") or "" for d in docs),
                "document_type": "|".join(d.get("type") or "" for d in docs),
                "category": e["category"],
                "list_id": e["list_id"], "list_owner": e["list_owner"], "severity": e.get("severity") or "NORMAL",
                "receivers": "|".join(e.get("receivers") or []), "remarks": e.get("remarks") or "",
            })
        storage.write_text(path, handle.getvalue())


# --------------------------------------------------------------------------------------------
# travellers

@dataclass(frozen=True, slots=True)
class Traveller:
    """What screening needs of a traveller. ``record`` is the source record (ApiTraveller dict or
    CSV row) carried along for the output."""
    traveller_id: str
    surname: str | None = None
    given_names: str | None = None
    full_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    nationality: str | None = None
    documents: tuple[tuple[str, str | None], ...] = ()
    record: dict = field(default_factory=dict, compare=False, hash=False)


def traveller_from_api(record: dict) -> Traveller:
    """From an ``ApiTraveller`` dict (or anything with ``traveller_id`` and ``person``)."""
    person = record.get("person") or {}
    documents = tuple(
        (normalise_number(d.get("number")), to_alpha3(d.get("issuing_state") or d.get("issuer")))
        for d in person.get("documents") or [] if d.get("number")
    )
    sex = (person.get("sex") or "").upper() or None
    return Traveller(
        traveller_id=record["traveller_id"], surname=person.get("surname"), given_names=person.get("given_names"),
        date_of_birth=person.get("date_of_birth"), sex=sex if sex in ("M", "F", "X") else None,
        nationality=to_alpha3(person.get("nationality")), documents=documents, record=record,
    )


def traveller_from_row(row: dict[str, str], where: str = "") -> Traveller:
    """From a traveller CSV row (columns: :data:`TRAVELLER_CSV_COLUMNS`)."""
    if not row.get("id"):
        raise ScreeningInputError(f"{where}: id is empty")
    dob = row.get("date_of_birth") or None
    if dob:
        _check_date(dob, where)
    number = normalise_number(row.get("document_number"))
    return Traveller(
        traveller_id=row["id"], surname=row.get("surname") or None, given_names=row.get("given_names") or None,
        full_name=row.get("full_name") or None, date_of_birth=dob, sex=_sex(row.get("gender"), where),
        nationality=to_alpha3(row.get("nationality")),
        documents=((number, to_alpha3(row.get("document_issuer"))),) if number else (), record=row,
    )


def _manifest_travellers(manifest: dict, source: str) -> Iterator[dict]:
    flight = manifest.get("flight") or {}
    legs = flight.get("legs") or []
    first = legs[0] if legs else {}
    date = (first.get("departure_local") or "")[:10]
    key = f"{flight.get('carrier') or ''}{(flight.get('number') or '').zfill(4)}/{date}"
    for person in manifest.get("persons") or []:
        yield {
            "schema_version": 1, "traveller_id": f"{manifest['message_id']}/{person['person_id']}",
            "message_id": manifest["message_id"], "sender": manifest.get("sender") or "",
            "message_type": manifest.get("message_type") or "UNKNOWN",
            "message_function": manifest.get("message_function") or "UNKNOWN", "source_file": source,
            "flight_key": key, "flight_date": date, "carrier": flight.get("carrier") or "",
            "flight_number": flight.get("number") or "", "operating_carrier": flight.get("operating_carrier"),
            "in_transit": bool(flight.get("in_transit")), "legs": legs, "person": person,
        }


def read_travellers(path: str) -> Iterator[Traveller]:
    """Travellers from a CSV, an ``ApiTraveller`` Avro file or an ``ApiManifest`` Avro file."""
    if _is_avro(path):
        with _open_binary(path) as handle:
            reader = fastavro.reader(handle)
            for record in reader:
                if "persons" in record:
                    for traveller in _manifest_travellers(record, path):
                        yield traveller_from_api(traveller)
                elif "traveller_id" in record:
                    yield traveller_from_api(record)
                else:
                    raise ScreeningInputError(f"{path}: records are neither ApiTraveller nor ApiManifest")
        return
    for line, row in _csv_rows(path, ("id",)):
        yield traveller_from_row(row, f"{path}:{line}")
