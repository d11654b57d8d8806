"""``paxshare receive FILES... --keys KEYS --trust TRUST --out DIR``: a partner opens what it was sent.

    paxshare receive partners/CAN/*.sealed --keys CAN_KEYS --trust PROVIDER_VERIFY_KEYS --out inbox
        [--format jsonl|avro] [--rules RULES] [--ack-key NAME]

``--keys``: the partner's own key folder (recipient private keys, and its signing key for
acknowledgements). ``--trust``: a folder holding the provider pipeline's verify (signing public)
key(s): a file signed by anyone else is refused. Each accepted file gives ``OUT/records/<file
stem>.jsonl`` (or ``.avro``: the same fields, the payload as JSON text), one record per line with
its arrangement, onward-transfer marking and retention dates; a line in ``OUT/receipts.jsonl``;
and, with ``--ack-key``, ``OUT/acks/<file>.ack.json`` signed with that key of the partner's, to
return to the sender. A refused file (unsigned, forged, tampered, misaddressed, renamed, replayed,
out of order) is named with the reason, and nothing of it is written. Exit status: 0 when every
file was accepted, 1 when any was refused, 2 on a usage error.

A withdrawal notice (a record of kind ``WITHDRAWAL``) is kept in ``OUT/withdrawals.jsonl`` and
applied to the record it names, in whichever records file holds it, now or when it comes: that
record keeps its envelope, loses its payload, and is marked ``withdrawn`` (see
``sharing/receive.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="partner files as received (*.avro.sealed)")
    parser.add_argument("--keys", required=True, help="the partner's key folder (recipient private keys)")
    parser.add_argument("--trust", required=True, help="folder with the sender pipeline's verify key(s)")
    parser.add_argument("--out", required=True, help="where records, receipts and acknowledgements go")
    parser.add_argument("--format", choices=("jsonl", "avro"), default="jsonl", help="records as JSON lines or Avro")
    parser.add_argument("--rules", default=None, help="the arrangements (for retention dates; default: packaged rules)")
    parser.add_argument("--ack-key", default=None, help="name of the partner's signing key: write signed acknowledgements")


_AVRO_SCHEMA = {
    "type": "record", "name": "ReceivedRecord", "namespace": "paxshare.receive",
    "fields": [{"name": n, "type": t} for n, t in (
        ("record_id", "string"), ("arrangement_id", "string"), ("rules_version", "string"), ("provider", "string"),
        ("recipient", "string"), ("data_kind", "string"), ("flagged", "boolean"), ("purpose", "string"),
        ("onward_transfer", "string"), ("retention_json", "string"), ("scope_reason", "string"),
        ("content_hash", "string"), ("shared_at_utc", "string"), ("received_utc", "string"),
        ("source_file", "string"), ("payload_json", ["null", "string"]), ("withdrawn_json", ["null", "string"]))],
}


def _read_records(path: Path) -> list[dict]:
    """The records of a file ``_write_records`` wrote, as ``receive_file`` returned them."""
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    import fastavro

    with path.open("rb") as handle:
        rows = list(fastavro.reader(handle))
    return [{**{k: v for k, v in row.items() if k not in ("retention_json", "payload_json", "withdrawn_json")},
             "retention": json.loads(row["retention_json"]),
             "payload": None if row["payload_json"] is None else json.loads(row["payload_json"]),
             **({"withdrawn": json.loads(row["withdrawn_json"])} if row.get("withdrawn_json") else {})} for row in rows]


def _apply_withdrawals(folder: Path, ledger) -> int:
    """Every known withdrawal applied to every records file that holds its record; how many."""
    total = 0
    for path in sorted(folder.glob("*.jsonl")) + sorted(folder.glob("*.avro")):
        records, applied = ledger.apply(_read_records(path))
        if applied:
            _write_records(folder, path.stem, records, "jsonl" if path.suffix == ".jsonl" else "avro")
            total += applied
    return total


def _write_records(folder: Path, stem: str, records: list, fmt: str) -> Path:
    from pipelines.sharing.audit import write_atomic

    if fmt == "jsonl":
        path = folder / f"{stem}.jsonl"
        data = "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    else:
        import io

        import fastavro

        path = folder / f"{stem}.avro"
        rows = [{**{k: r[k] for k in ("record_id", "arrangement_id", "rules_version", "provider", "recipient",
                                       "data_kind", "flagged", "purpose", "onward_transfer", "scope_reason",
                                       "content_hash", "shared_at_utc", "received_utc", "source_file")},
                 "retention_json": json.dumps(r["retention"], sort_keys=True),
                 "payload_json": None if r["payload"] is None else json.dumps(r["payload"], sort_keys=True, ensure_ascii=False),
                 "withdrawn_json": json.dumps(r["withdrawn"], sort_keys=True) if r.get("withdrawn") else None}
                for r in records]
        buffer = io.BytesIO()
        fastavro.writer(buffer, _AVRO_SCHEMA, rows)
        data = buffer.getvalue()
    write_atomic(path, data, 0o600)
    return path


def main(args: argparse.Namespace) -> int:
    from pipelines import crypto
    from pipelines.sharing.audit import write_atomic
    from pipelines.sharing.receive import (ReceiptLog, ReceiveError, WithdrawalLedger, acknowledgement, is_notice,
                                           receive_file)
    from pipelines.sharing.rules import RulesError, load_rules

    try:
        keyring = crypto.load_private_keys(args.keys)
        trusted = crypto.load_verify_keys(args.trust)
        arrangements = {a.id: a for a in load_rules(args.rules)}
        ack_signer = (crypto.load_signing_key(crypto.current_signing_key_path(args.keys, args.ack_key))
                      if args.ack_key else None)
    except (crypto.CryptoError, RulesError, OSError, ValueError) as error:
        print(f"paxshare receive: {error}", file=sys.stderr)
        return 2
    if not trusted:
        print(f"paxshare receive: {args.trust}: no verify key: a partner file is accepted only from a known sender",
              file=sys.stderr)
        return 2
    out = Path(args.out)
    log = ReceiptLog(out / "receipts.jsonl")
    ledger = WithdrawalLedger(out / "withdrawals.jsonl")
    status = 0
    for name in args.files:
        try:
            received = receive_file(name, keyring, trusted, log, arrangements)
        except ReceiveError as error:
            print(f"refused: {error}", file=sys.stderr)
            status = 1
            continue
        stem = received.file.removesuffix(".avro.sealed")
        notices = [r for r in received.records if is_notice(r)]
        for notice in notices:
            ledger.add(notice)
        path = _write_records(out / "records", stem, received.records, args.format)
        line = f"received {received.file}: {len(received.records)} records -> {path}"
        withdrawn = _apply_withdrawals(out / "records", ledger) if ledger.log.entries else 0
        if notices or withdrawn:
            line += f"; {len(notices)} withdrawal notices, {withdrawn} earlier records withdrawn"
        if ack_signer is not None:
            ack = acknowledgement(received.receipt, ack_signer)
            ack_path = out / "acks" / f"{received.file}.ack.json"
            write_atomic(ack_path, (json.dumps(ack, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o600)
            line += f"; acknowledgement {ack_path}"
        print(line)
    return status
