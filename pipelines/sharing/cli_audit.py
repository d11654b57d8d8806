"""``paxshare audit verify PATH``: check the hash chain of the sharing audit log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["verify"], help="verify: check every entry and link, name the first broken one")
    parser.add_argument("path", help="audit directory (OUTPUT/audit) or a pipeline output directory holding audit/")
    parser.add_argument("--expect-head", default=None, help="head hash recorded elsewhere; catches deleted newest segments")


def main(args: argparse.Namespace) -> int:
    from pipelines.sharing.audit import LocalStore, segment_names, verify

    path = Path(args.path)
    if path.is_dir() and not segment_names(LocalStore(path)) and (path / "audit").is_dir():
        path = path / "audit"
    if not path.is_dir():
        print(f"{path}: audit directory not found", file=sys.stderr)
        return 2
    result = verify(LocalStore(path), args.expect_head)
    print(result, file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1
