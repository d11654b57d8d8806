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

__all__ = ["population_share"]


def _zipf_shares(n: int) -> list[float]:
    offset = n / 25
    weights = [1.0 / (rank + offset) for rank in range(1, n + 1)]
    total = sum(weights)
    return [w / total for w in weights]


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, float]:
    folder = Path(storage.packaged("generate", "data"))
    try:
        cultures = json.loads((folder / "cultures.json").read_text(encoding="utf-8"))["cultures"]
    except (FileNotFoundError, KeyError, ValueError):
        return {}
    total_weight = sum(float(meta.get("weight", 1)) for meta in cultures.values()) or 1.0
    shares: dict[str, float] = {}
    for culture, meta in cultures.items():
        path = folder / f"names_{culture}.csv"
        if not path.is_file():
            continue
        weight = float(meta.get("weight", 1)) / total_weight
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
    return shares


def population_share(token: str) -> float:
    """Estimated share of the travelling population whose name has this (normalised) part."""
    return _table().get(token, 0.0)
