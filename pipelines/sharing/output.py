"""Per-partner output files: Avro container files of SharedRecords, sealed with HPKE.

One file per partner per run (and shard), named deterministically so a re-run replaces it::

    OUTPUT/partners/CAN/shared-CAN-RUN-00000-of-00001.avro.sealed

The Avro bytes (schema ``schemas/shared_record.avsc``, records sorted by arrangement and record id)
are sealed as a whole with ``pipelines.crypto.seal`` to the partner's current recipient key; the
associated data binds the partner and the file name, so a file renamed or moved to another
partner's folder fails to open. Sealing per file keeps the cost of HPKE to one operation per file.
"""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path

import fastavro

from pipelines import schemas

SCHEMA_NAME = "shared_record"
SCHEMA_FULL_NAME = "paxshare.sharing.SharedRecord"
SEALED_SUFFIX = ".avro.sealed"
_SYNC = b"paxshare-shared!"  # fixed sync marker: same records give the same Avro bytes


@functools.lru_cache(maxsize=1)
def shared_schema() -> dict:
    path = schemas.schema_dir() / f"{SCHEMA_NAME}.avsc"
    return fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))


def file_metadata() -> dict[str, str]:
    return {schemas.META_SCHEMA_NAME: SCHEMA_NAME, schemas.META_SCHEMA_VERSION: "1"}


def encode(records: list[dict]) -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, shared_schema(), records, metadata=file_metadata(), sync_marker=_SYNC)
    return buffer.getvalue()


def decode(data: bytes) -> list[dict]:
    return list(fastavro.reader(io.BytesIO(data)))


def safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "run"


def file_name(recipient: str, run_id: str, shard: int = 0, shards: int = 1) -> str:
    """Path of a partner file relative to the output directory."""
    return f"partners/{recipient}/shared-{recipient}-{safe(run_id)}-{shard:05d}-of-{shards:05d}{SEALED_SUFFIX}"


def aad(recipient: str, name: str) -> bytes:
    """Associated data binding a sealed file to its partner and file name."""
    return f"paxshare-shared/v1\x00{recipient}\x00{Path(name).name}".encode("utf-8")


def seal_records(records: list[dict], public_key, recipient: str, name: str) -> bytes:
    from pipelines import crypto

    return crypto.seal(encode(records), public_key, aad(recipient, name))


def open_records(blob: bytes, keyring, recipient: str, name: str) -> list[dict]:
    from pipelines import crypto

    return decode(crypto.open_sealed(blob, keyring, aad(recipient, name), source=str(name)))


def public_key_for(keys_dir: str | Path, recipient: str, partners: dict | None = None):
    """The partner's current recipient public key from the keys directory."""
    from pipelines import crypto

    name = partners[recipient].key_name if partners and recipient in partners else recipient
    return crypto.load_public_key(crypto.current_public_key_path(keys_dir, name))
