"""How common a name is in the travelling population, from a table that does not come from the list.

A listed entry's own counts say how many *listed* people carry a name; they say nothing about how
many travellers do, and a small list makes every name look rare. The population table here is
built once per process from the name tables the generator already ships
(``pipelines/generate/data/names_<culture>.csv``, ordered most common first, with
``cultures.json``'s population weights): a name part's share is its culture's weight times a
Zipf-like share of its rank in that culture's table, ``1 / (rank + table length / 25)``
normalised, the distribution census surname and given-name tables follow. Every romanisation of
a row (``MOHAMMED|MUHAMMAD|...``) carries the row's share. A name part not in the tables has
share 0 here; the screener combines this share with the list's own count
(:meth:`Screener._expected_namesakes`) and takes the larger.

Name parts are not drawn independently of each other: a given name and a surname of one culture
go together (``RAHUL SHARMA``, ``OKSANA KUZMENKO``), so the share of people carrying both is the
sum over cultures of the culture's weight times each part's share *within* it, not the product
of the two parts' shares over everyone (which makes the name of a culture of 6% of the
population 16 times too rare). :func:`population_profile` keeps each part's share per culture
and :func:`joint_share` combines parts that way; the product over everyone stays the floor
(people do carry names of two cultures). A census table by region or origin gives the same.

A deployment with real census tables would swap the source; the rule that uses the figure (see
``common_name_people`` in the settings) stays.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

from pipelines import storage
from pipelines.screening.normalise.names import normalise

__all__ = ["population_share", "surname_share", "population_profile", "joint_share"]


def _zipf_shares(n: int) -> list[float]:
    offset = n / 25
    weights = [1.0 / (rank + offset) for rank in range(1, n + 1)]
    total = sum(weights)
    return [w / total for w in weights]


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], dict[str, dict[int, float]], tuple[float, ...], dict[str, float]]:
    """(each part's share of everyone, each part's share of everyone per culture (index into
    the weights: the culture's weight times the part's share within it), the cultures' weights,
    summing to 1, the part's share of everyone as a surname)."""
    folder = Path(storage.packaged("generate", "data"))
    try:
        cultures = json.loads((folder / "cultures.json").read_text(encoding="utf-8"))["cultures"]
    except (FileNotFoundError, KeyError, ValueError):
        return {}, {}, (), {}
    total_weight = sum(float(meta.get("weight", 1)) for meta in cultures.values()) or 1.0
    shares: dict[str, float] = {}
    profiles: dict[str, dict[int, float]] = {}
    weights: list[float] = []
    as_surname: dict[str, float] = {}
    for culture, meta in cultures.items():
        path = folder / f"names_{culture}.csv"
        if not path.is_file():
            continue
        weight = float(meta.get("weight", 1)) / total_weight
        index = len(weights)
        weights.append(weight)
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        groups = {("surname", ""): [r for r in rows if r["kind"] == "surname"]}
        for sex in ("M", "F"):
            # half of a culture's people carry a name from each sex's table
            groups[("given", sex)] = [r for r in rows if r["kind"] == "given" and (r.get("sex") or "M") == sex]
        for (kind, _), members in groups.items():
            factor = weight * (0.5 if kind == "given" else 1.0)
            for row, share in zip(members, _zipf_shares(len(members))):
                spellings = [s for s in (row.get("latin") or "").split("|") if s.strip()] or [row.get("native") or ""]
                tokens = {t for spelling in spellings for t in normalise(spelling).split()}
                for token in tokens:
                    shares[token] = shares.get(token, 0.0) + factor * share
                    if kind == "surname":
                        as_surname[token] = as_surname.get(token, 0.0) + factor * share
                    profile = profiles.setdefault(token, {})
                    profile[index] = profile.get(index, 0.0) + factor * share
    return shares, profiles, tuple(weights), as_surname


def population_share(token: str) -> float:
    """Estimated share of the travelling population whose name has this (normalised) part."""
    return _tables()[0].get(token, 0.0)


def surname_share(token: str) -> float:
    """The part of :func:`population_share` that is people carrying this part as a surname (the
    rest: as a given name)."""
    return _tables()[3].get(token, 0.0)


def population_profile(token: str) -> dict[int, float]:
    """This part's share of everyone by culture (culture weight x share within the culture;
    the values sum to :func:`population_share`); empty for a part no table knows."""
    return _tables()[1].get(token, {})


def joint_share(parts: list[tuple[float, dict[int, float]]]) -> float:
    """The share of people carrying every one of ``parts``, each given as (its estimated share
    of everyone, its :func:`population_profile`). A part's estimate may differ from its table
    share (a near spelling counted as more common, the list's own count standing for it): its
    profile is scaled to that estimate, keeping how it spreads over cultures. Parts with a
    profile are combined within each culture (a culture's weight times the product of their
    shares within it, each at most 1), a part without one (no table knows it) independently;
    never less than the product of the estimates (names of two cultures are carried too)."""
    product = 1.0
    for share, _ in parts:
        product *= share
    known = [(share, profile) for share, profile in parts if profile and share > 0.0]
    if len(known) < 2:
        return product
    weights = _tables()[2]
    joint = 0.0
    for culture in set.intersection(*(set(profile) for _, profile in known)):
        weight = weights[culture]
        within = weight
        for share, profile in known:
            within *= min(1.0, profile[culture] / weight * share / sum(profile.values()))
        joint += within
    for share, profile in parts:
        if not (profile and share > 0.0):
            joint *= share
    return max(product, joint)
