"""Where flags, analysts' dispositions and the access log live: SQLite by default, PostgreSQL by URL.

Four tables (SQLAlchemy Core, so the same code runs on both databases):

- ``flags``: one row per decrypted, verified flag; the full record as JSON plus the columns the
  priority list filters on. Re-ingesting the same flag id replaces the record, never duplicates.
- ``dispositions``: append-only. A new disposition for a flag supersedes the previous one (it names
  it in ``supersedes``); nothing is updated or deleted, so the history of a decision stays whole.
- ``access_log``: who viewed, listed, decided or exported what, and when (audit rule: every access
  is recorded).
- ``cleared_travellers``: one row per false-positive disposition, the traveller's identity and the
  entry they were cleared against; screening suppresses repeat alerts from it. When a later
  disposition on the same flag is not a false positive, the row is marked revoked (the only
  update in the store) so the export drops it.

No flag becomes an adverse action here: the store only records what a human decided.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import sqlalchemy as sa

from pipelines.review.flag_view import cleared_identity
from pipelines.review.priority import departure_of

__all__ = [
    "DISPOSITIONS",
    "DISPOSITION_LABELS",
    "STATUSES",
    "LIST_FILTERS",
    "ReviewError",
    "ReviewStore",
    "normalise_disposition",
    "check_analyst",
    "check_note",
    "database_url",
    "sqlite_path",
    "DEFAULT_DATABASE",
    "HISTORY_LABELS",
    "REOPENED",
    "users_table",
]

#: Disposition codes and what they mean to an analyst.
DISPOSITION_LABELS: dict[str, str] = {
    "CONFIRMED_MATCH": "Confirmed match",
    "FALSE_POSITIVE": "False positive",
    "REFER_SECONDARY": "Refer to secondary inspection",
}
DISPOSITIONS: tuple[str, ...] = tuple(DISPOSITION_LABELS)
#: A supervisor's reopening is recorded as one more step in a flag's disposition history.
REOPENED = "REOPENED"
HISTORY_LABELS: dict[str, str] = {**DISPOSITION_LABELS, REOPENED: "Reopened by a supervisor"}

#: Review statuses after GTAS: nobody has opened it / someone has / someone has decided.
STATUSES: tuple[str, ...] = ("NEW", "IN_PROGRESS", "REVIEWED")

#: Priority list filters: name -> statuses shown.
LIST_FILTERS: dict[str, tuple[str, ...]] = {
    "open": ("NEW", "IN_PROGRESS"),
    "decided": ("REVIEWED",),
    "all": STATUSES,
}

#: Default database: a SQLite file in the current directory.
DEFAULT_DATABASE = "paxshare-review.sqlite"

_ANALYST_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_DISPOSITION_ALIASES = {
    "CONFIRMED": "CONFIRMED_MATCH", "MATCH": "CONFIRMED_MATCH", "TRUE_POSITIVE": "CONFIRMED_MATCH",
    "FP": "FALSE_POSITIVE", "CLEARED": "FALSE_POSITIVE",
    "REFER": "REFER_SECONDARY", "SECONDARY": "REFER_SECONDARY", "REFER_TO_SECONDARY": "REFER_SECONDARY",
    "REFER_SECONDARY_INSPECTION": "REFER_SECONDARY",
}

metadata = sa.MetaData()

flags_table = sa.Table(
    "flags", metadata,
    sa.Column("flag_id", sa.String(128), primary_key=True),
    sa.Column("unit_id", sa.String(64)),
    sa.Column("run_id", sa.String(128)),
    sa.Column("flight_key", sa.String(64), index=True),
    sa.Column("departure_utc", sa.String(40)),
    sa.Column("severity", sa.String(16), index=True),
    sa.Column("score", sa.Float),
    sa.Column("entry_id", sa.String(128)),
    sa.Column("list_id", sa.String(128)),
    sa.Column("category", sa.String(64)),
    sa.Column("created_utc", sa.String(40)),
    sa.Column("source_file", sa.Text),
    sa.Column("ingested_utc", sa.String(40), nullable=False),
    sa.Column("record_json", sa.Text, nullable=False),
)

dispositions_table = sa.Table(
    "dispositions", metadata,
    sa.Column("disposition_id", sa.String(64), primary_key=True),
    sa.Column("flag_id", sa.String(128), sa.ForeignKey("flags.flag_id"), nullable=False, index=True),
    sa.Column("disposition", sa.String(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("analyst", sa.String(64), nullable=False),
    sa.Column("decided_utc", sa.String(40), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("supersedes", sa.String(64)),
    # Two analysts deciding the same flag at once cannot both supersede the same disposition.
    sa.UniqueConstraint("flag_id", "sequence", name="one_disposition_per_step"),
)

access_log_table = sa.Table(
    "access_log", metadata,
    sa.Column("access_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at_utc", sa.String(40), nullable=False),
    sa.Column("analyst", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("flag_id", sa.String(128), index=True),
    sa.Column("detail", sa.Text),
    # How the identity in `analyst` was verified (password, password+totp, oidc:<issuer>, cli:<os
    # user>; 'unverified' for a failed sign-in), the unit(s) concerned, the client address.
    sa.Column("auth", sa.String(160)),
    sa.Column("unit_id", sa.String(256)),
    sa.Column("remote", sa.String(64)),
)

users_table = sa.Table(
    "users", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.Text),
    sa.Column("password_hash", sa.Text),          # argon2id; NULL: no password sign-in
    sa.Column("totp_secret", sa.String(64)),      # base32; NULL: no second factor
    sa.Column("totp_last_step", sa.BigInteger),   # a code is accepted once
    sa.Column("oidc_subject", sa.String(512), unique=True),  # "<issuer> <sub>"
    sa.Column("roles", sa.String(64), nullable=False),
    sa.Column("units", sa.Text, nullable=False),
    sa.Column("country", sa.String(3), nullable=False),
    sa.Column("language", sa.String(8), nullable=False, server_default="en"),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.String(40)),
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_utc", sa.String(40), nullable=False),
    sa.Column("last_sign_in_utc", sa.String(40)),
)

assignments_table = sa.Table(
    "assignments", metadata,
    sa.Column("assignment_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flag_id", sa.String(128), sa.ForeignKey("flags.flag_id"), nullable=False, index=True),
    sa.Column("assignee", sa.String(64), nullable=False),
    sa.Column("assigned_by", sa.String(64), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("at_utc", sa.String(40), nullable=False),
)

cleared_table = sa.Table(
    "cleared_travellers", metadata,
    sa.Column("disposition_id", sa.String(64), sa.ForeignKey("dispositions.disposition_id"),
              primary_key=True),
    sa.Column("flag_id", sa.String(128), nullable=False, index=True),
    sa.Column("surname", sa.Text),
    sa.Column("given_names", sa.Text),
    sa.Column("date_of_birth", sa.String(16)),
    sa.Column("document_number", sa.String(64)),
    sa.Column("document_issuer", sa.String(8)),
    sa.Column("traveller_id", sa.String(256)),
    sa.Column("entry_id", sa.String(128), nullable=False),
    sa.Column("list_id", sa.String(128)),
    sa.Column("analyst", sa.String(64), nullable=False),
    sa.Column("cleared_utc", sa.String(40), nullable=False),
    sa.Column("revoked_by", sa.String(64)),
    sa.Column("revoked_utc", sa.String(40)),
)

entries_table = sa.Table(
    "watchlist_entries", metadata,
    sa.Column("list_id", sa.String(128), primary_key=True),
    sa.Column("entry_id", sa.String(128), primary_key=True),
    sa.Column("loaded_utc", sa.String(40), nullable=False),
    sa.Column("record_json", sa.Text, nullable=False),
)


class ReviewError(ValueError):
    """A review action that cannot be recorded as asked (unknown flag, missing note...)."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def database_url(value: str | None) -> str:
    """A SQLAlchemy URL from a URL or a plain file path (a path means SQLite)."""
    value = (value or DEFAULT_DATABASE).strip()
    if "://" in value:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; SQLAlchemy would otherwise look for psycopg2.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
    return "sqlite:///" + str(Path(value).expanduser())


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None (in-memory databases, other databases)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def _prepare_sqlite_file(path: Path, create: bool) -> None:
    """Refuse a missing folder or (unless creating) a missing file; create the file 0600.

    The database holds decrypted personal data: it is created readable by its owner only, and an
    existing file that others can read is tightened to 0600 (with a warning on stderr).
    """
    folder = path.parent
    if not folder.is_dir():
        raise ReviewError(f"cannot open the review database {path}: folder {folder} does not exist "
                          "(create it first, or choose another --db)")
    if not path.exists():
        if not create:
            raise ReviewError(
                f"no review database at {path}: create one with 'paxshare review init --db {path}' "
                f"or load flags with 'paxshare review ingest ... --db {path}'")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.close(descriptor)
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(0o600)
        except PermissionError:
            raise ReviewError(f"the review database {path} can be read by others (mode {mode:o}) and "
                              "its permissions cannot be changed: make it 0600") from None
        import sys
        print(f"paxshare review: {path} was mode {mode:o}; now 0600 (it holds decrypted personal data)",
              file=sys.stderr)


def _safe_url(url: str) -> str:
    """A database URL for messages: the password, if any, replaced by ***."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def normalise_disposition(value: str) -> str:
    """'false-positive', 'FP', 'False positive' -> 'FALSE_POSITIVE'; unknown values raise."""
    code = re.sub(r"[^A-Z]+", "_", (value or "").upper()).strip("_")
    code = _DISPOSITION_ALIASES.get(code, code)
    if code not in DISPOSITIONS:
        allowed = ", ".join(code.lower().replace("_", "-") for code in DISPOSITIONS)
        raise ReviewError(f"unknown disposition {value!r}; choose one of: {allowed}")
    return code


def check_analyst(analyst: str | None) -> str:
    """The analyst id, stripped; refuses blanks and odd characters so the log stays readable."""
    name = (analyst or "").strip()
    if not _ANALYST_PATTERN.match(name):
        raise ReviewError("an analyst id is required: 1-64 letters, digits, '.', '_', '@' or '-'")
    return name


def check_note(note: str | None) -> str:
    """The disposition note, stripped; every disposition must say why."""
    text = (note or "").strip()
    if not text:
        raise ReviewError("a note is required: say why you decided this")
    return text


def _flag_columns(flag: Mapping[str, Any], source_file: str | None, now: str) -> dict:
    """The indexed columns of a flag row, taken from the flag record."""
    if not flag.get("flag_id"):
        raise ReviewError("flag has no flag_id")
    departure = departure_of(flag)
    try:
        score = float(flag["score"]) if flag.get("score") is not None else None
    except (TypeError, ValueError):
        score = None
    return {
        "flag_id": str(flag["flag_id"]),
        "unit_id": flag.get("unit_id"),
        "run_id": flag.get("run_id"),
        "flight_key": flag.get("flight_key"),
        "departure_utc": _iso(departure) if departure else None,
        "severity": (flag.get("severity") or "").upper() or None,
        "score": score,
        "entry_id": flag.get("entry_id"),
        "list_id": flag.get("list_id"),
        "category": flag.get("category"),
        "created_utc": flag.get("created_utc"),
        "source_file": source_file,
        "ingested_utc": now,
        "record_json": json.dumps(flag, sort_keys=True, default=str),
    }


class ReviewStore:
    """Flags, dispositions and the access log in one database.

    ``ReviewStore("review.sqlite")`` or ``ReviewStore("postgresql://user@host/db")``. With
    ``create=True`` (the default) a missing SQLite file is created (mode 0600) and missing tables
    are made; with ``create=False`` a database that does not exist, or has no review tables yet,
    raises ``ReviewError`` instead of appearing empty. ``clock`` returns the current UTC time
    (tests pass a fixed one).
    """

    def __init__(self, url: str | None = None, *, clock: Callable[[], datetime] = utc_now,
                 engine: sa.Engine | None = None, create: bool = True, units=None):
        self.url = database_url(url)
        path = sqlite_path(self.url)
        if path is not None and engine is None:
            _prepare_sqlite_file(path, create)
        self.engine = engine or sa.create_engine(self.url, future=True)
        self.clock = clock
        if not create and not sa.inspect(self.engine).has_table("flags"):
            self.engine.dispose()
            raise ReviewError(f"{_safe_url(self.url)} holds no review database yet: create it with "
                              "'paxshare review init' or 'paxshare review ingest'")
        metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self._units = units

    def close(self) -> None:
        self.engine.dispose()

    # -- units and visibility ------------------------------------------------------------------

    @property
    def units(self):
        """The JPAU units configuration (``pipelines.flags.routing.UnitsConfig``; default packaged)."""
        if self._units is None or isinstance(self._units, (str, Path)):
            from pipelines.flags.routing import load_units
            self._units = load_units(self._units)
        return self._units

    def unit_members(self, unit_id: str) -> tuple[str, ...]:
        """Member countries of a unit; () for a unit the configuration does not know."""
        unit = self.units.units.get(unit_id)
        return tuple(unit.members) if unit else ()

    def unit_time_zone(self, unit_id: str):
        """The unit's local time zone: that of the first airport its routes name; UTC if none."""
        from zoneinfo import ZoneInfo

        from pipelines.flags.routing import airport_facts

        zones = self.__dict__.setdefault("_zones", {})
        if unit_id not in zones:
            unit = self.units.units.get(unit_id)
            found = [facts["tz"] for route in (unit.routes if unit else ())
                     for code in sorted(route.from_airports | route.to_airports)
                     if (facts := airport_facts(code)) and facts.get("tz")]
            zones[unit_id] = ZoneInfo(found[0]) if found else timezone.utc
        return zones[unit_id]

    def decision_log(self, viewer=None, limit: int = 1000) -> list[dict]:
        """Every disposition on flags the viewer's units hold, newest first, without traveller data:
        flag id, unit, list, category, severity, disposition, analyst, note, time, sequence."""
        query = (sa.select(dispositions_table, flags_table.c.record_json)
                 .join(flags_table, flags_table.c.flag_id == dispositions_table.c.flag_id)
                 .order_by(dispositions_table.c.decided_utc.desc(), dispositions_table.c.sequence.desc()))
        out = []
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                flag = json.loads(row["record_json"])
                if not self.may_see(flag, viewer):
                    continue
                out.append({"flag_id": row["flag_id"], "unit_id": flag.get("unit_id"),
                            "list_id": flag.get("list_id"), "category": flag.get("category"),
                            "severity": flag.get("severity"), "disposition": row["disposition"],
                            "analyst": row["analyst"], "note": row["note"], "decided_utc": row["decided_utc"],
                            "sequence": row["sequence"]})
                if len(out) >= limit:
                    break
        return out

    def may_see(self, flag: Mapping[str, Any], viewer) -> bool:
        from pipelines.review.access import may_see
        return may_see(flag, viewer, self.unit_members)

    def _now(self) -> str:
        return _iso(self.clock())

    # -- flags ---------------------------------------------------------------------------------

    def add_flags(self, flags: Iterable[Mapping[str, Any]], *, source_file: str | None = None) -> dict:
        """Store flags; returns counts of added, updated and unchanged flags.

        A flag id already there has its record replaced when its content changed. The same flag
        sent again by a later run (only ``run_id`` / ``created_utc`` differ) is unchanged: the
        record first ingested is kept. A flag sent again marked ``withdrawn`` (the traveller's
        record was withdrawn by a later airline message) replaces it; the standing copy read after
        that does not undo it.
        """
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        now = self._now()
        with self.engine.begin() as conn:
            for flag in flags:
                row = _flag_columns(flag, source_file, now)
                existing = conn.execute(
                    sa.select(flags_table.c.record_json).where(flags_table.c.flag_id == row["flag_id"])
                ).scalar_one_or_none()
                if existing is None:
                    conn.execute(flags_table.insert().values(**row))
                    counts["added"] += 1
                elif "depersonalised_fields" in json.loads(existing):
                    counts["unchanged"] += 1  # retention has masked it: never restore the traveller
                    continue
                elif json.loads(existing).get("withdrawn") and not flag.get("withdrawn"):
                    counts["unchanged"] += 1  # withdrawn by a later message: a copy read after stays withdrawn
                    continue
                elif _content(existing) != _content(row["record_json"]):
                    conn.execute(flags_table.update()
                                 .where(flags_table.c.flag_id == row["flag_id"]).values(**row))
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
        return counts

    def get_flag(self, flag_id: str, viewer=None) -> dict:
        """One flag's record; raises ReviewError when the id is unknown or not the viewer's to see.

        Another unit's flag gets the same answer as a missing one: its existence is not told.
        """
        with self.engine.connect() as conn:
            record = conn.execute(
                sa.select(flags_table.c.record_json).where(flags_table.c.flag_id == flag_id)
            ).scalar_one_or_none()
        flag = json.loads(record) if record is not None else None
        if flag is None or not self.may_see(flag, viewer):
            raise ReviewError(f"no flag with id {flag_id!r}")
        return flag

    def resolve_flag_id(self, text: str, viewer=None) -> str:
        """A full flag id from the id itself or a unique prefix of at least 4 characters, as git does.

        Raises ReviewError naming the problem when nothing or several flags start with ``text``.
        """
        text = (text or "").strip()
        with self.engine.connect() as conn:
            exact = conn.execute(sa.select(flags_table.c.flag_id, flags_table.c.record_json)
                                 .where(flags_table.c.flag_id == text)).first()
            if exact is not None and self.may_see(json.loads(exact.record_json), viewer):
                return exact.flag_id
            if len(text) < 4:
                raise ReviewError(f"no flag with id {text!r} (a shortened id needs at least 4 characters)")
            pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            found = [row.flag_id for row in conn.execute(
                sa.select(flags_table.c.flag_id, flags_table.c.record_json)
                .where(flags_table.c.flag_id.like(pattern, escape="\\")).order_by(flags_table.c.flag_id))
                if self.may_see(json.loads(row.record_json), viewer)][:6]
        if not found:
            raise ReviewError(f"no flag with id {text!r}")
        if len(found) > 1:
            shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
            raise ReviewError(f"flag id {text!r} is ambiguous: it starts {shown}; give more characters")
        return found[0]

    def flag_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(flags_table.c.flag_id).order_by(flags_table.c.flag_id)).scalars())

    def review_rows(self, viewer=None) -> list[dict]:
        """Every flag the viewer may see with its review state: ``flag``, ``status``,
        ``disposition`` (current or None) and ``assignee`` (or None).

        Unordered; ``priority.prioritise(rows, now, flag_of=lambda r: r["flag"])`` orders them.
        """
        with self.engine.connect() as conn:
            records = conn.execute(sa.select(flags_table.c.flag_id, flags_table.c.record_json)).all()
            viewed = set(conn.execute(
                sa.select(access_log_table.c.flag_id).where(access_log_table.c.action == "VIEW").distinct()
            ).scalars())
            current = self._current_dispositions(conn)
            assignees = {row.flag_id: row.assignee for row in conn.execute(
                sa.select(assignments_table).order_by(assignments_table.c.assignment_id))}
        rows = []
        for flag_id, record in records:
            flag = json.loads(record)
            if self.may_see(flag, viewer):
                decided = current.get(flag_id)
                if decided is not None and decided["disposition"] == REOPENED:
                    decided = None
                rows.append({"flag": flag, "disposition": decided,
                             "status": _status(flag_id in viewed, decided),
                             "assignee": assignees.get(flag_id)})
        return rows

    # -- watchlist entries (the unit's copies, shown beside the traveller) ----------------------

    def add_entries(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Store WatchlistEntry dicts by (list_id, entry_id), replacing older copies; returns count."""
        now, count = self._now(), 0
        with self.engine.begin() as conn:
            for entry in entries:
                key = {"list_id": str(entry["list_id"]), "entry_id": str(entry["entry_id"])}
                conn.execute(entries_table.delete().where(entries_table.c.list_id == key["list_id"])
                             .where(entries_table.c.entry_id == key["entry_id"]))
                conn.execute(entries_table.insert().values(
                    **key, loaded_utc=now, record_json=json.dumps(dict(entry), sort_keys=True, default=str)))
                count += 1
        return count

    def get_entry(self, list_id: str | None, entry_id: str | None) -> dict | None:
        """The unit's copy of a watchlist entry, or None when the unit does not hold it."""
        with self.engine.connect() as conn:
            record = conn.execute(
                sa.select(entries_table.c.record_json).where(entries_table.c.list_id == str(list_id))
                .where(entries_table.c.entry_id == str(entry_id))
            ).scalar_one_or_none()
        return json.loads(record) if record else None

    # -- dispositions --------------------------------------------------------------------------

    @staticmethod
    def _current_dispositions(conn: sa.Connection) -> dict[str, dict]:
        """The latest disposition of each flag: the one with the highest sequence number."""
        rows = conn.execute(sa.select(dispositions_table).order_by(dispositions_table.c.sequence)).mappings()
        return {row["flag_id"]: dict(row) for row in rows}

    def current_disposition(self, flag_id: str) -> dict | None:
        history = self.disposition_history(flag_id)
        return history[-1] if history else None

    def disposition_history(self, flag_id: str) -> list[dict]:
        """Every disposition of the flag, oldest first."""
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(
                sa.select(dispositions_table).where(dispositions_table.c.flag_id == flag_id)
                .order_by(dispositions_table.c.sequence)
            ).mappings()]

    def record_disposition(self, flag_id: str, disposition: str, note: str, analyst: str | None = None,
                           *, viewer=None, remote: str | None = None) -> dict:
        """Append a disposition (superseding any earlier one) and log it; returns the new row.

        A false positive adds the traveller to the cleared list; any other disposition revokes a
        clearance the flag's previous disposition gave. With a ``viewer`` (the signed-in user),
        their role must allow deciding and the flag must be theirs to see.
        """
        code = normalise_disposition(disposition)
        return self._decide(flag_id, code, note, analyst, viewer, remote, "decide")

    def reopen(self, flag_id: str, note: str, *, viewer, remote: str | None = None) -> dict:
        """A supervisor reopens a decided flag, with a note; it returns to the open list."""
        if self.current_disposition(flag_id) is None:
            raise ReviewError(f"flag {flag_id} has no decision to reopen")
        return self._decide(flag_id, REOPENED, note, None, viewer, remote, "reopen")

    def _decide(self, flag_id, code, note, analyst, viewer, remote, action) -> dict:
        text = check_note(note)
        if viewer is not None:
            viewer.require(action)
        who = check_analyst(viewer.username if viewer is not None else analyst)
        flag = self.get_flag(flag_id, viewer)
        now = self._now()
        context = _context(viewer, flag, remote)
        try:
            return self._append_disposition(flag, flag_id, code, text, who, now, context)
        except sa.exc.IntegrityError as error:
            raise ReviewError(f"flag {flag_id} was decided by someone else just now; "
                              "reload it and decide again") from error

    def _append_disposition(self, flag: Mapping[str, Any], flag_id: str, code: str, text: str,
                            who: str, now: str, context: dict) -> dict:
        with self.engine.begin() as conn:
            previous = conn.execute(
                sa.select(dispositions_table).where(dispositions_table.c.flag_id == flag_id)
                .order_by(dispositions_table.c.sequence.desc()).limit(1)
            ).mappings().first()
            row = {
                "disposition_id": uuid.uuid4().hex,
                "flag_id": flag_id,
                "disposition": code,
                "note": text,
                "analyst": who,
                "decided_utc": now,
                "sequence": previous["sequence"] + 1 if previous else 1,
                "supersedes": previous["disposition_id"] if previous else None,
            }
            conn.execute(dispositions_table.insert().values(**row))
            if previous and previous["disposition"] == "FALSE_POSITIVE" and code != "FALSE_POSITIVE":
                conn.execute(cleared_table.update()
                             .where(cleared_table.c.disposition_id == previous["disposition_id"])
                             .values(revoked_by=row["disposition_id"], revoked_utc=now))
            if code == "FALSE_POSITIVE":
                identity = cleared_identity(flag)
                conn.execute(cleared_table.insert().values(
                    disposition_id=row["disposition_id"], flag_id=flag_id,
                    surname=identity["surname"], given_names=identity["given_names"],
                    date_of_birth=identity["date_of_birth"], document_number=identity["document_number"],
                    document_issuer=identity["document_issuer"], traveller_id=identity["traveller_id"],
                    entry_id=str(identity["entry_id"] or ""), list_id=identity["list_id"],
                    analyst=who, cleared_utc=now))
            self._log(conn, who, "REOPEN" if code == REOPENED else "DECIDE", flag_id, f"{code}: {text}",
                      now, **context)
        return row

    # -- assignments ---------------------------------------------------------------------------

    def reassign(self, flag_id: str, assignee: str, note: str, *, viewer, remote: str | None = None,
                 assignee_units: Iterable[str] | None = None) -> dict:
        """A supervisor gives a flag to another user of its unit, with a note (append-only)."""
        viewer.require("reassign")
        text = check_note(note)
        flag = self.get_flag(flag_id, viewer)
        target = check_analyst(assignee)
        if assignee_units is not None and flag.get("unit_id") not in set(assignee_units):
            raise ReviewError(f"{target} is not a member of unit {flag.get('unit_id')}")
        now = self._now()
        row = {"flag_id": flag_id, "assignee": target, "assigned_by": viewer.username, "note": text,
               "at_utc": now}
        with self.engine.begin() as conn:
            conn.execute(assignments_table.insert().values(**row))
            self._log(conn, viewer.username, "REASSIGN", flag_id, f"to {target}: {text}", now,
                      **_context(viewer, flag, remote))
        return row

    def assignment_history(self, flag_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(
                sa.select(assignments_table).where(assignments_table.c.flag_id == flag_id)
                .order_by(assignments_table.c.assignment_id)).mappings()]

    # -- cleared travellers --------------------------------------------------------------------

    def cleared_travellers(self, *, include_revoked: bool = False, viewer=None) -> list[dict]:
        """Cleared-traveller rows of flags the viewer may see, oldest first; revoked ones only when asked."""
        query = (sa.select(cleared_table, flags_table.c.record_json)
                 .join(flags_table, flags_table.c.flag_id == cleared_table.c.flag_id)
                 .order_by(cleared_table.c.cleared_utc, cleared_table.c.disposition_id))
        if not include_revoked:
            query = query.where(cleared_table.c.revoked_by.is_(None))
        with self.engine.connect() as conn:
            rows = [dict(row) for row in conn.execute(query).mappings()]
        return [{k: v for k, v in row.items() if k != "record_json"} for row in rows
                if self.may_see(json.loads(row["record_json"]), viewer)]

    # -- access log ----------------------------------------------------------------------------

    def _log(self, conn: sa.Connection, analyst: str, action: str, flag_id: str | None,
             detail: str | None, now: str, *, auth: str | None = None, unit_id: str | None = None,
             remote: str | None = None) -> None:
        conn.execute(access_log_table.insert().values(
            at_utc=now, analyst=analyst, action=action, flag_id=flag_id, detail=detail,
            auth=auth, unit_id=unit_id, remote=remote))

    def log_access(self, analyst: str | None, action: str, flag_id: str | None = None,
                   detail: str | None = None, *, viewer=None, auth: str | None = None,
                   unit_id: str | None = None, remote: str | None = None) -> None:
        """Record that a user did ``action`` (VIEW, LIST, INGEST, EXPORT...) on a flag or on all.

        With a ``viewer`` their verified name, how it was verified and their units are recorded;
        otherwise ``analyst`` with ``auth`` as given (a failed sign-in is 'unverified').
        """
        if viewer is not None:
            analyst, auth = viewer.username, viewer.auth
            unit_id = unit_id or viewer.unit_label
        who = check_analyst(analyst) if auth != "unverified" else (analyst or "-")[:64]
        with self.engine.begin() as conn:
            self._log(conn, who, action.upper(), flag_id, detail, self._now(), auth=auth,
                      unit_id=unit_id, remote=remote)

    def view_flag(self, flag_id: str, analyst: str | None = None, *, viewer=None,
                  remote: str | None = None) -> dict:
        """The flag's record, with the view logged: the only way screens should open a flag."""
        if viewer is not None:
            viewer.require("view")
        flag = self.get_flag(flag_id, viewer)
        self.log_access(analyst, "VIEW", flag_id, viewer=viewer, unit_id=flag.get("unit_id"), remote=remote)
        return flag

    def access_log(self, *, flag_id: str | None = None, limit: int | None = None, viewer=None) -> list[dict]:
        """Access log entries, newest first; one flag's only when ``flag_id`` is given.

        With a ``viewer``, only entries about their units (and sign-in events naming no unit).
        """
        query = sa.select(access_log_table).order_by(access_log_table.c.access_id.desc())
        if flag_id is not None:
            query = query.where(access_log_table.c.flag_id == flag_id)
        if limit and viewer is None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            entries = [dict(row) for row in conn.execute(query).mappings()]
        if viewer is not None:
            mine = set(viewer.units)
            entries = [e for e in entries
                       if not e["unit_id"] or mine & set(e["unit_id"].split(","))][:limit or None]
        return entries


#: Flag fields a later run changes without changing the flag: who sent it again and when.
RUN_FIELDS: tuple[str, ...] = ("run_id", "created_utc")


def _content(record_json: str) -> dict:
    """A stored flag record without its run fields: what decides 'updated' versus 'unchanged'."""
    record = json.loads(record_json)
    for name in RUN_FIELDS:
        record.pop(name, None)
    return record


def _context(viewer, flag: Mapping[str, Any], remote: str | None) -> dict:
    """What the access log records besides the name: how it was verified, the unit, the address."""
    return {"auth": viewer.auth if viewer is not None else None, "unit_id": flag.get("unit_id"),
            "remote": remote}


def _add_missing_columns(engine: sa.Engine) -> None:
    """Columns added since a database was created (nullable or with defaults), added in place."""
    inspector = sa.inspect(engine)
    preparer = engine.dialect.identifier_preparer
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = f" DEFAULT {column.server_default.arg}" if column.server_default is not None else ""
                conn.execute(sa.text(f"ALTER TABLE {preparer.quote(table.name)} "
                                     f"ADD COLUMN {preparer.quote(column.name)} {kind}{default}"))


def _status(viewed: bool, disposition: Mapping[str, Any] | None) -> str:
    """GTAS-style review status of a flag."""
    if disposition is not None:
        return "REVIEWED"
    return "IN_PROGRESS" if viewed else "NEW"
