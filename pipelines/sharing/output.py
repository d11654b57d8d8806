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


def seal_bytes(avro: bytes, public_key, recipient: str, name: str, signer=None) -> bytes:
    """Seal an Avro container file (from ``container``) for ``recipient`` under file ``name``,
    signed by ``signer`` (the pipeline's SigningKey)."""
    from pipelines import crypto

    return crypto.seal(avro, public_key, aad(recipient, name), signer)


def seal_records(records: list[dict], public_key, recipient: str, name: str, signer=None) -> bytes:
    return seal_bytes(encode(records), public_key, recipient, name, signer)


# --------------------------------------------------------------------------------------------
# the partner file: a signed manifest (with the audit checkpoint) around the sealed envelope
#
#     b"PXSHARE\x01" | u32 length + manifest (canonical JSON) | u16 length + Ed25519 signature
#     | the crypto.seal envelope (signed too) of the Avro container
#
# The manifest is readable without keys and holds no personal data: recipient, file name, run,
# record count, the envelope's SHA-256, the signed audit checkpoint of the run that wrote the file
# and, for each record, the seq and content hash of its audit entry. The signature covers the
# manifest; the manifest covers the envelope; the envelope's own signature covers its contents.

PARTNER_MAGIC = b"PXSHARE\x01"
MANIFEST_FORMAT = "paxshare-partner-file/1"
_MANIFEST_CONTEXT = b"paxshare-partner-manifest-v1\x00"


class PartnerFileError(ValueError):
    """A partner file failed a check; the message names the file and the check."""


def _canonical(value) -> bytes:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def partner_file(manifest: dict, envelope: bytes, signer) -> bytes:
    """The bytes of a finished partner file (``manifest`` gets its format and signer filled in)."""
    import hashlib
    import struct

    manifest = dict(manifest, format=MANIFEST_FORMAT, signer=signer.key_id,
                    envelope_sha256=hashlib.sha256(envelope).hexdigest())
    body = _canonical(manifest)
    signature = signer.sign(_MANIFEST_CONTEXT + body)
    return PARTNER_MAGIC + struct.pack(">I", len(body)) + body + struct.pack(">H", len(signature)) + signature + envelope


def read_manifest(data: bytes, source: str, trusted) -> tuple[dict, bytes]:
    """(manifest, envelope) of a partner file, after checking the manifest's signature against
    ``trusted`` (verify keys by key id) and that the envelope is the one it names."""
    import hashlib
    import json
    import struct

    if not trusted:
        raise PartnerFileError(f"{source}: no trusted signer given: a partner file is accepted only from a known sender")
    if not data.startswith(PARTNER_MAGIC):
        raise PartnerFileError(f"{source}: not a signed paxshare partner file (unsigned, older format, or not a partner file)")
    at = len(PARTNER_MAGIC)
    try:
        (size,) = struct.unpack(">I", data[at:at + 4])
        body = data[at + 4:at + 4 + size]
        at += 4 + size
        (sig_size,) = struct.unpack(">H", data[at:at + 2])
        signature = data[at + 2:at + 2 + sig_size]
        envelope = data[at + 2 + sig_size:]
        manifest = json.loads(body.decode("utf-8"))
    except (struct.error, ValueError):
        raise PartnerFileError(f"{source}: damaged partner file (manifest unreadable)") from None
    if len(body) != size or len(signature) != sig_size or not isinstance(manifest, dict):
        raise PartnerFileError(f"{source}: damaged partner file (truncated)")
    if manifest.get("format") != MANIFEST_FORMAT:
        raise PartnerFileError(f"{source}: manifest format {manifest.get('format')!r} is not {MANIFEST_FORMAT}")
    key = trusted.get(manifest.get("signer"))
    if key is None:
        raise PartnerFileError(f"{source}: signed by {manifest.get('signer')!r}, which is not a trusted signer "
                               f"(trusted: {', '.join(sorted(trusted))})")
    if _canonical(manifest) != body or not key.verify(signature, _MANIFEST_CONTEXT + body):
        raise PartnerFileError(f"{source}: bad manifest signature by {manifest.get('signer')!r}: the file was altered or forged")
    if hashlib.sha256(envelope).hexdigest() != manifest.get("envelope_sha256"):
        raise PartnerFileError(f"{source}: the sealed content is not the one the signed manifest names (replaced)")
    return manifest, envelope


def open_partner_file(data: bytes, keyring, trusted, recipient: str, name: str, source: str = "") -> tuple[dict, list[dict]]:
    """(manifest, SharedRecord dicts) of a partner file: signature of manifest and envelope by a
    trusted signer, recipient and file name, decryption, record count and every record's content
    hash against the manifest. Raises ``PartnerFileError`` or ``crypto.SealError`` naming the file."""
    from pipelines import crypto

    source = source or name
    manifest, envelope = read_manifest(data, source, trusted)
    if manifest.get("recipient") != recipient:
        raise PartnerFileError(f"{source}: misaddressed: sealed for {manifest.get('recipient')!r}, not {recipient!r}")
    if manifest.get("file") != Path(name).name:
        raise PartnerFileError(f"{source}: the manifest names file {manifest.get('file')!r} (renamed or replayed under another name)")
    records = decode(crypto.open_sealed(envelope, keyring, aad(recipient, name), trusted, source=source))
    listed = [hash_ for _, hash_ in manifest.get("disclosures", [])]
    if len(records) != manifest.get("records") or sorted(r["content_hash"] for r in records) != sorted(listed):
        raise PartnerFileError(f"{source}: the records inside do not match the signed manifest")
    return manifest, records


def open_records(blob: bytes, keyring, recipient: str, name: str, trusted=None) -> list[dict]:
    """The SharedRecords of a partner file (see ``open_partner_file``; ``trusted`` is required)."""
    return open_partner_file(blob, keyring, trusted, recipient, name, str(name))[1]


def public_key_for(keys_dir: str | Path, recipient: str, partners: dict | None = None):
    """The partner's current recipient public key from the keys directory."""
    from pipelines import crypto

    name = partners[recipient].key_name if partners and recipient in partners else recipient
    return crypto.load_public_key(crypto.current_public_key_path(keys_dir, name))
