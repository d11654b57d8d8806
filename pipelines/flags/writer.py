"""Write one unit's flags for one run as a signed, HPKE-sealed Avro container file.

File layout (``<output_dir>/flags/<unit_id>/flags-<run_id>.sealed``; one name per unit and run,
so a re-run replaces its file instead of adding a second one)::

    b"PXFLAGS\\x01" | u16 length + label (canonical JSON: run_id, schema, schema_version, unit_id)
    | crypto.seal envelope of the Avro container (schema risk_flag, flags sorted by flag_id)

The label is readable without keys (so tools can tell what a file is) and is the associated data
of the seal (``flags_aad``): relabelling a file, or moving it to another unit or run, makes it fail
to open. The envelope is signed by the pipeline's Ed25519 key, so every flag id inside is bound to
the signer, the unit, the run and the schema version. No Beam here; the Beam wrapper passes the
bytes from ``seal_flags_file`` to ``FileSystems``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import fastavro

from pipelines import crypto, schemas
from pipelines.flags import records

__all__ = [
    "FILE_MAGIC",
    "FILE_SUFFIX",
    "check_run_id",
    "flags_relative_path",
    "flags_path",
    "file_label",
    "flags_aad",
    "encode_flags_avro",
    "seal_flags_file",
    "write_flags_file",
]

FILE_MAGIC = b"PXFLAGS\x01"
FILE_SUFFIX = ".sealed"
_RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def check_run_id(run_id: str) -> str:
    """Run ids become file names: letters, digits, '.', '_' and '-' only."""
    if not isinstance(run_id, str) or not _RUN_ID_RE.match(run_id):
        raise ValueError(f"invalid run id {run_id!r}: use 1-100 characters A-Z a-z 0-9 . _ -")
    return run_id


def _check_unit_id(unit_id: str) -> str:
    if not isinstance(unit_id, str) or not _UNIT_ID_RE.match(unit_id):
        raise ValueError(f"invalid unit id {unit_id!r}")
    return unit_id


def flags_relative_path(unit_id: str, run_id: str) -> str:
    """``flags/<unit_id>/flags-<run_id>.sealed``: stable per unit and run."""
    return f"flags/{_check_unit_id(unit_id)}/flags-{check_run_id(run_id)}{FILE_SUFFIX}"


def flags_path(output_dir: str | os.PathLike, unit_id: str, run_id: str) -> str:
    """Full path (local or any Beam filesystem URL) of a unit's flags file for a run."""
    return str(output_dir).rstrip("/") + "/" + flags_relative_path(unit_id, run_id)


def file_label(unit_id: str, run_id: str, schema_version: int | None = None) -> bytes:
    """Canonical JSON label of a flags file: what it holds and for whom."""
    label = {
        "run_id": check_run_id(run_id),
        "schema": records.SCHEMA_NAME,
        "schema_version": records.schema_version() if schema_version is None else int(schema_version),
        "unit_id": _check_unit_id(unit_id),
    }
    return json.dumps(label, sort_keys=True, separators=(",", ":")).encode("utf-8")


def flags_aad(label: bytes) -> bytes:
    """Associated data of a flags file's seal: binds unit id, run id and schema version."""
    return b"paxshare.flags.file.v1\x00" + label


def encode_flags_avro(flags: Iterable[Mapping[str, Any]], unit_id: str, run_id: str) -> bytes:
    """An Avro container of ``flags`` sorted by flag id; the same flags give the same bytes."""
    ordered = sorted(flags, key=lambda flag: flag["flag_id"])
    for flag in ordered:
        if flag.get("unit_id") != unit_id or flag.get("run_id") != run_id:
            raise ValueError(f"flag {flag.get('flag_id')} belongs to {flag.get('unit_id')}/{flag.get('run_id')}, not {unit_id}/{run_id}")
    buffer = io.BytesIO()
    metadata = {
        **schemas.file_metadata(records.SCHEMA_NAME),
        "paxshare.unit_id": unit_id,
        "paxshare.run_id": run_id,
    }
    sync_marker = hashlib.sha256(file_label(unit_id, run_id)).digest()[:16]
    fastavro.writer(buffer, records.schema(), ordered, codec="deflate", metadata=metadata,
                    sync_marker=sync_marker, strict=True)
    return buffer.getvalue()


def seal_flags_file(
    flags: Iterable[Mapping[str, Any]],
    unit_id: str,
    run_id: str,
    recipient: crypto.RecipientPublicKey,
    signer: crypto.SigningKey,
) -> bytes:
    """The complete bytes of a unit's flags file: label + signed envelope of the Avro container."""
    if signer is None:
        raise ValueError("flags files must be signed: pass the pipeline's SigningKey")
    label = file_label(unit_id, run_id)
    avro_bytes = encode_flags_avro(flags, unit_id, run_id)
    envelope = crypto.seal(avro_bytes, recipient, flags_aad(label), signer)
    return FILE_MAGIC + struct.pack(">H", len(label)) + label + envelope


def write_flags_file(
    output_dir: str | os.PathLike,
    flags: Iterable[Mapping[str, Any]],
    unit_id: str,
    run_id: str,
    recipient: crypto.RecipientPublicKey,
    signer: crypto.SigningKey,
) -> Path:
    """Write (or atomically replace) a unit's flags file on the local disk; returns its path."""
    path = Path(flags_path(output_dir, unit_id, run_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = seal_flags_file(flags, unit_id, run_id, recipient, signer)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return path
