"""Message bodies as they arrive on a stream: Avro single-object encoding, raw UN/EDIFACT, or
(from a landing folder) a whole Avro container file.

A Kafka message (or any other single message) carries one record and no file header, so the
schema must travel with it. Avro's *single-object encoding* does that without a schema registry:

    C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema | Avro binary body

``encode_single_object`` writes it; ``decode_message`` reads it against the fingerprints of the
project's input schemas (every version in ``schemas/history`` too, resolved to the current one),
and sends a message with a fingerprint it does not know to the dead letters with that reason.
A body that starts like EDIFACT (``UNA``, ``UNB``, ``UNH``, after any byte-order mark or
whitespace) is converted by the project's converter (:mod:`pipelines.io.edifact.convert`), as
``paxshare convert`` would. Anything else is a dead letter naming where it came from.

Plain Python, no Beam: the streaming sources wrap it.
"""

from __future__ import annotations

import functools
import io
import json
from typing import NamedTuple

import fastavro
import fastavro.schema

from pipelines import schemas
from pipelines.io.avro_files import AVRO_MAGIC, INPUT_SCHEMAS, RAW_BYTES_LIMIT, DecodedRecord
from pipelines import reasons

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
FINGERPRINT = "CRC-64-AVRO"
UNKNOWN_FINGERPRINT = "UNKNOWN_FINGERPRINT"  # a dead-letter reason code for this source
EDIFACT_STARTS = (b"UNA", b"UNB", b"UNH")


class Decoded(NamedTuple):
    """What one message gave: records to process and dead letters (never both empty)."""

    records: list[DecodedRecord]
    dead_letters: list[dict]


def fingerprint(schema: dict) -> bytes:
    """The 8-byte little-endian CRC-64-AVRO fingerprint of a parsed schema, as single-object
    encoding carries it."""
    value = int(fastavro.schema.fingerprint(fastavro.schema.to_parsing_canonical_form(schema), FINGERPRINT), 16)
    return value.to_bytes(8, "little")


@functools.lru_cache(maxsize=None)
def known_writers() -> dict[bytes, tuple[str, dict]]:
    """Fingerprint -> (schema name, writer schema) for every version of the input schemas."""
    known = {}
    for name in INPUT_SCHEMAS:
        known[fingerprint(schemas.load(name))] = (name, schemas.load(name))
        for version in _history_versions(name):
            try:
                writer = fastavro.parse_schema(schemas.raw_schema(name, version))
            except Exception:  # noqa: BLE001 - a history file that does not parse is simply not offered
                continue
            known.setdefault(fingerprint(writer), (name, writer))
    return known


def _history_versions(name: str) -> list[int]:
    current = schemas.version(name)
    versions = []
    for version in range(1, current):
        try:
            schemas.raw_schema(name, version)
        except (FileNotFoundError, KeyError, OSError):
            continue
        versions.append(version)
    return versions


def encode_single_object(schema_name: str, record: dict) -> bytes:
    """One record of ``schema_name`` (current version) in Avro single-object encoding."""
    schema = schemas.load(schema_name)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, record)
    return SINGLE_OBJECT_MAGIC + fingerprint(schema) + body.getvalue()


def is_edifact(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(EDIFACT_STARTS)


def decode_message(body: bytes, source: str, run_id: str) -> Decoded:
    """Records of one message (Avro single object or EDIFACT interchange), or dead letters that
    say why not. ``source`` names where it came from (``kafka:topic/partition@offset``, a file)."""
    if body.startswith(SINGLE_OBJECT_MAGIC):
        return _decode_single_object(body, source, run_id)
    if body.startswith(AVRO_MAGIC):  # a whole Avro container file (a landing-folder drop)
        return _read_container(body, source, run_id)
    if is_edifact(body):
        return _convert_edifact(body, source, run_id)
    return Decoded([], [_dead_letter(run_id, source, reasons.BAD_FORMAT,
                                     f"{source}: neither Avro single-object encoding (C3 01) nor UN/EDIFACT "
                                     f"(starts with {body[:8]!r})", body)])


def _decode_single_object(body: bytes, source: str, run_id: str) -> Decoded:
    fingerprint_bytes = body[2:10]
    writer = known_writers().get(fingerprint_bytes)
    if len(body) < 10 or writer is None:
        return Decoded([], [_dead_letter(
            run_id, source, UNKNOWN_FINGERPRINT,
            f"{source}: Avro single-object message with schema fingerprint {fingerprint_bytes.hex()} "
            f"({FINGERPRINT}, little-endian), which is none of the known versions of "
            f"{', '.join(INPUT_SCHEMAS)}", body)])
    name, writer_schema = writer
    try:
        record = fastavro.schemaless_reader(io.BytesIO(body[10:]), writer_schema, schemas.load(name))
    except Exception as error:  # noqa: BLE001 - a damaged body of any kind is a dead letter
        return Decoded([], [_dead_letter(run_id, source, reasons.SCHEMA_MISMATCH,
                                         f"{source}: {name} body does not decode ({type(error).__name__}: {error})",
                                         body)])
    return Decoded([DecodedRecord(name, source, 0, record)], [])


def _read_container(body: bytes, source: str, run_id: str) -> Decoded:
    from pipelines.io.avro_files import FileProblem, file_problem_dead_letter, read_records

    records, dead_letters = [], []
    for item in read_records(io.BytesIO(body), source):
        if isinstance(item, FileProblem):
            dead_letters.append(file_problem_dead_letter(item, run_id))
        else:
            records.append(item)
    return Decoded(records, dead_letters)


def _convert_edifact(body: bytes, source: str, run_id: str) -> Decoded:
    from pipelines.io.edifact.convert import convert_bytes

    result = convert_bytes(body, source, run_id)
    records = ([DecodedRecord("api_manifest", source, i, m) for i, m in enumerate(result.manifests)]
               + [DecodedRecord("pnr", source, len(result.manifests) + i, p) for i, p in enumerate(result.pnrs)])
    return Decoded(records, list(result.dead_letters))


def _dead_letter(run_id: str, source: str, code: str, message: str, body: bytes) -> dict:
    return {
        "schema_version": 1, "run_id": run_id, "stage": "read", "kind": "MESSAGE",
        "source_file": source, "position": None, "line": None, "record_key": None, "flight_key": None,
        "person_count": 0, "reasons": [{"code": code, "field": None, "message": message}],
        "raw_json": None, "raw_bytes": bytes(body[:RAW_BYTES_LIMIT]),
    }


def describe(decoded: Decoded) -> str:
    """One line for logs: how many records and dead letters a message gave."""
    return json.dumps({"records": len(decoded.records), "dead_letters": len(decoded.dead_letters)})
