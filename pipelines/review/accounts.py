"""Local accounts and sign-in checks: argon2id passwords, optional TOTP, throttling and lock-out.

For small installations and the demo; agencies sign in through their own OpenID Provider
(``pipelines.review.oidc``), whose verified subject is linked to an account here. Either way the
account holds what the review decides on: roles, units, the officer's country and language.

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106), never stored or logged
  in clear. A hash made with older parameters is replaced at the next sign-in.
- TOTP (RFC 6238, pyotp) is optional per account; a code is accepted once (no replay).
- After ``MAX_FAILURES`` wrong passwords or codes in a row an account is locked for
  ``LOCK_MINUTES``; every failure is in the access log. A locked, disabled or unknown account gets
  the same refusal as a wrong password, and an unknown name costs the same hashing time.
- Disabling an account or resetting its password ends its open sessions (``session_epoch``).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines.review.access import Viewer, parse_roles
from pipelines.review.i18n import LANGUAGES
from pipelines.review.store import ReviewError, ReviewStore, check_analyst, users_table

__all__ = ["Accounts", "Account", "SignInRefused", "MAX_FAILURES", "LOCK_MINUTES", "MIN_PASSWORD_LENGTH",
           "LANGUAGES", "generate_password"]

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_COUNTRY = re.compile(r"^[A-Z]{3}$")


class SignInRefused(ReviewError):
    """Wrong name, password or code, or an account that is locked or disabled (told apart in the log only)."""

    def __init__(self, reason: str):
        super().__init__("Sign-in refused: wrong name, password or code, or the account is locked for a while.")
        self.reason = reason


def generate_password() -> str:
    """A random password to hand out once (about 120 bits)."""
    return secrets.token_urlsafe(15)


@dataclasses.dataclass(frozen=True)
class Account:
    username: str
    display_name: str | None
    roles: tuple[str, ...]
    units: tuple[str, ...]
    country: str
    language: str
    has_password: bool
    has_totp: bool
    oidc_subject: str | None
    disabled: bool
    failed_count: int
    locked_until: str | None
    session_epoch: int
    created_utc: str
    last_sign_in_utc: str | None

    def viewer(self, auth: str) -> Viewer:
        return Viewer(self.username, frozenset(self.roles), self.units, self.country, auth, self.language)

    def locked(self, now: datetime) -> bool:
        return bool(self.locked_until) and self.locked_until > _iso(now)

    def status(self, now: datetime) -> str:
        return "disabled" if self.disabled else "locked" if self.locked(now) else "active"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _account(row) -> Account:
    return Account(
        username=row["username"], display_name=row["display_name"],
        roles=tuple(filter(None, row["roles"].split(","))), units=tuple(filter(None, row["units"].split(","))),
        country=row["country"], language=row["language"] or "en",
        has_password=bool(row["password_hash"]), has_totp=bool(row["totp_secret"]),
        oidc_subject=row["oidc_subject"], disabled=bool(row["disabled"]), failed_count=row["failed_count"] or 0,
        locked_until=row["locked_until"], session_epoch=row["session_epoch"] or 0,
        created_utc=row["created_utc"], last_sign_in_utc=row["last_sign_in_utc"])


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


class Accounts:
    """The users table of a ``ReviewStore``: manage accounts, check sign-ins."""

    def __init__(self, store: ReviewStore):
        self.store = store
        self.engine = store.engine

    # -- management ------------------------------------------------------------------------------

    def _check_units(self, units: Iterable[str], country: str) -> tuple[str, ...]:
        chosen = tuple(sorted({u.strip() for part in units for u in str(part).split(",") if u.strip()}))
        if not chosen:
            raise ReviewError("a user needs at least one unit (--unit jpau-yvr)")
        for unit_id in chosen:
            members = self.store.unit_members(unit_id)
            if not members:
                known = ", ".join(self.store.units.unit_ids)
                raise ReviewError(f"unknown unit {unit_id!r}; the units configuration has: {known}")
            if country not in members:
                raise ReviewError(f"unit {unit_id} is staffed by officers of {', '.join(members)}, not {country}")
        return chosen

    def add(self, username: str, *, roles: Iterable[str], units: Iterable[str], country: str,
            password: str | None = None, totp: bool = False, oidc_subject: str | None = None,
            language: str = "en", display_name: str | None = None) -> tuple[Account, str | None]:
        """Create an account; returns it and the TOTP secret when one was made (shown once)."""
        name = check_analyst(username)
        country = (country or "").strip().upper()
        if not _COUNTRY.match(country):
            raise ReviewError("--country is the officer's country as ISO 3166 alpha-3 (CAN, USA, MEX)")
        try:
            role_list = parse_roles(roles)
        except ValueError as problem:
            raise ReviewError(str(problem)) from None
        unit_list = self._check_units(units, country)
        if language not in LANGUAGES:
            raise ReviewError(f"unknown language {language!r}; choose from: {', '.join(LANGUAGES)}")
        if password is None and not oidc_subject:
            raise ReviewError("give the account a password or an OpenID Connect subject (--oidc-subject)")
        secret = _new_totp_secret() if totp else None
        row = {
            "username": name, "display_name": display_name, "roles": ",".join(role_list),
            "units": ",".join(unit_list), "country": country, "language": language,
            "password_hash": _HASHER.hash(check_password(password)) if password is not None else None,
            "totp_secret": secret, "oidc_subject": oidc_subject or None, "disabled": False,
            "failed_count": 0, "session_epoch": 0, "created_utc": self.store._now(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(users_table.insert().values(**row))
        except sa.exc.IntegrityError:
            raise ReviewError(f"an account named {name!r} (or with that OpenID subject) already exists") from None
        return self.get(name), secret

    def get(self, username: str) -> Account:
        account = self.find(username)
        if account is None:
            raise ReviewError(f"no account named {username!r} (paxshare review users add ...)")
        return account

    def find(self, username: str | None) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(users_table.c.username == (username or ""))
                               ).mappings().first()
        return _account(row) if row else None

    def find_by_subject(self, subject: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(users_table.c.oidc_subject == subject)
                               ).mappings().first()
        return _account(row) if row else None

    def list(self) -> list[Account]:
        with self.engine.connect() as conn:
            return [_account(row) for row in conn.execute(
                sa.select(users_table).order_by(users_table.c.username)).mappings()]

    def _update(self, username: str, **values) -> None:
        with self.engine.begin() as conn:
            changed = conn.execute(users_table.update().where(users_table.c.username == username)
                                   .values(**values)).rowcount
        if not changed:
            raise ReviewError(f"no account named {username!r}")

    def disable(self, username: str) -> None:
        """Refuse every further sign-in and end open sessions."""
        account = self.get(username)
        self._update(account.username, disabled=True, session_epoch=account.session_epoch + 1)

    def enable(self, username: str) -> None:
        account = self.get(username)
        self._update(account.username, disabled=False, failed_count=0, locked_until=None)

    def reset(self, username: str, password: str, *, totp: bool | None = None) -> str | None:
        """New password, lock lifted, sessions ended; a new TOTP secret when ``totp`` (returned)."""
        account = self.get(username)
        values = {"password_hash": _HASHER.hash(check_password(password)), "failed_count": 0,
                  "locked_until": None, "session_epoch": account.session_epoch + 1}
        secret = None
        if totp is True:
            secret = values["totp_secret"] = _new_totp_secret()
            values["totp_last_step"] = None
        elif totp is False:
            values["totp_secret"] = None
        self._update(account.username, **values)
        return secret

    def set_language(self, username: str, language: str) -> None:
        if language not in LANGUAGES:
            raise ReviewError(f"unknown language {language!r}")
        self._update(username, language=language)

    # -- sign-in -----------------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, code: str | None = None, *,
                     remote: str | None = None) -> Viewer:
        """The verified user for a name, password and (when enrolled) TOTP code.

        Every refusal raises ``SignInRefused`` and is logged (LOGIN_FAILED, and LOCKED when this
        failure locks the account); a success resets the failure count and is logged as LOGIN.
        """
        now = self.store.clock()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(users_table.c.username == (username or "").strip())
                               ).mappings().first()
        if row is None or not row["password_hash"]:
            _verify(_DUMMY_HASH, password)  # same cost as a real check: no name probing by timing
            # The name typed is not logged: it is often a password typed in the wrong field.
            return self._refuse(None, None, "no such local account (name not recorded)", remote)
        account = _account(row)
        if account.disabled:
            _verify(_DUMMY_HASH, password)
            return self._refuse(account.username, account, "account disabled", remote, count=False)
        if account.locked(now):
            _verify(_DUMMY_HASH, password)
            return self._refuse(account.username, account, f"account locked until {account.locked_until}",
                                remote, count=False)
        if not _verify(row["password_hash"], password):
            return self._refuse(account.username, account, "wrong password", remote)
        auth = "password"
        if row["totp_secret"]:
            step = _totp_step(row["totp_secret"], code, now, row["totp_last_step"])
            if step is None:
                return self._refuse(account.username, account, "wrong or reused TOTP code", remote)
            auth = "password+totp"
            self._update(account.username, totp_last_step=step)
        if _HASHER.check_needs_rehash(row["password_hash"]):
            self._update(account.username, password_hash=_HASHER.hash(password))
        return self.signed_in(account, auth, remote)

    def signed_in(self, account: Account, auth: str, remote: str | None) -> Viewer:
        """Record a successful sign-in (any method) and return the viewer."""
        self._update(account.username, failed_count=0, locked_until=None, last_sign_in_utc=self.store._now())
        viewer = account.viewer(auth)
        self.store.log_access(None, "LOGIN", viewer=viewer, remote=remote)
        return viewer

    def _refuse(self, username: str | None, account: Account | None, reason: str, remote: str | None,
                *, count: bool = True):
        name = (username or "").strip()[:64] or "-"
        units = ",".join(account.units) if account else None
        self.store.log_access(name, "LOGIN_FAILED", None, reason, auth="unverified", unit_id=units, remote=remote)
        if account is not None and count:
            failures = account.failed_count + 1
            values: dict = {"failed_count": failures}
            if failures >= MAX_FAILURES:
                until = self.store.clock() + timedelta(minutes=LOCK_MINUTES)
                values.update(failed_count=0, locked_until=_iso(until))
                self.store.log_access(name, "LOCKED", None,
                                      f"{failures} failed sign-ins in a row; locked until {_iso(until)}",
                                      auth="unverified", unit_id=units, remote=remote)
            self._update(account.username, **values)
        raise SignInRefused(reason)

    def current(self, username: str, epoch: int, auth: str) -> Viewer | None:
        """The viewer for a session, or None when the account was disabled, reset or removed since."""
        account = self.find(username)
        if account is None or account.disabled or account.session_epoch != epoch:
            return None
        return account.viewer(auth)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _new_totp_secret() -> str:
    import pyotp
    return pyotp.random_base32()


def _totp_step(secret: str, code: str | None, now: datetime, last_step: int | None) -> int | None:
    """The time step a valid, unused code belongs to (one step of clock drift allowed), else None."""
    import pyotp

    code = re.sub(r"\s+", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=30 * offset)
        if totp.verify(code, for_time=moment, valid_window=0):
            step = totp.timecode(moment)
            return None if last_step is not None and step <= last_step else step
    return None


def totp_uri(account: Account, secret: str, issuer: str = "paxshare review") -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed)."""
    import pyotp
    return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=issuer)
