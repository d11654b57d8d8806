"""Per-partner output files: Avro container files of SharedRecords, sealed with HPKE.

A fixed number of files (shards) per partner per run, named deterministically so a re-run
replaces them::

    OUTPUT/partners/CAN/shared-CAN-RUN-00000-of-00002.avro.sealed

A record's shard follows from its (keyed) record id, so the same inputs always land in the same
file. The Avro bytes (schema ``schemas/shared_record.avsc``, records sorted by arrangement, data
kind and record id) are sealed as a whole with ``pipelines.crypto.seal`` to the partner's current
recipient key; the associated data binds the partner and the file name, so a file renamed or moved
to another partner's folder fails to open. Sealing per file keeps the cost of HPKE to one
operation per file.

Records can be encoded one at a time where they are made (``record_bytes``) and assembled into an
Avro container file later (``container``): the pipeline ships compact bytes to the file writer
instead of record dicts, and the writer only sorts and concatenates.
"""

from __future__ import annotations

import functools
import io
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
    return schemas.load(SCHEMA_NAME)


def file_metadata() -> dict[str, str]:
    return schemas.file_metadata(SCHEMA_NAME)


BLOCK_RECORDS = 1000  # records per Avro block


@functools.lru_cache(maxsize=1)
def _header() -> bytes:
    buffer = io.BytesIO()
    fastavro.writer(buffer, shared_schema(), [], metadata=file_metadata(), sync_marker=_SYNC)
    return buffer.getvalue()


def _long(value: int) -> bytes:
    """Avro long: zig-zag, then base-128 varint."""
    value = (value << 1) ^ (value >> 63)
    out = bytearray()
    while value & ~0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class RecordEncoder:
    """Encodes single SharedRecords to Avro binary (no container), reusing one buffer."""

    def __init__(self):
        self._schema = shared_schema()
        self._buffer = io.BytesIO()

    def __call__(self, record: dict) -> bytes:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        fastavro.schemaless_writer(buffer, self._schema, record)
        return buffer.getvalue()


def record_bytes(record: dict) -> bytes:
    """One SharedRecord as Avro binary, ready for ``container``."""
    return RecordEncoder()(record)


def container(encoded: list[bytes]) -> bytes:
    """An Avro container file (null codec, fixed sync marker) from records encoded in order."""
    parts = [_header()]
    for start in range(0, len(encoded), BLOCK_RECORDS):
        chunk = encoded[start:start + BLOCK_RECORDS]
        data = b"".join(chunk)
        parts += [_long(len(chunk)), _long(len(data)), data, _SYNC]
    return b"".join(parts)


def encode(records: list[dict]) -> bytes:
    encoder = RecordEncoder()
    return container([encoder(r) for r in records])


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


def shard_of(record_id: str, shards: int) -> int:
    """The shard (0..shards-1) a record goes to: from its record id, so re-runs agree."""
    return int(record_id[:8], 16) % shards if shards > 1 else 0


def seal_records(records: list[dict], public_key, recipient: str, name: str) -> bytes:
    from pipelines import crypto

    return crypto.seal(encode(records), public_key, aad(recipient, name))


def seal_bytes(avro: bytes, public_key, recipient: str, name: str) -> bytes:
    """Seal an Avro container file (from ``container``) for ``recipient`` under file ``name``."""
    from pipelines import crypto

    return crypto.seal(avro, public_key, aad(recipient, name))


def open_records(blob: bytes, keyring, recipient: str, name: str) -> list[dict]:
    from pipelines import crypto

    return decode(crypto.open_sealed(blob, keyring, aad(recipient, name), source=str(name)))


def public_key_for(keys_dir: str | Path, recipient: str, partners: dict | None = None):
    """The partner's current recipient public key from the keys directory."""
    from pipelines import crypto

    name = partners[recipient].key_name if partners and recipient in partners else recipient
    return crypto.load_public_key(crypto.current_public_key_path(keys_dir, name))
