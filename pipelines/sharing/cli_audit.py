"""``paxshare audit verify PATH``: check the sharing audit log's hash chain, signed checkpoints and anchors.

    paxshare audit verify OUT/audit --keys KEYS [--checkpoint FILE]... [--partner-file FILE]... [--expect-head HASH]

``--keys``: a folder holding the pipeline's signing *public* key (the verify key); every segment
must then end with a checkpoint signed by it. ``--checkpoint``: a checkpoint held elsewhere (a
run report, which carries ``audit.checkpoint``, or a JSON file with ``statement`` and
``signature``). ``--partner-file``: a partner file as the partner received it; its signed
manifest carries the checkpoint of its run and the seq and content hash of each record's entry,
all checked against the log (no decryption needed). Anchors catch what no chain can show on its
own: deleted newest segments, truncation, a log rebuilt from scratch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify"], help="verify: check every entry and link, name the first broken one")
    parser.add_argument("path", help="audit directory (OUTPUT/audit) or a pipeline output directory holding audit/")
    parser.add_argument("--keys", default=None, help="folder with the pipeline's signing public key: checkpoint signatures are checked")
    parser.add_argument("--checkpoint", action="append", default=[], help="an earlier checkpoint (JSON, or a run report); repeatable")
    parser.add_argument("--partner-file", action="append", default=[], help="a partner file as received: its checkpoint and entries are checked")
    parser.add_argument("--expect-head", default=None, help="head hash recorded elsewhere; catches deleted newest segments")


def _checkpoint_from(path: Path):
    from pipelines.sharing.audit import Checkpoint

    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "audit" in data and isinstance(data["audit"], dict):
        data = data["audit"].get("checkpoint")
    return Checkpoint.from_dict(data)


def _entries_at(store, seqs: set[int]) -> dict[int, dict]:
    from pipelines.sharing.audit import segment_names

    found = {}
    for name in segment_names(store):
        for line in store.read(name).splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if entry.get("seq") in seqs:
                found[entry["seq"]] = entry
    return found


def check_partner_files(store, paths, trusted) -> tuple[list, list[str]]:
    """(their checkpoints, problems): each file's manifest signature, and each of its records'
    entries in the log (same seq, same content hash, same recipient)."""
    from pipelines.sharing import output
    from pipelines.sharing.audit import Checkpoint

    checkpoints, problems, wanted = [], [], []
    for path in paths:
        manifest, _ = output.read_manifest(Path(path).read_bytes(), str(path), trusted)
        checkpoints.append(Checkpoint.from_dict(manifest["checkpoint"]))
        for seq, content_hash in manifest.get("disclosures", []):
            if seq is not None:
                wanted.append((path, manifest["recipient"], int(seq), content_hash))
    found = _entries_at(store, {seq for _, _, seq, _ in wanted})
    for path, recipient, seq, content_hash in wanted:
        entry = found.get(seq)
        if entry is None:
            problems.append(f"{path}: its record {content_hash[:16]}... was logged as entry {seq}, which the log no longer holds")
        elif content_hash not in (entry.get("content_hash"), entry.get("new_content_hash")) or entry.get("recipient") != recipient:
            problems.append(f"{path}: entry {seq} in the log is not the disclosure of its record {content_hash[:16]}... (log rewritten)")
    return checkpoints, problems


def event_counts(store) -> dict[str, int]:
    """How many entries of each kind the log holds (``share``, ``resend``, ``withdraw``, ...)."""
    from pipelines.sharing.audit import segment_names

    counts: dict[str, int] = {}
    for name in segment_names(store):
        for line in store.read(name).splitlines():
            try:
                event = json.loads(line).get("event")
            except (json.JSONDecodeError, AttributeError):
                continue
            if event not in ("segment_start", "checkpoint"):
                counts[event] = counts.get(event, 0) + 1
    return counts


def main(args: argparse.Namespace) -> int:
    from pipelines import crypto
    from pipelines.sharing.audit import LocalStore, segment_names, verify

    path = Path(args.path)
    if path.is_dir() and not segment_names(LocalStore(path)) and (path / "audit").is_dir():
        path = path / "audit"
    if not path.is_dir():
        print(f"{path}: audit directory not found", file=sys.stderr)
        return 2
    store = LocalStore(path)
    try:
        trusted = crypto.load_verify_keys(args.keys) if getattr(args, "keys", None) else None
        if trusted is not None and not trusted:
            print(f"{args.keys}: no signing public key found (the pipeline's verify key)", file=sys.stderr)
            return 2
        anchors = [_checkpoint_from(Path(p)) for p in getattr(args, "checkpoint", None) or []]
        partner_checkpoints, problems = check_partner_files(store, getattr(args, "partner_file", None) or [], trusted or {})
    except (OSError, ValueError, KeyError) as error:
        print(f"paxshare audit verify: {error}", file=sys.stderr)
        return 2
    result = verify(store, args.expect_head, trusted=trusted, anchors=anchors + partner_checkpoints)
    if result.ok and problems:
        result.ok, result.broken_at, result.reason = False, "(partner file)", problems[0]
    print(result, file=sys.stdout if result.ok else sys.stderr)
    if result.ok:
        counts = event_counts(store)
        print(f"disclosures: {counts.pop('share', 0)} records shared, {counts.pop('withdraw', 0)} withdrawal notices, "
              f"{counts.pop('resend', 0)} re-sent" + "".join(f", {n} {event}" for event, n in sorted(counts.items())))
    return 0 if result.ok else 1
