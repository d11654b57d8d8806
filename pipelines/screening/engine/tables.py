"""``ScoringTables``: a public, read-only snapshot of one Screener's index and settings.

The compiled fast path (:mod:`.compiled.accelerate`) reads this and nothing else of the Python
engine: the blocking arrays, the per-entry fields, and the settings' values as the scoring
specification (:mod:`.spec`) lays them out. The Screener makes it once, after the index is built
(:meth:`pipelines.screening.engine.score.Screener.scoring_tables`); the arrays are views the
snapshot cannot write to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from pipelines.screening.engine.settings import BlockingSettings

__all__ = ["ScoringTables", "read_only", "LOOKUP_STATS"]

#: counters of candidate generation (per screener, summed over look-ups), kept alike by the index
#: and its compiled twin: big blocks narrowed by birth year, blocks skipped (too big even for the
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

    Blocking: ``key_codes`` (sorted 64-bit key codes, one per block), ``block_starts`` (block
    ``i`` holds ``postings[block_starts[i]:block_starts[i + 1]]``), ``postings`` (entry positions),
    ``year_lo``/``year_hi`` (span of each entry's listed birth years), the block limits, the key
    rules (the frozen ``blocking`` settings) and ``document_codes`` (a traveller's documents as key codes).

    Entries, by position: the entry dicts, their name ``forms``, parsed ``dobs``, normalised
    ``docs`` and alpha-3 ``nationalities``; ``common`` and ``token_people`` as the index counts
    them; ``common_full_name(form)`` the engine's test of a very common full name.

    Settings: ``name_params`` (``comparisons.name``), ``rare_limit``, the date-of-birth
    adjustment per level in ``DOB_ORDER``, ``(agree, differ)`` for sex and nationality, and the
    two name-only caps."""

    key_codes: np.ndarray
    block_starts: np.ndarray
    postings: np.ndarray
    year_lo: np.ndarray
    year_hi: np.ndarray
    max_block: int
    max_initial_block: int
    max_candidates: int
    key_rules: BlockingSettings
    document_codes: Callable[..., list[int]]
    entries: Sequence[dict]
    forms: Sequence[tuple]
    dobs: Sequence[tuple]
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
