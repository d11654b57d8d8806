"""Who may see and do what in the review: roles, units, and the partner rule. Pure functions.

- **Roles**: an *analyst* reviews and decides flags; a *supervisor* may also reassign flags and
  reopen decisions (with a note) and reads the access log; a *privacy auditor* reads the access
  log and the decisions (who decided what, when, why) but never a traveller's details.
- **Units**: each user belongs to one or more JPAUs and sees only those units' flags, in every
  page, command and export.
- **Partner rule**: an officer of country X sees a flag only when X owns the list or the owner
  let X receive hits (the entry's ``receivers``). Routing sends a flag to a unit only when every
  member country may see it (rules/jpau_units.yaml), so an officer of a member country passes; the
  review checks again, so that an officer of any other country never does.

``Viewer`` is the signed-in user as the store and the pages see them; ``may_see`` the one test of
visibility every listing, view and export goes through.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Mapping

__all__ = ["ROLES", "ROLE_LABELS", "PERMISSIONS", "Viewer", "Forbidden", "may_see", "partner_permitted",
           "parse_roles"]

ROLE_LABELS: dict[str, str] = {
    "analyst": "Analyst",
    "supervisor": "Supervisor",
    "auditor": "Privacy auditor",
}
ROLES: tuple[str, ...] = tuple(ROLE_LABELS)

#: Action -> roles allowed to do it.
PERMISSIONS: dict[str, frozenset[str]] = {
    "list": frozenset({"analyst", "supervisor"}),
    "view": frozenset({"analyst", "supervisor"}),
    "decide": frozenset({"analyst", "supervisor"}),
    "overview": frozenset({"analyst", "supervisor"}),
    "export": frozenset({"analyst", "supervisor"}),
    "ingest": frozenset({"analyst", "supervisor"}),
    "reassign": frozenset({"supervisor"}),
    "reopen": frozenset({"supervisor"}),
    "audit": frozenset({"supervisor", "auditor"}),
    "decisions": frozenset({"analyst", "supervisor", "auditor"}),
}

_ROLE_ALIASES = {"privacy-auditor": "auditor", "privacy_auditor": "auditor", "audit": "auditor"}


class Forbidden(PermissionError):
    """The signed-in user's roles do not allow this action."""


def parse_roles(values: Iterable[str]) -> tuple[str, ...]:
    """Role names from user input ('analyst', 'privacy-auditor', ...), checked, sorted, unique."""
    roles = set()
    for value in values:
        for part in str(value).split(","):
            name = _ROLE_ALIASES.get(part.strip().lower(), part.strip().lower())
            if not name:
                continue
            if name not in ROLE_LABELS:
                raise ValueError(f"unknown role {part.strip()!r}; choose from: analyst, supervisor, auditor")
            roles.add(name)
    if not roles:
        raise ValueError("a user needs at least one role: analyst, supervisor or auditor")
    return tuple(sorted(roles))


@dataclasses.dataclass(frozen=True)
class Viewer:
    """A verified user: name, roles, units, the country whose officer they are, how they signed in."""

    username: str
    roles: frozenset[str]
    units: tuple[str, ...]
    country: str
    auth: str = "password"
    language: str = "en"

    def can(self, action: str) -> bool:
        return bool(self.roles & PERMISSIONS[action])

    def require(self, action: str) -> None:
        if not self.can(action):
            roles = ", ".join(ROLE_LABELS[r] for r in sorted(self.roles)) or "no role"
            raise Forbidden(f"{self.username} ({roles}) may not {action}")

    @property
    def unit_label(self) -> str:
        return ",".join(self.units)


def partner_permitted(flag: Mapping[str, Any], country: str, unit_members: Iterable[str]) -> bool:
    """Whether an officer of ``country`` may see a hit on the flag's list.

    The owner always may; otherwise the entry's ``receivers`` decide when the flag carries them,
    and else the unit's member countries do (routing only sends a flag to a unit all of whose
    members the owner consented to).
    """
    country = (country or "").upper()
    if not country:
        return False
    if country == str(flag.get("list_owner") or "").upper():
        return True
    receivers = flag.get("receivers")
    allowed = receivers if receivers is not None else unit_members
    return country in {str(code).upper() for code in allowed or ()}


def may_see(flag: Mapping[str, Any], viewer: Viewer | None,
            members_of: Callable[[str], Iterable[str]]) -> bool:
    """The one visibility test: the viewer's unit holds the flag, and the partner rule allows it.

    ``viewer`` None is the operator's own process (ingest, retention), which sees everything.
    """
    if viewer is None:
        return True
    unit = str(flag.get("unit_id") or "")
    return unit in viewer.units and partner_permitted(flag, viewer.country, members_of(unit))
