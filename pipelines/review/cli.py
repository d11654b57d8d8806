"""``paxshare review``: analysts open, read and dispose of risk flags from the command line.

    paxshare review ingest FLAG_FILES_OR_DIRS --keys UNIT_KEYS --trust SIGNER_KEYS --analyst ID
    paxshare review list [--show open|decided|all] [--json] --analyst ID
    paxshare review show FLAG_ID [--json] --analyst ID
    paxshare review decide FLAG_ID --disposition false-positive --note "..." --analyst ID
    paxshare review log [--flag FLAG_ID]
    paxshare review export-cleared --out cleared_travellers.csv --analyst ID
    paxshare review serve [--host 127.0.0.1 --port 8080]

The database is a SQLite file (``--db``, default ``paxshare-review.sqlite``) or a PostgreSQL URL;
``PAXSHARE_REVIEW_DB`` and ``PAXSHARE_ANALYST`` give defaults. There is no authentication yet: the
analyst id is recorded as given with every view and decision.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from typing import Any

__all__ = ["add_arguments", "main"]

_DISPOSITION_CHOICES = ("confirmed-match", "false-positive", "refer-secondary")
_HUMAN_IN_THE_LOOP = "No flag becomes an adverse action without a human disposition."


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=os.environ.get("PAXSHARE_REVIEW_DB"),
                        help="SQLite file or database URL (postgresql://...); "
                             "default $PAXSHARE_REVIEW_DB or ./paxshare-review.sqlite")
    common.add_argument("--analyst", default=os.environ.get("PAXSHARE_ANALYST"),
                        help="your analyst id, recorded with every view and decision "
                             "(default $PAXSHARE_ANALYST); self-declared, no authentication yet")
    return common


class _CommandParser(argparse.ArgumentParser):
    """A sub-command's parser that reports unknown options itself, with its own usage line.

    argparse otherwise hands unknown options up to ``paxshare review``, whose usage says nothing
    about the command the analyst typed.
    """

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error("unrecognised arguments: " + " ".join(extras))
        return namespace, extras


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common = _common_options()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (_HUMAN_IN_THE_LOOP + "\n"
                     "'paxshare review COMMAND --help' describes one command.")
    commands = parser.add_subparsers(dest="review_command", metavar="COMMAND", required=True,
                                     parser_class=_CommandParser)

    commands.add_parser("init", parents=[common],
                        help="create an empty review database (a SQLite file is made mode 0600)")

    ingest = commands.add_parser("ingest", parents=[common], help="decrypt, verify and store sealed flag files")
    ingest.add_argument("paths", nargs="+", help="flag files or folders of them")
    ingest.add_argument("--keys", action="append", required=True,
                        help="the unit's private key file or folder (repeatable; keep old generations)")
    ingest.add_argument("--trust", action="append", required=True,
                        help="trusted signer verify key file or folder (repeatable)")
    ingest.add_argument("--unit", default=None,
                        help="your unit id (e.g. jpau-yvr): refuse files sealed for any other unit")
    ingest.add_argument("--watchlists", action="append", default=[],
                        help="the unit's copy of a watchlist (Avro or CSV; repeatable), shown beside travellers")

    listing = commands.add_parser("list", parents=[common], help="flags in priority order")
    listing.add_argument("--show", choices=("open", "decided", "all"), default="open")
    listing.add_argument("--limit", type=int, default=None, help="at most this many")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--as-of", default=None, metavar="ISO_TIME",
                         help="order by time to departure as of this UTC time instead of now "
                              "(replaying a past run; the access log keeps the real time)")

    show = commands.add_parser("show", parents=[common], help="one flag: traveller beside the entry, explanation")
    show.add_argument("flag_id")
    show.add_argument("--json", action="store_true", help="the flag record and its dispositions as JSON")

    decide = commands.add_parser("decide", parents=[common], help="record a disposition (note required)")
    decide.add_argument("flag_id")
    decide.add_argument("--disposition", required=True, choices=_DISPOSITION_CHOICES)
    decide.add_argument("--note", required=True, help="why: what you checked, what you found")

    log = commands.add_parser("log", parents=[common], help="the access log, newest first")
    log.add_argument("--flag", dest="flag_id", default=None, help="only this flag")
    log.add_argument("--limit", type=int, default=50)

    export = commands.add_parser("export-cleared", parents=[common],
                                 help="write the cleared-traveller list for screening (CSV or JSON)")
    export.add_argument("--out", required=True, help="file to write; .csv or .json")
    export.add_argument("--format", choices=("csv", "json"), default=None, help="default: from --out's suffix")

    serve = commands.add_parser("serve", parents=[common], help="the web app on this machine only")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="TCP port to listen on (default 8080)")


# --------------------------------------------------------------------------- text rendering


def _format_list(rows: list[dict], now) -> str:
    """The priority list as aligned text columns."""
    from pipelines.review.flag_view import traveller_label
    from pipelines.review.priority import departure_of, describe_time_to_departure

    header = ("#", "SEVERITY", "DEPARTURE UTC", "WHEN", "FLIGHT", "TRAVELLER", "LIST", "SCORE", "STATUS", "FLAG")
    lines = [header]
    for index, row in enumerate(rows, 1):
        flag = row["flag"]
        departure = departure_of(flag)
        score = flag.get("score")
        lines.append((
            str(index), str(flag.get("severity") or "?"),
            departure.strftime("%Y-%m-%d %H:%M") if departure else "",
            describe_time_to_departure(flag, now), str(flag.get("flight_key") or ""),
            traveller_label(flag), str(flag.get("list_id") or ""),
            f"{float(score):.2f}" if score is not None else "",
            (row["disposition"]["disposition"] if row["disposition"] else row["status"]),
            str(flag.get("flag_id")),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)


def _format_flag(flag: dict, entry: dict | None, history: list[dict], now) -> str:
    """One flag for a terminal: facts, side-by-side comparison, explanation, decisions."""
    from pipelines.review.flag_view import explanation_lines, side_by_side, traveller_label
    from pipelines.review.priority import departure_of, describe_time_to_departure
    from pipelines.review.store import DISPOSITION_LABELS

    departure = departure_of(flag)
    out = [
        f"{flag.get('severity') or '?'}  {traveller_label(flag)}   score {flag.get('score')}",
        f"flag {flag.get('flag_id')}  flight {flag.get('flight_key')}  departs "
        + (f"{departure:%Y-%m-%d %H:%M} UTC ({describe_time_to_departure(flag, now)})" if departure else "unknown"),
        f"list {flag.get('list_id')} ({flag.get('list_owner')}) {flag.get('category')}  entry {flag.get('entry_id')}",
        "",
    ]
    rows = [("FIELD", "TRAVELLER", "WATCHLIST ENTRY", "EQUAL?")] + [
        (row["label"], "; ".join(row["traveller"]), "; ".join(row["entry"]), row["agreement"] or "-")
        for row in side_by_side(flag, entry)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    out += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    if entry is None:
        out.append(f"(this unit holds no copy of entry {flag.get('entry_id')} of {flag.get('list_id')}: "
                   f"ask the list owner, {flag.get('list_owner')})")
    out += ["", "Why screening raised it:"]
    out += [textwrap.fill(line, 100, initial_indent="  - ", subsequent_indent="    ")
            for line in explanation_lines(flag)] or ["  (no explanation)"]
    out += ["", "Decisions:"]
    if history:
        for item in history:
            out.append(f"  {item['decided_utc']}  {item['analyst']}  {DISPOSITION_LABELS[item['disposition']]}: "
                       f"{item['note']}")
    else:
        out.append("  none yet: this flag leads to no action until an analyst records a disposition")
    out += ["", _HUMAN_IN_THE_LOOP]
    return "\n".join(out)


# ---------------------------------------------------------------------------------- commands


#: Commands that may create the database; every other one refuses a database that does not exist.
_CREATING_COMMANDS = ("init", "ingest")


def _open_store(args):
    from pipelines.review.store import ReviewStore
    return ReviewStore(args.db, create=args.review_command in _CREATING_COMMANDS)


def _db_option(args) -> str:
    """The --db and --analyst options as given, so that a printed hint works as printed."""
    import shlex
    given = [("--db", args.db), ("--analyst", args.analyst)]
    return "".join(f" {name} {shlex.quote(value)}" for name, value in given if value)


def _require_analyst(args) -> str:
    from pipelines.review.store import check_analyst
    return check_analyst(args.analyst)


def _cmd_ingest(args, store) -> int:
    from pipelines.review.ingest import (ingest_flag_files, ingest_watchlists, load_keyring,
                                         load_trusted_signers)

    analyst = _require_analyst(args)
    keyring = load_keyring(args.keys)
    trusted = load_trusted_signers(args.trust)
    if not trusted:
        print("no trusted signer keys found: refusing to ingest unverified flags", file=sys.stderr)
        return 2
    totals = ingest_flag_files(store, args.paths, keyring, trusted, analyst=analyst, expect_unit=args.unit)
    print(f"{totals['files']} files: {totals['added']} new flags, {totals['updated']} updated, "
          f"{totals['unchanged']} unchanged")
    if args.watchlists:
        print(f"{ingest_watchlists(store, args.watchlists)} watchlist entries loaded for display")
    return 0


def _ordered_rows(store, show: str, now) -> list[dict]:
    from pipelines.review.priority import prioritise
    from pipelines.review.store import LIST_FILTERS

    rows = [row for row in store.review_rows() if row["status"] in LIST_FILTERS[show]]
    return prioritise(rows, now, flag_of=lambda row: row["flag"])


def _as_of(args, store):
    """The moment to order by: ``--as-of`` when given, else now."""
    from pipelines.review.priority import parse_utc
    from pipelines.review.store import ReviewError

    if not getattr(args, "as_of", None):
        return store.clock()
    moment = parse_utc(args.as_of)
    if moment is None:
        raise ReviewError(f"--as-of {args.as_of!r} is not an ISO 8601 time")
    return moment


def _cmd_list(args, store) -> int:
    analyst = _require_analyst(args)
    now = _as_of(args, store)
    rows = _ordered_rows(store, args.show, now)[: args.limit]
    store.log_access(analyst, "LIST", None, f"{args.show}: {len(rows)} flags (cli)")
    if args.json:
        for row in rows:
            print(json.dumps({"status": row["status"], "disposition": row["disposition"], "flag": row["flag"]},
                             sort_keys=True, default=str))
    elif rows:
        print(_format_list(rows, now))
        print(f"\n{_HUMAN_IN_THE_LOOP}\n"
              f"Open one: paxshare review show FLAG{_db_option(args)}   (FLAG: its id, or the first "
              "few characters of it)")
    else:
        print(f"no {args.show} flags")
    return 0


def _cmd_init(args, store) -> int:
    print(f"review database ready: {args.db or 'paxshare-review.sqlite'}")
    return 0


def _cmd_show(args, store) -> int:
    args.flag_id = store.resolve_flag_id(args.flag_id)
    flag = store.view_flag(args.flag_id, _require_analyst(args))
    history = store.disposition_history(args.flag_id)
    entry = store.get_entry(flag.get("list_id"), flag.get("entry_id"))
    if args.json:
        print(json.dumps({"flag": flag, "entry": entry, "dispositions": history},
                         indent=2, sort_keys=True, default=str))
    else:
        print(_format_flag(flag, entry, history, store.clock()))
    return 0


def _cmd_decide(args, store) -> int:
    from pipelines.review.store import DISPOSITION_LABELS

    args.flag_id = store.resolve_flag_id(args.flag_id)
    row = store.record_disposition(args.flag_id, args.disposition, args.note, _require_analyst(args))
    print(f"recorded {DISPOSITION_LABELS[row['disposition']]} for {args.flag_id} "
          f"(disposition {row['disposition_id']})")
    return 0


def _cmd_log(args, store) -> int:
    for entry in store.access_log(flag_id=args.flag_id, limit=args.limit):
        print("  ".join(str(entry[key] or "") for key in ("at_utc", "analyst", "action", "flag_id", "detail")).rstrip())
    return 0


def _cmd_export(args, store) -> int:
    from pipelines.review.cleared import export_cleared

    count = export_cleared(store, args.out, args.format, analyst=_require_analyst(args))
    print(f"wrote {count} cleared travellers to {args.out}")
    return 0


def _cmd_serve(args, store) -> int:
    from pipelines.review.web import serve

    serve(store, args.host, args.port)
    return 0


_COMMANDS = {
    "init": _cmd_init, "ingest": _cmd_ingest, "list": _cmd_list, "show": _cmd_show, "decide": _cmd_decide,
    "log": _cmd_log, "export-cleared": _cmd_export, "serve": _cmd_serve,
}


def main(args: Any) -> int:
    from pipelines.review.store import ReviewError

    try:
        store = _open_store(args)
    except ReviewError as problem:
        print(f"paxshare review: {problem}", file=sys.stderr)
        return 2
    try:
        return _COMMANDS[args.review_command](args, store)
    except BrokenPipeError:
        # `paxshare review show ... | head`: the reader has gone; stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except ReviewError as problem:
        print(f"paxshare review: {problem}", file=sys.stderr)
        return 2
    except ValueError as problem:  # SealError, KeyFileError, a refused host...: they name what failed
        print(f"paxshare review: {problem}", file=sys.stderr)
        return 1
    finally:
        store.close()
