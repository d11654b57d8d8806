"""The ``paxshare`` command.

Each subcommand lives in the module of its area, which exposes ``add_arguments(parser)`` and
``main(args) -> int``. Only the chosen subcommand's module is imported, so ``paxshare --help`` and
light commands start fast and do not pay for Beam or great-expectations.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

#: subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("pipelines.generate.cli", "write synthetic API/PNR manifests (and watchlists) with planted truth"),
    "run": ("pipelines.batch", "run the pipeline: read, validate, screen, share, flag"),
    "convert": ("pipelines.io.edifact.cli", "convert UN/EDIFACT PAXLST/PNRGOV to Avro manifests"),
    "screen": ("pipelines.screening.cli", "match travellers against watchlists, one JSON line per candidate"),
    "rules": ("pipelines.sharing.cli_rules", "check the sharing arrangements in a rules directory"),
    "audit": ("pipelines.sharing.cli_audit", "verify the hash-chained sharing audit log"),
    "retention": ("pipelines.sharing.cli_retention", "apply depersonalisation and retention schedules to stored outputs"),
    "keys": ("pipelines.flags.cli_keys", "create, list and rotate unit and signing keys"),
    "review": ("pipelines.review.cli", "JPAU analysts: list, open and dispose of risk flags (CLI or web)"),
}


def _top_level_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paxshare",
        description="Privacy-filtered API/PNR exchange between partner countries.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items())
        + "\n\n'paxshare COMMAND --help' describes one command.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = _top_level_parser()
        known, _ = parser.parse_known_args(argv)
        if known.version:
            from pipelines import __version__
            print(f"paxshare {__version__}")
            return 0
        if known.command:
            parser.error(f"unknown command {known.command!r}")
        parser.print_help()
        return 0 if not argv else 2
    name, rest = argv[0], argv[1:]
    module_name, text = COMMANDS[name]
    # Beam logs optional-dependency notices at import; set PAXSHARE_LOG=INFO to see everything.
    logging.getLogger().setLevel(os.environ.get("PAXSHARE_LOG", "ERROR").upper())
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"paxshare {name}", description=text)
    module.add_arguments(parser)
    beam_args: list[str] = []
    if "--" in rest:
        split = rest.index("--")
        rest, beam_args = rest[:split], rest[split + 1:]
    args = parser.parse_args(rest)
    args.beam_args = beam_args
    return int(module.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
