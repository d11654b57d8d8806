"""Record-level content hash: the same message sent twice is one message.

Airlines resend API and PNR messages (a retry after a lost acknowledgement, a feed replayed after
an outage), operators give the same file twice, and a damaged Avro file can repeat a block. GTAS
recognises such copies by a hash of the message content; paxshare does the same per record, so
the batch pipeline and the streaming resend check share one definition:

    record_content_hash(kind, record) -> "sha256:<hex>"

``kind`` is the record's schema (``api_traveller`` or ``pnr``). The hash covers every field
except where the copy came from (``source_file``, ``source_format``) and the converter's notes
(``warnings``), over canonical JSON (sorted keys, no spaces, UTF-8 kept), prefixed with the kind so
that an API record and a PNR can never collide. Two records with the same hash are the same
message content: the first is processed and the others are counted as duplicates. Ids
(``traveller_id``, ``message_id``/``record_locator``) are part of the content, so a stable id never
changes because of deduplication.

Plain Python, no Beam.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Fields that say where a copy came from, not what it says.
PROVENANCE_FIELDS = frozenset({"source_file", "source_format", "warnings"})


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_other).encode("utf-8")


def _other(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def record_content_hash(kind: str, record: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of ``record``'s content (see the module doc); same content, same hash."""
    body = {key: value for key, value in record.items() if key not in PROVENANCE_FIELDS}
    digest = hashlib.sha256(kind.encode("utf-8") + b"\x00" + _canonical(body)).hexdigest()
    return f"sha256:{digest}"


def decoded_hash(item) -> str:
    """The content hash of a decoded input record (a ``DecodedRecord``: an API manifest or a PNR)."""
    return record_content_hash(item.schema_name, item.record)


def keep_first(copies):
    """``(kept, duplicates)`` among decoded records with the same content: the copy read first
    (lowest file name, then position) is kept, so the choice is the same on every run."""
    ordered = sorted(copies, key=lambda item: (item.source_file, item.position))
    return ordered[0], ordered[1:]


def duplicate_counts(item) -> dict[str, int]:
    """What one dropped copy adds to its file's report counts: it came in, and is a duplicate
    (``in = valid + rejected + duplicate``)."""
    if item.schema_name == "pnr":
        return {"pnrs_in": 1, "pnrs_duplicate": 1}
    persons = len(item.record.get("persons") or ())
    return {"manifests_in": 1, "manifests_duplicate": 1, "persons_in": persons, "persons_duplicate": persons}
