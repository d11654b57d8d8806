"""``paxshare rules check [DIR]``: lint the sharing arrangements in a rules directory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check"], help="check: validate every arrangement and the partner registry")
    parser.add_argument("rules_dir", nargs="?", default=None, help="rules directory (default: the packaged rules/)")
    parser.add_argument("--keys", default=None, metavar="KEYS_DIR",
                        help="also check that every arrangement's pseudonym key exists in KEYS_DIR")
    parser.add_argument("--init-keys", default=None, metavar="KEYS_DIR",
                        help="create missing pseudonym keys (32 random bytes, mode 0600) in KEYS_DIR")


def main(args: argparse.Namespace) -> int:
    from pipelines.sharing.engine import KeyError_, create_secret, read_secret
    from pipelines import storage
    from pipelines.sharing.rules import RulesError, default_rules_dir, load_rules

    folder = args.rules_dir or str(default_rules_dir())
    try:
        arrangements = load_rules(folder)
    except RulesError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    status = 0
    for a in arrangements:
        kinds = "+".join(a.data)
        fields = sum(len(a.allowed_paths(k)) for k in a.data)
        print(f"{a.rules_version:<14} {a.provider}->{a.recipient} {kinds:<7} {a.sharing_mode:<12} "
              f"{fields:>3} fields  {storage.basename(a.source_file)}")
        if args.init_keys:
            path = Path(args.init_keys) / a.pseudonym_key
            if create_secret(path):
                print(f"  created pseudonym key {path}")
        keys = args.keys or args.init_keys
        if keys:
            try:
                read_secret(Path(keys) / a.pseudonym_key)
            except KeyError_ as exc:
                print(f"{a.source_file}: {exc}", file=sys.stderr)
                status = 1
    print(f"{len(arrangements)} arrangement(s) OK in {folder}")
    if not storage.has_scheme(folder):
        from pipelines.sharing import own_stores

        try:
            policy = own_stores.load(folder)
        except RulesError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return 1
        if policy is None:
            print(f"no {own_stores.FILE_NAME}: the operator's own stores are on no retention schedule")
        else:
            print(f"{own_stores.FILE_NAME}: {len(policy.stores)} own stores on a retention schedule")
    return status
