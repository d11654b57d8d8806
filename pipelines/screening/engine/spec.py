"""The scoring specification: every comparison, its levels in order, and the constants of the score.

Both screening paths read this table: the engine (:mod:`.score`) and the compiled pre-scoring
(:mod:`.compiled.accelerate`). Each rule is written once: the name comparison is one compiled
implementation that both call (:mod:`.compiled.fast_names`, through :func:`.compare.compare_names`
pair by pair), and the formulas and per-pair rules below (the typo, skeleton and phonetic
levels, :func:`sex_match`, :func:`field_adjustment`, with ``dates.dob_level``) are plain
functions the engine calls and the compiled path compiles as they are with numba. A level's *value*
comes from the settings (``comparisons.<field>.<level>`` in ``data/settings.yaml``: what an
operator tunes); what a level *means*, where it stands in the order and the fixed constants of the
formulas live here, once. The shape follows OpenSanctions nomenklatura's logic-v2 (a table of
named features with weights, and a small function that adds them up) and Splink's comparison
levels (each level a named, explained unit, best first).

How a score is made (:func:`combine`):

* the **name** gives a similarity in [0, 1]: its tokens are paired best first, each pair at the
  first :data:`NAME_LEVELS` level that applies, weighted, with leftovers penalised
  (:func:`.compare.compare_names` explains the alignment);
* the **date of birth**, **sex** and **nationality** each add an adjustment (positive when they
  agree, negative when they differ, nothing when a side lacks the field);
* a **document** number agreeing with its issuing state lifts the total to a floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from pipelines.screening.normalise.dates import DOB_LEVELS, DOB_ORDER

__all__ = ["Level", "Comparison", "NAME_LEVELS", "COMPARISONS", "comparison", "level_values", "dob_adjustments",
           "combine", "typo_similarity", "skeleton_similarity", "phonetic_close", "TYPO_SLOPE", "SKELETON_SLOPE",
           "PHONETIC_FAR_PENALTY", "LOOSE_SAME_SKELETON", "LOOSE_SKELETON_FACTOR", "COARSE_SAME", "COARSE_FACTOR",
           "STRONG_PART", "SINGLE_PART_CAP", "MIN_SKELETON_LENGTH", "ABSENT", "AGREE", "DIFFER", "SEX_CODES",
           "sex_match", "field_adjustment"]


@dataclass(frozen=True)
class Level:
    """One level of a comparison: its name, what it means, and the settings key of its value
    (None: the value is computed, see the explanation)."""

    name: str
    explanation: str
    setting: str | None = None


@dataclass(frozen=True)
class Comparison:
    """One compared field: its levels best first and how its value enters the score
    (``similarity``: the name's score itself; ``adjustment``: added; ``floor``: the score is at
    least the value)."""

    field: str
    settings_key: str
    use: str
    levels: tuple[Level, ...]
    explanation: str

    def level(self, name: str) -> Level:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(f"{self.field} has no level {name!r}")


# -- name: token levels, the first that applies -------------------------------------------------

#: Spelling distance: ``1 - TYPO_SLOPE * edits / longer length``. 1.6 makes one edit in a short
#: token already cost a lot (5 letters: 0.68, under the strong-part bar) and tolerates one in ten.
TYPO_SLOPE = 1.6
#: Same consonant skeleton but far apart in letters (more than ``max(2, longest // 3)`` edits,
#: HASSAN/HOSSEINI) is weaker evidence: the phonetic level less this.
PHONETIC_FAR_PENALTY = 0.17
PHONETIC_NEAR_EDITS = 2
PHONETIC_NEAR_SHARE = 3
#: Names from a script without written vowels or with syllabic spelling (Arabic, Hebrew, kana,
#: Chinese, Korean): the same bare skeleton is the phonetic level times this ...
LOOSE_SAME_SKELETON = 0.97
#: ... else the skeletons' edit distance, ``(1 - SKELETON_SLOPE * edits / longest) * factor``,
#: with this factor for the consonant skeleton ...
SKELETON_SLOPE = 1.4
LOOSE_SKELETON_FACTOR = 0.92
#: ... and for the coarse key that folds R/L, P/B/F, T/D, K/G, S/Z/J (syllabic scripts), which
#: scores COARSE_SAME when equal.
COARSE_SAME = 0.88
COARSE_FACTOR = 0.86
#: Skeletons or coarse keys shorter than this are not compared by distance.
MIN_SKELETON_LENGTH = 3
#: A token pair at least this similar (not by initials) is an agreeing *part* of the name; the
#: Latvian -S stem rule also needs this much.
STRONG_PART = 0.7
#: A name of two or more real parts agreeing on fewer than two counts this share of its score:
#: one shared word is not an identification.
SINGLE_PART_CAP = 0.7


def typo_similarity(edits, longest):
    """The ``typo`` level: optimal string alignment edits between two tokens scaled by the longer
    (compiled as it is with numba by the name comparison kernel)."""
    return 1.0 - TYPO_SLOPE * edits / longest


def skeleton_similarity(edits, longest, factor):
    """A loose-script skeleton or coarse-key comparison by edit distance."""
    return (1.0 - SKELETON_SLOPE * edits / longest) * factor


def phonetic_close(edits, longest):
    """Same skeleton and close in letters: the full phonetic level (else less the penalty)."""
    return edits <= max(PHONETIC_NEAR_EDITS, longest // PHONETIC_NEAR_SHARE)


NAME_LEVELS = (
    Level("exact", "the same token", "exact"),
    Level("phonetic", "same consonant skeleton: vowel and transliteration spellings (Korean surname "
                      "romanisations too); far apart in letters it counts PHONETIC_FAR_PENALTY less; "
                      "loose scripts compare skeletons and coarse keys by distance", "phonetic"),
    Level("nickname", "a given name and one of its known forms (WILLIAM/BILL)", "nickname"),
    Level("nickname_indirect", "two forms of one given name, neither of them it (BILL/LIAM)", "nickname_indirect"),
    Level("typo", "spelling distance: 1 - TYPO_SLOPE * edits / longer length"),
    Level("initial", "a single letter against a token starting with it", "initial"),
    Level("initials", "initials run together against given names spelled out (JC ~ JEAN CLAUDE)", "initial"),
)

#: Tokens of the two names, their weights and the leftovers penalty (values under comparisons.name).
NAME_WEIGHTS = (
    Level("min_token_similarity", "below this two tokens are not paired at all", "min_token_similarity"),
    Level("conflict_weight", "leftover weight when both names keep unpaired tokens", "conflict_weight"),
    Level("extra_weight", "leftover weight when only one name has extra tokens", "extra_weight"),
    Level("common_token_weight", "weight of a very common token (MUHAMMAD, KIM)", "common_token_weight"),
    Level("particle_weight", "weight of a particle (AL, VAN, DE)", "particle_weight"),
    Level("surname_weight", "weight of a surname token", "surname_weight"),
    Level("lost_surname_extra", "a surname no part of which agrees counts as this much leftover", "lost_surname_extra"),
    Level("missing_patronymic_weight", "share of a patronymic's weight when only one side has it",
          "missing_patronymic_weight"),
    Level("single_part_cap", "two or more real parts, fewer than two agreeing: score times SINGLE_PART_CAP"),
    Level("common_name_factor", "every agreeing token a very common name: score times this", "common_name_factor"),
    Level("low_quality_alias_factor", "a low-quality alias: score times this", "low_quality_alias_factor"),
)

COMPARISONS = (
    Comparison("name", "comparisons.name", "similarity", NAME_LEVELS,
               "token-aligned name similarity, the best of the entry's spellings"),
    Comparison("date_of_birth", "comparisons.date_of_birth", "adjustment",
               tuple(Level(name, words, name) for name, words in DOB_LEVELS.items() if name != "missing")
               + (Level("missing", "no date of birth on one side: no adjustment"),),
               "the best level over the entry's dates of birth"),
    Comparison("sex", "comparisons.sex", "adjustment",
               (Level("agree", "both M or F, the same", "agree"), Level("differ", "both M or F, different", "differ")),
               "only when both sides give M or F"),
    Comparison("nationality", "comparisons.nationality", "adjustment",
               (Level("agree", "the traveller's nationality is one of the entry's", "agree"),
                Level("differ", "the entry lists others only", "differ")),
               "only when both sides have one"),
    Comparison("document", "comparisons.document", "floor",
               (Level("agree", "same number, same issuing state: near proof of identity", "agree_floor"),
                Level("agree_issuer_missing", "same number, one side lacks the issuer", "issuer_missing_floor")),
               "lifts the score to the floor; on a lost/stolen document list the document alone decides"),
)


def comparison(field: str) -> Comparison:
    for found in COMPARISONS:
        if found.field == field:
            return found
    raise KeyError(field)


def level_values(field: str, settings_values: Mapping[str, float]) -> dict[str, float]:
    """Each level's value from the field's settings (levels without a setting: 0)."""
    return {level.name: (float(settings_values[level.setting]) if level.setting else 0.0)
            for level in comparison(field).levels}


def dob_adjustments(settings_values: Mapping[str, float]) -> tuple[float, ...]:
    """The date-of-birth adjustment of each level, in :data:`DOB_ORDER` (``missing``: 0)."""
    values = level_values("date_of_birth", settings_values)
    return tuple(values[name] for name in DOB_ORDER)


# -- the other fields: each adjusts the score only when both sides have it -------------------------

#: how a field other than the name compares (the compiled path passes these codes too)
ABSENT, AGREE, DIFFER = 0, 1, 2
#: sex as a code: only M and F are compared (X, unknown: 0)
SEX_CODES = {"M": 1, "F": 2}


def sex_match(a: int, b: int) -> int:
    """Two :data:`SEX_CODES`: :data:`ABSENT` unless both sides give M or F."""
    if a == 0 or b == 0:
        return ABSENT
    return AGREE if a == b else DIFFER


def field_adjustment(dob_adjust, sex, nationality, sex_agree, sex_differ, nat_agree, nat_differ):
    """What the fields other than the name add to it: the date-of-birth level's adjustment, then
    sex and nationality (:data:`AGREE`, :data:`DIFFER` or :data:`ABSENT`), each only when
    compared. Plain arithmetic the compiled path compiles as it is: the same float, in the same
    order, on both paths."""
    adjust = dob_adjust
    if sex != ABSENT:
        adjust += sex_agree if sex == AGREE else sex_differ
    if nationality != ABSENT:
        adjust += nat_agree if nationality == AGREE else nat_differ
    return adjust


def combine(name_score: float, others: float, document_floor: float | None) -> float:
    """The score: the name's similarity plus the other fields' adjustments, within [0, 1], and at
    least the document floor when a document agrees."""
    score = min(1.0, max(0.0, name_score + others))
    return score if document_floor is None else max(score, document_floor)
