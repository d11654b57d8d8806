"""A digest of everything a ``paxshare run`` wrote, to prove two runs gave the same outputs.

    python benchmarks/output_digest.py OUT KEYS [--json digest.json]

Per part: valid travellers and PNRs, dead letters, match candidates, risk flags (opened with the
units' private keys in KEYS, signatures checked), partner records (opened with the partners'
private keys, manifests checked), and the report's counts. Each part is the SHA-256 of its
records in canonical JSON, sorted, so file layout, sharding and record order do not matter, and
the number of records. What legitimately differs between two runs of the same inputs is left
out: the time a run raised its flags or shared its records (``created_utc``, ``shared_at_utc``;
a partner record's ``content_hash`` covers the latter, so it is checked against the record and
then left out), and the report's timing. Compare two runs with ``--json`` and ``diff``, or let
``benchmarks/pipeline_throughput.py --compare`` do it.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import sys
from pathlib import Path

import fastavro

#: fields that carry the run's wall-clock time, not its content
RUN_TIME_FIELDS = frozenset({"created_utc", "shared_at_utc"})


def _canonical(record) -> str:
    return json.dumps(_without_times(record), sort_keys=True, default=_bytes_hex, separators=(",", ":"))


def _without_times(value):
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in RUN_TIME_FIELDS}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _bytes_hex(value):
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    raise TypeError(type(value).__name__)


def _digest(records) -> dict:
    lines = sorted(_canonical(r) for r in records)
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode())
        sha.update(b"\n")
    return {"records": len(lines), "sha256": sha.hexdigest()}


def _avro(pattern: str):
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as handle:
            yield from fastavro.reader(handle)


def _flags(output: Path, keys: str):
    from pipelines import crypto
    from pipelines.flags.reader import read_flags

    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    for path in sorted(glob.glob(str(output / "flags" / "*" / "*.sealed"))):
        for flag in read_flags(path, keyring, trusted, expect_unit=Path(path).parent.name):
            yield flag


def _partner_records(output: Path, keys: str):
    from pipelines import crypto
    from pipelines.sharing.engine import content_hash
    from pipelines.sharing.output import open_partner_file

    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    for path in sorted(glob.glob(str(output / "partners" / "*" / "*.sealed"))):
        recipient = Path(path).parent.name
        _, records = open_partner_file(Path(path).read_bytes(), keyring, trusted, recipient, Path(path).name, path)
        for record in records:
            # the record's hash covers the time it was shared: checked here, then left out
            if record["content_hash"] != content_hash(record):
                raise ValueError(f"{path}: record {record['record_id']} does not match its content hash")
            yield {k: v for k, v in record.items() if k != "content_hash"}


def digest(output: str, keys: str | None) -> dict:
    """Per part: {records, sha256}; flags and partner records need ``keys``."""
    out = Path(output)
    parts = {
        "valid_travellers": _digest(_avro(str(out / "valid" / "api_travellers" / "*.avro"))),
        "valid_pnrs": _digest(_avro(str(out / "valid" / "pnr" / "*.avro"))),
        "dead_letters": _digest(_avro(str(out / "dead_letter" / "*.avro"))),
        "match_candidates": _digest(_avro(str(out / "matches" / "*.avro"))),
    }
    if keys and glob.glob(str(out / "flags" / "*" / "*.sealed")):
        parts["flags"] = _digest(_flags(out, keys))
    if keys and glob.glob(str(out / "partners" / "*" / "*.sealed")):
        parts["partner_records"] = _digest(_partner_records(out, keys))
    report = json.loads((out / "report" / "run_report.json").read_text())
    counts = {k: report[k] for k in ("totals", "stages", "reconciled", "files") if k in report}
    parts["report_counts"] = _digest([counts])
    return parts


def differences(before: dict, after: dict) -> list[str]:
    """The parts whose digest or count differs, described."""
    return [f"{part}: {before.get(part)} != {after.get(part)}"
            for part in sorted(set(before) | set(after)) if before.get(part) != after.get(part)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="a paxshare run's output folder")
    parser.add_argument("keys", nargs="?", help="keys folder holding the units' and partners' private keys")
    parser.add_argument("--json", help="also write the digest here")
    parser.add_argument("--compare", help="a digest JSON written before: exit 1 when any part differs")
    args = parser.parse_args(argv)
    parts = digest(args.output, args.keys)
    for part, value in parts.items():
        print(f"{part:18} {value['records']:>10,}  {value['sha256'][:16]}")
    if args.json:
        Path(args.json).write_text(json.dumps(parts, indent=2, sort_keys=True))
    if args.compare:
        different = differences(json.loads(Path(args.compare).read_text()), parts)
        print("identical to " + args.compare if not different else "DIFFERENT:\n  " + "\n  ".join(different))
        return 1 if different else 0
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
