"""Nicknames and short forms of given names (``BILL`` ~ ``WILLIAM``, ``PACO`` ~ ``FRANCISCO``).

The table ``data/nicknames.csv`` groups a formal given name with its short forms and a few
cross-language equivalents (``JOSEPH``/``YUSUF``); a token can sit in several groups (``ROB``:
``ROBERT`` and ``ROBIN``). Two tokens are nickname-equivalent when they share a group. Tokens are
compared after :func:`pipelines.screening.names.normalise`, so the table is upper-case A-Z.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

__all__ = ["groups_of", "are_nicknames", "variants"]


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[int]]:
    text = resources.files("pipelines.screening").joinpath("data", "nicknames.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    groups: dict[str, set[int]] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines)))):
        names = [row["formal"].strip().upper()] + [n.strip().upper() for n in row["nicknames"].split("|") if n.strip()]
        for name in names:
            groups.setdefault(name, set()).add(number)
    return {name: frozenset(ids) for name, ids in groups.items()}


@functools.lru_cache(maxsize=1)
def _members() -> dict[int, frozenset[str]]:
    members: dict[int, set[str]] = {}
    for name, ids in _table().items():
        for group in ids:
            members.setdefault(group, set()).add(name)
    return {group: frozenset(names) for group, names in members.items()}


def groups_of(token: str) -> frozenset[int]:
    """Ids of the nickname groups a given-name token belongs to (empty when unknown)."""
    return _table().get(token, frozenset())


def are_nicknames(a: str, b: str) -> bool:
    """True when two different tokens share a nickname group: 'BILL' ~ 'WILLIAM'."""
    return a != b and bool(groups_of(a) & groups_of(b))


@functools.lru_cache(maxsize=50_000)
def variants(token: str) -> frozenset[str]:
    """Every token sharing a group with ``token`` (itself excluded); used to widen blocking."""
    out: set[str] = set()
    for group in groups_of(token):
        out |= _members()[group]
    out.discard(token)
    return frozenset(out)
