"""``paxshare keys``: create, list and rotate recipient and signing key files.

    paxshare keys new    --dir DIR --id ID [--kind recipient|signing] [--suite x25519|mlkem768-x25519]
    paxshare keys list   --dir DIR [--json]
    paxshare keys rotate --dir DIR --id ID [--suite ...]
    paxshare keys demo   --dir DIR [--config rules/jpau_units.yaml]

Each key is two files in DIR: ``<key_id>.key.json`` (private, mode 0600) and ``<key_id>.pub.json``
(public, 0644); existing files are never overwritten. ``rotate`` creates generation N+1 of a key's
name with the id ``<name>.<N+1>``; the highest generation is current (used for new flags), older
private keys stay so old files remain readable. Output shows ids, suites and fingerprints only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipelines import crypto

__all__ = ["add_arguments", "main", "create_key", "rotate_key", "create_demo_keys", "list_keys"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="keys_command", metavar="{new,list,rotate,demo}")
    commands.required = True

    new = commands.add_parser("new", help="create a key pair (refuses to overwrite)")
    new.add_argument("--dir", required=True, type=Path, help="keys folder")
    new.add_argument("--id", help="key id, e.g. jpau-yvr (also the key's name)")
    new.add_argument("--kind", choices=("recipient", "signing"), default="recipient")
    new.add_argument("--suite", choices=crypto.SUITES, default=crypto.DEFAULT_SUITE,
                     help="HPKE suite of a recipient key (default %(default)s)")
    new.add_argument("--demo", action="store_true", help="same as 'paxshare keys demo'")
    new.add_argument("--config", default=None, help="units config for --demo")

    listing = commands.add_parser("list", help="key ids, kinds, suites and fingerprints (never secrets)")
    listing.add_argument("--dir", required=True, help="keys folder (any filesystem: gs://... too)")
    listing.add_argument("--json", action="store_true", help="one JSON object per key")

    rotate = commands.add_parser("rotate", help="new generation of a key; the old one stays for reading")
    rotate.add_argument("--dir", required=True, type=Path)
    rotate.add_argument("--id", required=True, help="key name or any key id of its lineage")
    rotate.add_argument("--suite", choices=crypto.SUITES, default=None, help="suite of the new key (default: same)")

    demo = commands.add_parser("demo", help="create every key the default config needs, skipping existing ones")
    demo.add_argument("--dir", required=True, type=Path)
    demo.add_argument("--config", default=None,
                      help="units config, any filesystem (default: packaged rules/jpau_units.yaml)")


def _save_pair(key, directory: Path) -> None:
    _private_folder(directory)
    private = directory / crypto.private_key_file_name(key.key_id)
    public = directory / crypto.public_key_file_name(key.key_id)
    for path in (private, public):
        if path.exists():
            raise FileExistsError(f"{path}: key file already exists; refusing to overwrite it")
    crypto.save_private_key(key, private)
    crypto.save_public_key(key, public)


def _lineage(directory: Path, name_or_id: str) -> list[dict]:
    """Public facts of every key file of the name that ``name_or_id`` is, or belongs to."""
    if not directory.is_dir():
        return []
    facts = [f for _, f in crypto.iter_key_files(directory)]
    names = {f["name"] for f in facts if name_or_id in (f["name"], f["key_id"])}
    return [f for f in facts if f["name"] in names]


def _private_folder(directory: Path) -> None:
    """The keys folder, created owner-only (0700) whatever the umask."""
    missing = []
    walk = Path(directory)
    while not walk.exists():
        missing.append(walk)
        walk = walk.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)


def create_key(directory: Path, key_id: str, kind: str = "recipient", suite: str = crypto.DEFAULT_SUITE):
    """A new key pair named ``key_id`` (generation 1) saved in ``directory``."""
    if _lineage(directory, key_id):
        raise FileExistsError(f"{directory}: a key named {key_id!r} exists; use 'paxshare keys rotate --id {key_id}'")
    key = crypto.generate_signing_key(key_id) if kind == "signing" else crypto.generate_recipient_key(key_id, suite)
    _save_pair(key, directory)
    return key


def rotate_key(directory: Path, name_or_id: str, suite: str | None = None):
    """Generation N+1 of a key's name, with id ``<name>.<N+1>``."""
    lineage = _lineage(directory, name_or_id)
    if not lineage:
        raise KeyError(f"{directory}: no key named {name_or_id!r} to rotate")
    names = {f["name"] for f in lineage}
    if len(names) != 1:
        raise KeyError(f"{directory}: {name_or_id!r} is ambiguous ({', '.join(sorted(names))})")
    (name,) = names
    newest = max(lineage, key=lambda f: f["generation"])
    generation = newest["generation"] + 1
    key_id = f"{name}.{generation}"
    if newest["kind"] == "signing":
        key = crypto.generate_signing_key(key_id, name=name, generation=generation)
    else:
        key = crypto.generate_recipient_key(key_id, suite or newest["suite"], name=name, generation=generation)
    _save_pair(key, directory)
    return key


def create_demo_keys(directory: Path, config_path: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """Every key the units config needs (units, partners, signing key); (name, "created"/"exists")."""
    from pipelines.flags.routing import load_units

    config = load_units(config_path)
    wanted: list[tuple[str, str, str]] = [(u.public_key, "recipient", u.suite) for u in config.units.values()]
    wanted += [(partner, "recipient", suite) for partner, suite in sorted(config.partners.items())]
    wanted.append((config.signing_key, "signing", crypto.ED25519))
    outcome = []
    for name, kind, suite in wanted:
        if _lineage(directory, name):
            outcome.append((name, "exists"))
            continue
        create_key(directory, name, kind, suite if kind == "recipient" else crypto.DEFAULT_SUITE)
        outcome.append((name, "created"))
    return outcome


def list_keys(directory: str | os.PathLike) -> list[dict]:
    """Public facts per key id (private and public files merged), with which key of a name is
    current; the folder is read through :mod:`pipelines.storage` (any filesystem)."""
    by_id: dict[str, dict] = {}
    for _, facts in crypto.iter_key_files(directory):
        entry = by_id.setdefault(facts["key_id"], {**facts, "files": []})
        entry["files"].append(facts["part"])
    newest: dict[tuple[str, str], int] = {}
    for entry in by_id.values():
        slot = (entry["kind"], entry["name"])
        newest[slot] = max(newest.get(slot, 0), entry["generation"])
    rows = []
    for key_id in sorted(by_id):
        entry = by_id[key_id]
        rows.append({
            "key_id": key_id,
            "name": entry["name"],
            "generation": entry["generation"],
            "kind": entry["kind"],
            "suite": entry["suite"],
            "current": entry["generation"] == newest[(entry["kind"], entry["name"])],
            "has_private": "private" in entry["files"],
            "fingerprint": entry["fingerprint"],
            "created_utc": entry["created_utc"],
        })
    return rows


def _print_key(verb: str, key) -> None:
    print(f"{verb} {key.kind} key {key.key_id} ({key.suite}) {key.fingerprint}")


def main(args: argparse.Namespace) -> int:
    try:
        if args.keys_command == "new" and args.demo or args.keys_command == "demo":
            for name, status in create_demo_keys(args.dir, getattr(args, "config", None)):
                print(f"{status:<8} {name}")
            print(f"keys in {args.dir}")
            return 0
        if args.keys_command == "new":
            if not args.id:
                print("paxshare keys new: --id is required (or --demo)", file=sys.stderr)
                return 2
            _print_key("created", create_key(args.dir, args.id, args.kind, args.suite))
            return 0
        if args.keys_command == "rotate":
            _print_key("rotated to", rotate_key(args.dir, args.id, args.suite))
            print("older keys of this name are kept so files sealed to them stay readable")
            return 0
        if args.keys_command == "list":
            rows = list_keys(args.dir)
            if args.json:
                for row in rows:
                    print(json.dumps(row, sort_keys=True))
            else:
                print(f"{'KEY ID':<24} {'KIND':<10} {'SUITE':<16} {'CUR':<4} {'PRIV':<5} FINGERPRINT")
                for row in rows:
                    print(f"{row['key_id']:<24} {row['kind']:<10} {row['suite']:<16} "
                          f"{'*' if row['current'] else '':<4} {'yes' if row['has_private'] else 'no':<5} {row['fingerprint']}")
            return 0
    except (FileExistsError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        print(f"paxshare keys: {message}", file=sys.stderr)
        return 1
    return 2
