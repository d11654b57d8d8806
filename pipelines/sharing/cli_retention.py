"""``paxshare retention --outputs DIR --rules DIR --keys KEYS [--now ISO]``.

Applies the operator's own schedule (``own-stores.yaml``: valid records, matches, dead letters;
see ``own_stores.py``) and each arrangement's depersonalisation and retention schedule to the
sealed partner files under ``OUTPUT/partners/``: opens each file with the recipient's private key (the holder of the
data runs this: the partner, or an operator keeping a custodial copy), masks or deletes records,
re-seals the file to the same key (or removes it when nothing is left) and appends one audit
segment listing every record masked or deleted, with old and new content hash.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outputs", required=True, help="pipeline output directory (holds partners/ and audit/)")
    parser.add_argument("--rules", default=None, help="rules directory (default: the packaged rules/)")
    parser.add_argument("--keys", required=True, help="keys directory holding the recipients' private keys")
    parser.add_argument("--now", default=None, help="ISO 8601 time to apply the schedule at (default: now, UTC)")
    parser.add_argument("--audit", default=None, help="audit directory (default: OUTPUTS/audit)")
    parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
    parser.add_argument("--confirmed", default=None,
                        help="traveller ids (and PNR locators) with a confirmed match, one per line: kept in the "
                             "operator's own stores (rules/own-stores.yaml)")


def main(args: argparse.Namespace) -> int:
    from pipelines import crypto
    from pipelines.sharing import output, retention
    from pipelines.sharing import disclose
    from pipelines.sharing.audit import LocalStore, prepare
    from pipelines.sharing.transforms import load_signer
    from pipelines.sharing.rules import RulesError, load_rules

    try:
        arrangements = {a.id: a for a in load_rules(args.rules)}
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return 1
    now = retention.parse_time(args.now) if args.now else datetime.now(timezone.utc)
    if now is None:
        print(f"--now {args.now!r} is not an ISO 8601 time", file=sys.stderr)
        return 2
    keyring = crypto.load_private_keys(args.keys)
    trusted = crypto.load_verify_keys(args.keys)
    signer = None if args.dry_run else load_signer(args.keys)
    root = Path(args.outputs)
    run_id = f"retention-{now.strftime('%Y%m%dT%H%M%SZ')}"
    staged, status, counts = [], 0, {"mask": 0, "delete": 0, "keep": 0, "exempt": 0}
    for path in sorted((root / "partners").glob(f"*/*{output.SEALED_SUFFIX}")):
        recipient = path.parent.name
        blob = path.read_bytes()
        try:
            records = output.open_records(blob, keyring, recipient, path.name, trusted)
        except (crypto.SealError, output.PartnerFileError) as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            status = 1
            continue
        kept, entries = [], []
        name = str(path.relative_to(root))
        for record in records:
            outcome = retention.apply(record, arrangements.get(record["arrangement_id"]), now)
            counts[outcome.action] += 1
            if outcome.action in ("mask", "delete"):
                new_hash = outcome.record["content_hash"] if outcome.record else None
                entries.append(((name, record["record_id"]), prepare({
                    "event": outcome.action, "time_utc": retention.iso(now), "file": name,
                    "recipient": recipient, "arrangement_id": record["arrangement_id"],
                    "rules_version": record["rules_version"], "record_id": record["record_id"],
                    "masked_fields": outcome.masked, "old_content_hash": record["content_hash"],
                    "new_content_hash": new_hash,
                    "reason": outcome.reason,
                }), None, new_hash))
            if outcome.record is not None:
                kept.append(outcome.record)
        if not entries or args.dry_run:
            continue
        if kept:
            envelope = output.read_manifest(blob, str(path), trusted)[1]
            key_id = crypto.envelope_info(envelope, str(path)).recipient_key_id
            sealed = output.seal_records(kept, keyring[key_id].public_key(), recipient, path.name, signer)
            staged.append(disclose.stage(str(root), run_id, name, recipient, sealed, entries,
                                         [r["content_hash"] for r in kept]))
        else:
            staged.append(disclose.StagedFile(name, "", recipient, entries, [], remove=True))
    print(f"retention at {retention.iso(now)}: masked {counts['mask']}, deleted {counts['delete']}, "
          f"exempt (flagged) {counts['exempt']}, unchanged {counts['keep']}" + (" (dry run)" if args.dry_run else ""))
    if staged:
        # write-ahead, as for disclosures: the mask/delete entries are logged before any file changes
        result = disclose.commit(str(root), LocalStore(args.audit or root / "audit"), staged, run_id,
                                 retention.iso(now), signer, resends=False)
        print(f"audit: {result.checkpoint.segment}, head {result.checkpoint.head} (entry {result.checkpoint.count})")
    return _own_stores(args, root, now, run_id, signer, status)


def _own_stores(args, root: Path, now, run_id: str, signer, status: int) -> int:
    """The operator's own stores (valid records, matches, dead letters) under ``own-stores.yaml``:
    every action is logged (signed checkpoint) before any file is rewritten or deleted."""
    from pipelines.sharing import own_stores, retention
    from pipelines.sharing.audit import LocalStore, append_checkpointed, prepare
    from pipelines.sharing.rules import RulesError, default_rules_dir

    try:
        policy = own_stores.load(args.rules or default_rules_dir())
        confirmed = own_stores.read_confirmed(getattr(args, "confirmed", None))
    except (RulesError, OSError) as error:
        print(error, file=sys.stderr)
        return 1
    if policy is None:
        print("own stores: no own-stores.yaml in the rules: the operator's copies are not on a schedule")
        return status
    actions = own_stores.plan(root, policy, now, confirmed)
    masked = sum(a.records - a.kept for a in actions if a.action == "mask")
    deleted = sum(a.records - a.kept for a in actions if a.action == "delete")
    kept = sum(a.kept for a in actions)
    print(f"own stores at {retention.iso(now)}: {len(actions)} files due, records masked {masked}, deleted {deleted}, "
          f"kept (confirmed match) {kept}" + (" (dry run)" if args.dry_run else ""))
    if actions and not args.dry_run:
        store = LocalStore(args.audit or root / "audit")
        checkpoint = append_checkpointed(store, [prepare(a.entry(now)) for a in actions], f"{run_id}-own-stores",
                                         retention.iso(now), signer, {"rules_digest": policy.digest})
        for action in actions:
            own_stores.carry_out(action)
        print(f"audit: {checkpoint.segment}, head {checkpoint.head} (entry {checkpoint.count})")
    return status
