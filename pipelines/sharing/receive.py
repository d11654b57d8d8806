"""The receiving side: a partner agency opens what it was sent, proves it, and acknowledges it.

    receive_file(path, keyring, trusted, state, arrangements) -> Received

For one partner file: the manifest's signature by a trusted sender (the provider pipeline's
verify key), the signed audit checkpoint inside it, the file name it was sealed under, the
envelope's own signature, decryption with the partner's key, and every record against the
manifest (``output.open_partner_file``). Then two checks only the receiver can make, against its
receipt log (``ReceiptLog``, JSON lines, one per accepted file, fsynced):

- **replay**: the same file (same name and SHA-256) was already received;
- **out of order**: the file's checkpoint covers fewer audit entries than a file already received
  from the same sender (an older file presented after a newer one, or a log rolled back).

Each record is returned with what the recipient must honour: its arrangement and rules version,
the onward-transfer marking, and the retention dates the arrangement sets (``retention.schedule``).
A record of kind ``WITHDRAWAL`` is a notice that a record sent earlier under the same arrangement
no longer stands (the traveller's list was replaced, the person removed from it, the reservation
or flight cancelled): ``withdraw`` applies it to the earlier record, which keeps its envelope (the
proof of what was received) and loses its payload, marked ``withdrawn`` with the notice's id and
reason. A notice that arrives before its record is kept (``WithdrawalLedger``) and applied when
the record comes.

``acknowledgement`` is a receipt the partner signs with its own Ed25519 key (file, SHA-256,
record count, run, checkpoint head and count), so both sides hold the same proof of what was
exchanged. No Beam.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.sharing import audit, output, retention

ACK_FORMAT = "paxshare-receipt/1"
_ACK_CONTEXT = b"paxshare-receipt-v1\x00"


class ReceiveError(ValueError):
    """A file was refused; the message names it and says why."""


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ReceiptLog:
    """The partner's log of accepted files: ``receipts.jsonl`` (0600, fsynced per line)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries = []
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    self.entries.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a torn last line from a crash: that receipt never completed

    def seen(self, file_name: str, sha256: str) -> dict | None:
        return next((e for e in self.entries if e["file"] == file_name and e["sha256"] == sha256), None)

    def newest_count(self, signer: str) -> int:
        return max((e["checkpoint_count"] for e in self.entries if e["signer"] == signer), default=0)

    def append(self, entry: dict) -> None:
        audit.private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, _canonical(entry) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        self.entries.append(entry)


@dataclass
class Received:
    file: str
    sha256: str
    manifest: dict
    records: list
    receipt: dict


def receive_file(path: str | Path, keyring, trusted: dict, log: ReceiptLog, arrangements: dict,
                 now: datetime | None = None) -> Received:
    """Open, check and log one partner file (see the module doc); ``ReceiveError`` when refused."""
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReceiveError(f"{source}: cannot be read: {error}") from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        manifest, _ = output.read_manifest(data, source, trusted)
        checkpoint = audit.Checkpoint.from_dict(manifest.get("checkpoint") or {})
    except ValueError as error:
        raise ReceiveError(str(error)) from None
    problem = audit.checkpoint_problem(checkpoint, trusted)
    if problem:
        raise ReceiveError(f"{source}: its audit checkpoint is not valid: {problem}")
    if checkpoint.statement.get("signer") != manifest.get("signer"):
        raise ReceiveError(f"{source}: checkpoint and manifest are signed by different keys")
    if path.name != manifest.get("file"):
        raise ReceiveError(f"{source}: the file was renamed: it was sealed as {manifest.get('file')!r}")
    earlier = log.seen(path.name, digest)
    if earlier:
        raise ReceiveError(f"{source}: replayed: this file was already received at {earlier['received_utc']}")
    newest = log.newest_count(manifest["signer"])
    if checkpoint.count < newest:
        raise ReceiveError(f"{source}: out of order: its checkpoint covers audit entry {checkpoint.count}, but a file "
                           f"covering entry {newest} was already received from {manifest['signer']!r}")
    name = f"partners/{manifest['recipient']}/{manifest['file']}"
    try:
        manifest, records = output.open_partner_file(data, keyring, trusted, manifest["recipient"], name, source)
    except ValueError as error:  # PartnerFileError and crypto.SealError
        raise ReceiveError(str(error)) from None
    received_utc = retention.iso(now or datetime.now(timezone.utc))
    opened = []
    for record in records:
        opened.append({
            "record_id": record["record_id"], "arrangement_id": record["arrangement_id"],
            "rules_version": record["rules_version"], "provider": record["provider"],
            "recipient": record["recipient"], "data_kind": record["data_kind"], "flagged": record["flagged"],
            "purpose": record["purpose"], "onward_transfer": record["onward_transfer"],
            "retention": retention.schedule(record, arrangements.get(record["arrangement_id"])),
            "scope_reason": record["scope_reason"], "fields_sent": record["fields_sent"],
            "masked_fields": record["masked_fields"], "content_hash": record["content_hash"],
            "shared_at_utc": record["shared_at_utc"], "received_utc": received_utc,
            "source_file": path.name, "payload": json.loads(record["payload_json"]),
        })
    receipt = {"file": path.name, "sha256": digest, "records": len(records), "run_id": manifest["run_id"],
               "recipient": manifest["recipient"], "signer": manifest["signer"],
               "checkpoint_count": checkpoint.count, "checkpoint_head": checkpoint.head,
               "received_utc": received_utc}
    log.append(receipt)
    return Received(path.name, digest, manifest, opened, receipt)


WITHDRAWAL = "WITHDRAWAL"


def is_notice(record: dict) -> bool:
    """A received withdrawal notice (rather than a record of a traveller or PNR)."""
    return record.get("data_kind") == WITHDRAWAL


def withdraw(record: dict, notice: dict) -> dict:
    """``record`` (as ``receive_file`` returns it) withdrawn by ``notice``: the envelope stays, the
    payload goes, ``withdrawn`` says by which notice, why and when it was received."""
    return dict(record, payload=None, withdrawn={
        "notice_record_id": notice["record_id"], "reason": notice["payload"]["reason"],
        "notice_file": notice["source_file"], "received_utc": notice["received_utc"]})


class WithdrawalLedger:
    """Every withdrawal notice accepted (``withdrawals.jsonl`` beside the receipts, 0600, fsynced),
    so that a notice received before its record still applies when the record comes."""

    def __init__(self, path: str | Path):
        self.log = ReceiptLog(path)  # the same durable JSON-lines file

    def add(self, notice: dict) -> None:
        key = (notice["arrangement_id"], notice["payload"]["withdrawn_record_id"])
        if key not in self.by_record():
            self.log.append({k: notice[k] for k in ("record_id", "arrangement_id", "recipient", "payload",
                                                   "source_file", "received_utc")})

    def by_record(self) -> dict[tuple[str, str], dict]:
        """``(arrangement id, withdrawn record id) -> notice``."""
        return {(e["arrangement_id"], e["payload"]["withdrawn_record_id"]): e for e in self.log.entries}

    def apply(self, records: list[dict]) -> tuple[list[dict], int]:
        """(records with every known withdrawal applied, how many were newly withdrawn)."""
        notices, out, applied = self.by_record(), [], 0
        for record in records:
            notice = None if is_notice(record) or record.get("withdrawn") else notices.get(
                (record["arrangement_id"], record["record_id"]))
            if notice is not None:
                record, applied = withdraw(record, notice), applied + 1
            out.append(record)
        return out, applied


def acknowledgement(receipt: dict, signer) -> dict:
    """A receipt signed with the partner's own Ed25519 key: what both sides can show later."""
    statement = {"format": ACK_FORMAT, **{k: receipt[k] for k in ("file", "sha256", "records", "run_id", "recipient",
                                                                    "checkpoint_count", "checkpoint_head", "received_utc")},
                 "receiver": signer.key_id}
    signature = base64.b64encode(signer.sign(_ACK_CONTEXT + _canonical(statement))).decode("ascii")
    return {"statement": statement, "signature": signature}


def verify_acknowledgement(ack: dict, trusted: dict) -> bool:
    """True when ``ack`` is signed by one of the partner keys in ``trusted``."""
    statement = ack.get("statement") or {}
    key = trusted.get(statement.get("receiver"))
    if key is None or statement.get("format") != ACK_FORMAT:
        return False
    try:
        signature = base64.b64decode(ack.get("signature", ""), validate=True)
    except ValueError:
        return False
    return key.verify(signature, _ACK_CONTEXT + _canonical(statement))
