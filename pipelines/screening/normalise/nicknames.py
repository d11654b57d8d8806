"""Nicknames and short forms of given names (``BILL`` ~ ``WILLIAM``, ``PACO`` ~ ``FRANCISCO``).

The table ``data/nicknames.csv`` groups a formal given name with its short forms and a few
cross-language equivalents (``JOSEPH``/``YUSUF``); a token can sit in several groups (``ROB``:
``ROBERT`` and ``ROBIN``). Two tokens are nickname-equivalent when they share a group. Tokens are
compared after :func:`pipelines.screening.normalise.names.normalise`, so the table is upper-case A-Z.

Two relations are told apart (:func:`nickname_relation`): a formal name and one of its forms
(``MATTHEW``/``MATTY``: the person called Matthew is called Matty) and two forms of one formal
name, neither of them it (``MATTY``/``MATTHIAS``, ``BILL``/``LIAM``: each is a way of writing
William or Matthew, but people called Liam are rarely called Bill). The second is weaker
evidence and scores lower (settings: ``nickname_indirect``).
"""

from __future__ import annotations

import csv
import functools
import io

from pipelines import storage

__all__ = ["groups_of", "formal_groups_of", "are_nicknames", "nickname_relation", "variants",
           "DIRECT", "INDIRECT"]

#: :func:`nickname_relation` results
DIRECT, INDIRECT = 2, 1


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The table's rows: (formal name, its forms), in file order (a row's number is its group id)."""
    text = storage.read_text(storage.packaged("screening", "data", "nicknames.csv"))
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple((row["formal"].strip().upper(),
                  tuple(n.strip().upper() for n in row["nicknames"].split("|") if n.strip()))
                 for row in csv.DictReader(io.StringIO("\n".join(lines))))


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for number, (formal, forms) in enumerate(_rows()):
        for name in (formal,) + forms:
            groups.setdefault(name, set()).add(number)
    return {name: frozenset(ids) for name, ids in groups.items()}


@functools.lru_cache(maxsize=1)
def _formal() -> dict[str, frozenset[int]]:
    formal: dict[str, set[int]] = {}
    for number, (name, _) in enumerate(_rows()):
        formal.setdefault(name, set()).add(number)
    return {name: frozenset(ids) for name, ids in formal.items()}


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


def formal_groups_of(token: str) -> frozenset[int]:
    """Ids of the groups whose formal name the token is (``MATTHEW``: its own row)."""
    return _formal().get(token, frozenset())


def are_nicknames(a: str, b: str) -> bool:
    """True when two different tokens share a nickname group: 'BILL' ~ 'WILLIAM'."""
    return a != b and bool(groups_of(a) & groups_of(b))


def nickname_relation(a: str, b: str) -> int:
    """:data:`DIRECT` when one token is the formal name of a group both are in (``WILLIAM``/
    ``BILL``), :data:`INDIRECT` when they share only groups whose formal name neither is
    (``BILL``/``LIAM``), 0 when they are not nicknames of each other (or equal)."""
    if a == b:
        return 0
    shared = groups_of(a) & groups_of(b)
    if not shared:
        return 0
    return DIRECT if (formal_groups_of(a) | formal_groups_of(b)) & shared else INDIRECT


@functools.lru_cache(maxsize=50_000)
def variants(token: str) -> frozenset[str]:
    """Every token sharing a group with ``token`` (itself excluded); used to widen blocking."""
    out: set[str] = set()
    for group in groups_of(token):
        out |= _members()[group]
    out.discard(token)
    return frozenset(out)
