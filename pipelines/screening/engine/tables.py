"""``ScoringTables``: a public, read-only snapshot of one Screener's index and settings.

The compiled fast path (:mod:`.compiled.accelerate`) reads this and nothing else of the Python
engine: the index's candidate look-up, the per-entry fields, and the settings' values as the scoring
specification (:mod:`.spec`) lays them out. The Screener makes it once, after the index is built
(:meth:`pipelines.screening.engine.score.Screener.scoring_tables`); the arrays are views the
snapshot cannot write to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

__all__ = ["ScoringTables", "read_only", "LOOKUP_STATS"]

#: counters of candidate generation (per index, summed over its look-ups, whichever engine asked):
#: big blocks narrowed by birth year, blocks skipped (too big even for the
#: traveller's birth year, or no birth year to split them by), look-ups whose candidates the cap
#: cut, and how many candidates it cut
LOOKUP_STATS = ("blocks_narrowed", "blocks_skipped", "lookups_capped", "candidates_cut")


def read_only(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that cannot be written through."""
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class ScoringTables:
    """What the compiled path needs of an index and its settings.

    Candidate generation: ``lookup``, the index's own
    :class:`~pipelines.screening.engine.compiled.lookup.CandidateLookup` (over the index's
    blocking arrays; it also holds the entries' dates of birth as flat read-only arrays).

    Entries, by position: the entry dicts, their name ``forms``, normalised ``docs`` and alpha-3
    ``nationalities``; ``common`` and ``token_people`` as the index counts them;
    ``common_full_name(form)`` the engine's test of a very common full name.

    Settings: ``name_params`` (``comparisons.name``), ``rare_limit``, the date-of-birth
    adjustment per level in ``DOB_ORDER``, ``(agree, differ)`` for sex and nationality, and the
    two name-only caps."""

    lookup: Any
    entries: Sequence[dict]
    forms: Sequence[tuple]
    docs: Sequence[tuple]
    nationalities: Sequence[tuple[str, ...]]
    common: frozenset[str]
    token_people: Mapping[str, int]
    common_full_name: Callable[[Any], bool]
    name_params: Mapping[str, float]
    rare_limit: float
    dob_adjust: tuple[float, ...]
    sex: tuple[float, float]
    nationality: tuple[float, float]
    uncorroborated_common_name_cap: float
    uncorroborated_name_cap: float

    def __len__(self) -> int:
        return len(self.entries)
