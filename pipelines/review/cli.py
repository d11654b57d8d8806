"""``paxshare review``: analysts open, read and dispose of risk flags from the command line.

    paxshare review init
    paxshare review users add NAME --role analyst --unit jpau-yvr --country CAN [--totp] [--generate-password]
    paxshare review users list | disable NAME | enable NAME | reset NAME
    paxshare review ingest FLAG_FILES_OR_DIRS --keys UNIT_KEYS --trust SIGNER_KEYS --analyst ID
    paxshare review list [--show open|decided|all] [--json] --analyst NAME
    paxshare review show FLAG_ID [--json] --analyst NAME
    paxshare review decide FLAG_ID --disposition false-positive --note "..." --analyst NAME
    paxshare review log [--flag FLAG_ID] --analyst NAME
    paxshare review export-cleared --out cleared_travellers.csv --analyst NAME
    paxshare review retention [--rules DIR] [--now TIME] [--dry-run]
    paxshare review serve [--host 127.0.0.1 --port 8080] [--tls-cert C --tls-key K] [--oidc-issuer URL ...]

The database is a SQLite file (``--db``, default ``paxshare-review.sqlite``) or a PostgreSQL URL;
``PAXSHARE_REVIEW_DB`` and ``PAXSHARE_ANALYST`` give defaults. The web app signs users in (local
accounts or OpenID Connect). The command line is for whoever can open the database itself (the
file is 0600; PostgreSQL asks for its own credentials): ``--analyst`` names an account whose roles
and units apply, and the access log records it with the operating-system user as ``cli:USER``.
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


def _(text: str) -> str:
    """The text in the language of the account named by --analyst (set by ``main``)."""
    return _translate(text)


_translate = str


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=os.environ.get("PAXSHARE_REVIEW_DB"),
                        help="SQLite file or database URL (postgresql://...); "
                             "default $PAXSHARE_REVIEW_DB or ./paxshare-review.sqlite")
    common.add_argument("--analyst", default=os.environ.get("PAXSHARE_ANALYST"),
                        help="your account name (default $PAXSHARE_ANALYST): its roles and units apply, and "
                             "the access log records it with your operating-system user")
    common.add_argument("--units", default=None, metavar="FILE",
                        help="JPAU units configuration (default: the packaged rules/jpau_units.yaml)")
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

    retention = commands.add_parser("retention", parents=[common],
                                    help="depersonalise travellers past the retention schedule in rules/")
    retention.add_argument("--rules", default=None, help="rules directory (default: the packaged rules/)")
    retention.add_argument("--now", default=None, metavar="ISO_TIME", help="apply the schedule as of this time")
    retention.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")

    serve = commands.add_parser("serve", parents=[common], help="the web app (sign-in required)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1); other than loopback only with --tls-cert/--tls-key")
    serve.add_argument("--port", type=int, default=8080, help="TCP port to listen on (default 8080)")
    serve.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve HTTPS (Secure cookies, HSTS)")
    serve.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    serve.add_argument("--behind-proxy", action="store_true",
                       help="a TLS-terminating proxy on this machine forwards to us: trust its X-Forwarded-* "
                            "headers and mark cookies Secure")
    serve.add_argument("--idle-minutes", type=float, default=15, help="sign out after this idle time (default 15)")
    serve.add_argument("--max-hours", type=float, default=10,
                       help="sign out this long after sign-in, active or not (default 10)")
    serve.add_argument("--oidc-issuer", default=os.environ.get("PAXSHARE_OIDC_ISSUER"),
                       help="the agency's OpenID Provider (issuer URL); enables 'sign in through your agency'")
    serve.add_argument("--oidc-client-id", default=os.environ.get("PAXSHARE_OIDC_CLIENT_ID"))
    serve.add_argument("--oidc-client-secret-file", default=None,
                       help="file holding the client secret (or $PAXSHARE_OIDC_CLIENT_SECRET); none: public client")
    serve.add_argument("--oidc-name", default="your agency", help="the provider's name on the sign-in page")

    users = commands.add_parser("users", help="local accounts: add, list, disable, enable, reset")
    user_commands = users.add_subparsers(dest="users_command", metavar="ACTION", required=True,
                                         parser_class=_CommandParser)
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--db", default=os.environ.get("PAXSHARE_REVIEW_DB"),
                          help="SQLite file or database URL (default $PAXSHARE_REVIEW_DB or ./paxshare-review.sqlite)")
    database.add_argument("--units", default=None, metavar="FILE",
                          help="JPAU units configuration (default: the packaged rules/jpau_units.yaml)")
    password = argparse.ArgumentParser(add_help=False)
    given = password.add_mutually_exclusive_group()
    given.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    given.add_argument("--generate-password", action="store_true",
                       help="make a random password and print it once")
    add = user_commands.add_parser("add", parents=[database, password], help="create an account")
    add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    add.add_argument("--role", action="append", required=True,
                     help="analyst, supervisor or auditor (privacy auditor); repeatable")
    add.add_argument("--unit", action="append", required=True, help="JPAU unit id (repeatable)")
    add.add_argument("--country", required=True, help="the officer's country, ISO alpha-3 (CAN, USA, MEX)")
    add.add_argument("--language", default="en", choices=("en", "fr", "es"), help="language of the review (default en)")
    add.add_argument("--totp", action="store_true", help="require an authenticator code (TOTP) at sign-in")
    add.add_argument("--oidc-subject", default=None,
                     help="the user's 'sub' at the OpenID Provider (with --oidc-issuer): sign-in through the agency")
    add.add_argument("--oidc-issuer", default=os.environ.get("PAXSHARE_OIDC_ISSUER"), help="the provider's issuer URL")
    add.add_argument("--no-password", action="store_true", help="OpenID Connect sign-in only")
    user_commands.add_parser("list", parents=[database], help="accounts, roles, units and status")
    for name, text in (("disable", "refuse further sign-ins and end open sessions"),
                       ("enable", "allow sign-in again (and lift a lock-out)")):
        command = user_commands.add_parser(name, parents=[database], help=text)
        command.add_argument("name")
    reset = user_commands.add_parser("reset", parents=[database, password],
                                     help="new password, lock lifted, open sessions ended")
    reset.add_argument("name")
    factor = reset.add_mutually_exclusive_group()
    factor.add_argument("--totp", action="store_true", default=None, help="also issue a new TOTP secret")
    factor.add_argument("--no-totp", dest="totp", action="store_false", help="remove the TOTP requirement")


# --------------------------------------------------------------------------- text rendering


def _format_list(rows: list[dict], now) -> str:
    """The priority list as aligned text columns."""
    from pipelines.review.flag_view import traveller_label
    from pipelines.review.priority import departure_of, describe_time_to_departure

    header = ("#", _("SEVERITY"), _("DEPARTURE UTC"), _("WHEN"), _("FLIGHT"), _("TRAVELLER"), _("LIST"), _("SCORE"),
              _("STATUS"), _("FLAG"))
    lines = [header]
    for index, row in enumerate(rows, 1):
        flag = row["flag"]
        departure = departure_of(flag)
        score = flag.get("score")
        lines.append((
            str(index), str(flag.get("severity") or "?"),
            departure.strftime("%Y-%m-%d %H:%M") if departure else "",
            describe_time_to_departure(flag, now, _), str(flag.get("flight_key") or ""),
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
    from pipelines.review.store import HISTORY_LABELS

    departure = departure_of(flag)
    out = [
        f"{flag.get('severity') or '?'}  {traveller_label(flag)}   {_('Score').lower()} {flag.get('score')}",
        f"{_('Flag').lower()} {flag.get('flag_id')}  {_('Flight').lower()} {flag.get('flight_key')}  "
        + (f"{_('Departure').lower()} {departure:%Y-%m-%d %H:%M} UTC ({describe_time_to_departure(flag, now, _)})"
           if departure else f"{_('Departure').lower()} {_('unknown')}"),
        f"{_('Watchlist').lower()} {flag.get('list_id')} ({flag.get('list_owner')}) {flag.get('category')}  "
        f"{_('entry')} {flag.get('entry_id')}",
        "",
    ]
    rows = [(_("FIELD"), _("TRAVELLER"), _("WATCHLIST ENTRY"), _("EQUAL?"))] + [
        (_(row["label"]), "; ".join(row["traveller"]), "; ".join(row["entry"]),
         _(row["agreement"]) if row["agreement"] else "-")
        for row in side_by_side(flag, entry)
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    out += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    if entry is None:
        out.append(f"(this unit holds no copy of entry {flag.get('entry_id')} of {flag.get('list_id')}: "
                   f"ask the list owner, {flag.get('list_owner')})")
    out += ["", _("Why screening raised it") + ":"]
    out += [textwrap.fill(line, 100, initial_indent="  - ", subsequent_indent="    ")
            for line in explanation_lines(flag)] or ["  " + _("No explanation came with this flag.")]
    out += ["", _("Decisions") + ":"]
    if history:
        for item in history:
            out.append(f"  {item['decided_utc']}  {item['analyst']}  {_(HISTORY_LABELS[item['disposition']])}: "
                       f"{item['note']}")
    else:
        out.append("  " + _("Not decided yet. Until an analyst records a disposition, this flag leads to no action."))
    out += ["", _(_HUMAN_IN_THE_LOOP)]
    return "\n".join(out)


# ---------------------------------------------------------------------------------- commands


#: Commands that may create the database; every other one refuses a database that does not exist.
_CREATING_COMMANDS = ("init", "ingest")


def _open_store(args):
    from pipelines.review.store import ReviewStore
    return ReviewStore(args.db, create=args.review_command in _CREATING_COMMANDS, units=args.units)


def _os_user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _viewer(args, store, action: str):
    """The account named by --analyst, as a viewer whose roles and units apply, allowed ``action``."""
    from pipelines.review.access import Forbidden
    from pipelines.review.accounts import Accounts
    from pipelines.review.store import ReviewError

    account = Accounts(store).get(_require_analyst(args))
    if account.disabled:
        raise ReviewError(f"account {account.username} is disabled")
    viewer = account.viewer(f"cli:{_os_user()}")
    try:
        viewer.require(action)
    except Forbidden as problem:
        store.log_access(None, "REFUSED", None, f"{problem} (cli)", viewer=viewer)
        raise ReviewError(str(problem)) from None
    return viewer


def _db_option(args, analyst: bool = True) -> str:
    """The --db and --analyst options as given, so that a printed hint works as printed."""
    import shlex
    given = [("--db", args.db), ("--analyst", args.analyst if analyst else None)]
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


def _ordered_rows(store, show: str, now, viewer) -> list[dict]:
    from pipelines.review.priority import prioritise
    from pipelines.review.store import LIST_FILTERS

    rows = [row for row in store.review_rows(viewer) if row["status"] in LIST_FILTERS[show]]
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
    viewer = _viewer(args, store, "list")
    now = _as_of(args, store)
    rows = _ordered_rows(store, args.show, now, viewer)[: args.limit]
    store.log_access(None, "LIST", None, f"{args.show}: {len(rows)} flags (cli)", viewer=viewer)
    if args.json:
        for row in rows:
            print(json.dumps({"status": row["status"], "disposition": row["disposition"], "flag": row["flag"]},
                             sort_keys=True, default=str))
    elif rows:
        print(_format_list(rows, now))
        print(f"\n{_(_HUMAN_IN_THE_LOOP)}\n"
              + _("Open one: %(command)s   (FLAG: its id, or the first few characters of it)")
              % {"command": f"paxshare review show FLAG{_db_option(args)}"})
    else:
        print(_("No flags to show."))
    return 0


def _cmd_init(args, store) -> int:
    print(f"review database ready: {args.db or 'paxshare-review.sqlite'}")
    return 0


def _cmd_show(args, store) -> int:
    viewer = _viewer(args, store, "view")
    args.flag_id = store.resolve_flag_id(args.flag_id, viewer)
    flag = store.view_flag(args.flag_id, viewer=viewer)
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

    viewer = _viewer(args, store, "decide")
    args.flag_id = store.resolve_flag_id(args.flag_id, viewer)
    row = store.record_disposition(args.flag_id, args.disposition, args.note, viewer=viewer)
    print(_("recorded %(what)s for %(flag)s (disposition %(id)s)")
          % {"what": _(DISPOSITION_LABELS[row["disposition"]]), "flag": args.flag_id, "id": row["disposition_id"]})
    return 0


def _cmd_log(args, store) -> int:
    viewer = _viewer(args, store, "audit")
    entries = store.access_log(flag_id=args.flag_id, limit=args.limit, viewer=viewer)
    store.log_access(None, "AUDIT", None, f"access log: {len(entries)} entries (cli)", viewer=viewer)
    for entry in entries:
        print("  ".join(str(entry[key] or "") for key in
                        ("at_utc", "analyst", "auth", "action", "unit_id", "flag_id", "detail")).rstrip())
    return 0


def _cmd_export(args, store) -> int:
    from pipelines.review.cleared import export_cleared

    count = export_cleared(store, args.out, args.format, viewer=_viewer(args, store, "export"))
    print(f"wrote {count} cleared travellers to {args.out}")
    return 0


def _cmd_serve(args, store) -> int:
    from pipelines.review.accounts import Accounts
    from pipelines.review.web import WebSettings, serve

    if not Accounts(store).list():
        print("paxshare review: no accounts yet; add one first: paxshare review users add NAME --role analyst "
              f"--unit UNIT --country CCC --generate-password{_db_option(args, analyst=False)}", file=sys.stderr)
        return 2
    oidc = None
    if args.oidc_issuer:
        from pipelines.review.oidc import OIDCSettings

        if not args.oidc_client_id:
            print("paxshare review: --oidc-issuer needs --oidc-client-id", file=sys.stderr)
            return 2
        secret = os.environ.get("PAXSHARE_OIDC_CLIENT_SECRET")
        if args.oidc_client_secret_file:
            with open(args.oidc_client_secret_file, encoding="utf-8") as handle:
                secret = handle.read().strip()
        oidc = OIDCSettings(args.oidc_issuer, args.oidc_client_id, secret, args.oidc_name)
    settings = WebSettings(secure_cookies=args.behind_proxy, idle_minutes=args.idle_minutes,
                           max_hours=args.max_hours, oidc=oidc, behind_proxy=args.behind_proxy)
    serve(store, args.host, args.port, tls_cert=args.tls_cert, tls_key=args.tls_key, settings=settings)
    return 0


def _cmd_retention(args, store) -> int:
    from datetime import datetime, timezone

    from pipelines.review.priority import parse_utc
    from pipelines.review.retention import apply_retention
    from pipelines.review.store import ReviewError
    from pipelines.sharing.rules import load_rules

    now = parse_utc(args.now) if args.now else datetime.now(timezone.utc)
    if now is None:
        raise ReviewError(f"--now {args.now!r} is not an ISO 8601 time")
    counts = apply_retention(store, load_rules(args.rules), now, dry_run=args.dry_run,
                             actor=f"cli:{_os_user()}")
    verb = "would be" if args.dry_run else "were"
    print(f"{counts['flags']} flags: {counts['masked']} {verb} partly masked, {counts['depersonalised']} {verb} "
          f"fully depersonalised, {counts['exempt']} kept (confirmed matches), {counts['unchanged']} unchanged"
          + (f", {counts['no_schedule']} in units no arrangement covers" if counts["no_schedule"] else ""))
    return 0


def _language(args, store) -> str:
    """The language of the account named by --analyst, else of the environment (PAXSHARE_LANG, LANG)."""
    from pipelines.review.accounts import Accounts
    from pipelines.review.i18n import language_from_environment

    account = Accounts(store).find(getattr(args, "analyst", None))
    return account.language if account is not None else language_from_environment()


def _read_password(args, confirm: bool = True) -> tuple[str | None, bool]:
    """(password, generated?) from --password-stdin, --generate-password or a prompt; never from argv."""
    import getpass

    from pipelines.review.accounts import generate_password
    from pipelines.review.store import ReviewError

    if args.generate_password:
        return generate_password(), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if not sys.stdin.isatty():
        raise ReviewError("give --password-stdin or --generate-password (no terminal to prompt on)")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise ReviewError("the two passwords differ")
    return first, False


def _print_secrets(account, password: str | None, generated: bool, secret: str | None) -> None:
    from pipelines.review.accounts import totp_uri

    if generated:
        print(f"  password (shown once, not stored in clear): {password}")
    if secret:
        print(f"  authenticator secret (shown once): {secret}")
        print(f"  or scan/enter: {totp_uri(account, secret)}")


def _cmd_users(args, store) -> int:
    from pipelines.review.accounts import Accounts
    from pipelines.review.oidc import subject_of
    from pipelines.review.store import ReviewError

    import re

    accounts = Accounts(store)
    who = f"cli:{_os_user()}"
    actor = re.sub(r"[^A-Za-z0-9._@-]", "_", _os_user())[:64] or "operator"
    if args.users_command == "add":
        subject = None
        if args.oidc_subject:
            if not args.oidc_issuer:
                raise ReviewError("--oidc-subject needs --oidc-issuer (the provider's issuer URL)")
            subject = subject_of(args.oidc_issuer, args.oidc_subject)
        password, generated = (None, False) if args.no_password else _read_password(args)
        account, secret = accounts.add(args.name, roles=args.role, units=args.unit, country=args.country,
                                       password=password, totp=args.totp, oidc_subject=subject,
                                       language=args.language)
        store.log_access(actor, "USER_ADD", None, f"{account.username}: {','.join(account.roles)} of "
                         f"{','.join(account.units)}", auth=who, unit_id=",".join(account.units))
        print(f"added {account.username}: {', '.join(account.roles)} of {', '.join(account.units)} "
              f"({account.country}, {account.language})")
        _print_secrets(account, password, generated, secret)
    elif args.users_command == "list":
        from datetime import timezone

        now = store.clock().astimezone(timezone.utc)
        rows = [("NAME", "ROLES", "UNITS", "COUNTRY", "LANG", "SIGN-IN", "STATUS", "LAST SIGN-IN")]
        for account in accounts.list():
            methods = "+".join(m for m, on in (("password", account.has_password), ("totp", account.has_totp),
                                               ("oidc", bool(account.oidc_subject))) if on)
            rows.append((account.username, ",".join(account.roles), ",".join(account.units), account.country,
                         account.language, methods, account.status(now), account.last_sign_in_utc or "never"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    elif args.users_command in ("disable", "enable"):
        getattr(accounts, args.users_command)(args.name)
        store.log_access(actor, f"USER_{args.users_command.upper()}", None, args.name, auth=who)
        print(f"{args.name}: {args.users_command}d")
    elif args.users_command == "reset":
        account = accounts.get(args.name)
        password, generated = _read_password(args)
        secret = accounts.reset(account.username, password, totp=args.totp)
        store.log_access(actor, "USER_RESET", None, account.username, auth=who)
        print(f"{account.username}: new password set, lock lifted, open sessions ended")
        _print_secrets(account, password, generated, secret)
    return 0


_COMMANDS = {
    "init": _cmd_init, "ingest": _cmd_ingest, "list": _cmd_list, "show": _cmd_show, "decide": _cmd_decide,
    "log": _cmd_log, "export-cleared": _cmd_export, "serve": _cmd_serve, "users": _cmd_users,
    "retention": _cmd_retention,
}


def main(args: Any) -> int:
    from pipelines.review.i18n import translator
    from pipelines.review.store import ReviewError

    try:
        store = _open_store(args)
    except ReviewError as problem:
        print(f"paxshare review: {problem}", file=sys.stderr)
        return 2
    global _translate
    _translate = translator(_language(args, store))
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
    except (ValueError, OSError) as problem:  # SealError, KeyFileError, a refused host, a TLS file...
        print(f"paxshare review: {problem}", file=sys.stderr)
        return 1
    finally:
        store.close()
