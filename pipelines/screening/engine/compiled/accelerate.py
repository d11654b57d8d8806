"""Compiled pre-scoring: which candidate entries could reach the caller's ``min_score`` at all.

The Python engine (:class:`pipelines.screening.engine.score.Screener`) is the reference: it scores a
traveller against an entry field by field and writes the explanation. At a million entries most
of its time went into entries that end far below any threshold (a block of ``JAMES JOHN``
entries whose surname conflicts, namesakes born in another year), each costing tens of
microseconds of Python. This module does the same arithmetic for a whole batch of travellers in
numba-compiled loops over flat arrays and hands the engine only the entries whose score can
reach ``min_score``; the engine then scores those exactly as before. So results are those of the
Python engine, provided the compiled score is never below the engine's: the tests compare the
two on every candidate of synthetic and planted lists. The scoring rules are not written twice:
the name comparison is the one kernel both call, and the field stage compiles the engine's own
per-pair rules (``dates.dob_level``, ``spec.sex_match``, ``spec.field_adjustment``).

Three stages:

* candidate generation: :meth:`CandidateLookup.find <pipelines.screening.engine.compiled.lookup.CandidateLookup.find>`,
  the one routine (the index's own, which :meth:`CandidateIndex.candidates` calls for a single
  traveller), for the whole batch: blocking keys, birth-year filter of big blocks, block limits,
  ranking by shared keys, the ``max_candidates`` cap;
* :func:`_fields_batch`: the field part of ``Screener._score`` (date of birth, sex, nationality,
  by the same functions;
  entries found by document, lost/stolen documents and travellers without a name always go to the
  Python engine);
* :class:`pipelines.screening.engine.compiled.fast_names.NameTables`: the name comparison (the
  implementation ``compare_names`` calls too) and the name caps.
"""

from __future__ import annotations

import numba
import numpy as np

from pipelines.screening.engine.compiled.fast_names import NameTables
from pipelines.screening.engine.compiled.lookup import birth_dates, compiled_dob_level, csr_offsets
from pipelines.screening.engine import spec
from pipelines.screening.engine.tables import ScoringTables
from pipelines.screening.normalise.dates import DOB_ORDER
from pipelines.screening.normalise.documents import LOST_STOLEN

__all__ = ["Accelerator"]

# statuses per (traveller, entry) pair after the field stage
_PRUNED, _NEEDS_NAME, _TO_ENGINE = 0, 1, 2
_NO_SUCH_NATIONALITY = 1 << 30  # a traveller's nationality no entry has: present, never agreeing


# ----------------------------------------------------------------------------------------------
# compiled kernels




#: the scoring specification's per-pair rules, compiled as they are (one source for both engines):
#: the date-of-birth level (a position in ``DOB_ORDER``), sex agreement, the fields' adjustment
_sex_match = numba.njit(cache=True, nogil=True, inline="always")(spec.sex_match)
_field_adjustment = numba.njit(cache=True, nogil=True, inline="always")(spec.field_adjustment)
_ABSENT, _AGREE, _DIFFER = spec.ABSENT, spec.AGREE, spec.DIFFER


@numba.njit(cache=True, nogil=True)
def _fields_batch(offsets, positions, by_document, t_year, t_month, t_day, t_sex, t_nat, t_named,
                  t_doc_offsets, t_docs, e_doc_offsets, e_docs,
                  dob_offsets, dob_year, dob_month, dob_day, e_sex, nat_offsets, nat_codes, lost_stolen,
                  dob_adjust, missing_level, sex_agree, sex_differ, nat_agree, nat_differ, floor):
    """Per (traveller, entry) pair: the adjustment from the fields other than the name, the date
    of birth level, and whether the pair is pruned (even an identical name cannot reach
    ``floor``), needs a name score, or goes straight to the Python engine."""
    n = positions.size
    others = np.zeros(n, dtype=np.float64)
    levels = np.full(n, missing_level, dtype=np.int8)
    status = np.zeros(n, dtype=np.int8)
    for t in range(offsets.size - 1):
        for i in range(offsets[t], offsets[t + 1]):
            p = positions[i]
            if by_document[i] or not t_named[t]:
                status[i] = _TO_ENGINE
                continue
            same_number = False
            for j in range(e_doc_offsets[p], e_doc_offsets[p + 1]):
                for k in range(t_doc_offsets[t], t_doc_offsets[t + 1]):
                    if e_docs[j] == t_docs[k]:
                        same_number = True
            if same_number:
                # a document number in common (found by name, or document keys are off): the
                # engine weighs the document
                status[i] = _TO_ENGINE
                continue
            if lost_stolen[p]:
                # matched on the document alone: without a document agreement it scores 0
                status[i] = _TO_ENGINE if floor <= 0.0 else _PRUNED
                continue
            level = missing_level
            if t_year[t] != 0:
                for j in range(dob_offsets[p], dob_offsets[p + 1]):
                    level = min(level, compiled_dob_level(t_year[t], t_month[t], t_day[t], dob_year[j], dob_month[j],
                                                  dob_day[j]))
            nationality = _ABSENT
            if t_nat[t] >= 0 and nat_offsets[p + 1] > nat_offsets[p]:
                nationality = _DIFFER
                for j in range(nat_offsets[p], nat_offsets[p + 1]):
                    if nat_codes[j] == t_nat[t]:
                        nationality = _AGREE
            adjust = _field_adjustment(dob_adjust[level], _sex_match(t_sex[t], e_sex[p]), nationality, sex_agree,
                                       sex_differ, nat_agree, nat_differ)
            others[i] = adjust
            levels[i] = level
            status[i] = _PRUNED if 1.0 + adjust < floor else _NEEDS_NAME
    return others, levels, status


# ----------------------------------------------------------------------------------------------


class Accelerator:
    """Flat arrays of one :class:`Screener`'s index and settings, and the batch pre-scoring.

    Built once with the screener (in the Beam DoFn's ``setup()``) from its public snapshot,
    :class:`~pipelines.screening.engine.tables.ScoringTables`; :meth:`survivors` returns, per
    traveller, the candidate positions worth the Python engine's exact scoring."""

    #: score slack on the compiled side: the engine rounds scores to 4 places before comparing
    SLACK = 1e-4
    #: travellers' name spellings kept in the name tables before they are forgotten (memory bound)
    MAX_TRAVELLER_FORMS = 200_000

    def __init__(self, tables: ScoringTables) -> None:
        """``tables``: the Screener's public snapshot of its index and settings, the only thing
        of the Python engine read here (:meth:`Screener.scoring_tables`)."""
        self._tables = tables
        n = len(tables)
        #: candidate generation: the index's own look-up (the routine the Python engine calls too)
        self.lookup = tables.lookup
        # entry fields
        self._e_sex = np.fromiter((spec.SEX_CODES.get(e.get("sex"), 0) for e in tables.entries), dtype=np.int8, count=n)
        self._nat_code: dict[str, int] = {}
        nat_lists = tables.nationalities
        self._nat_offsets = csr_offsets(nat_lists)
        code = self._nat_code.setdefault
        self._nat_codes = np.fromiter((code(x, len(self._nat_code)) for nats in nat_lists for x in nats),
                                      dtype=np.int32, count=int(self._nat_offsets[-1]))
        doc_lists = [[hash(number) for number, _ in docs] for docs in tables.docs]
        self._doc_offsets = csr_offsets(doc_lists)
        self._docs = np.fromiter((h for hashes in doc_lists for h in hashes), dtype=np.int64,
                                 count=int(self._doc_offsets[-1]))
        del doc_lists
        self._lost = np.fromiter(((e.get("category") or "") == LOST_STOLEN for e in tables.entries), dtype=np.bool_, count=n)
        self._dob_adjust = np.array(tables.dob_adjust, dtype=np.float64)
        self._missing_level = DOB_ORDER.index("missing")
        self._sex = tables.sex
        self._nat = tables.nationality
        # names
        self.names = NameTables(tables.name_params, tables.common, tables.token_people, tables.rare_limit)
        self._form_offsets = csr_offsets(tables.forms)
        add = self.names.add_form
        self._form_ids = np.fromiter((add(f) for forms in tables.forms for f in forms), dtype=np.int32,
                                     count=int(self._form_offsets[-1]))
        self.names.mark()  # the list's names; travellers' are forgotten now and then (survivors)
        self._unc_cap = tables.uncorroborated_common_name_cap
        self._name_cap = tables.uncorroborated_name_cap

    @staticmethod
    def _rows(f_lo: np.ndarray, per: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs expanded to one row per entry spelling: (pair of each row, spelling index)."""
        pair_of_form = np.repeat(np.arange(per.size), per)
        return pair_of_form, np.repeat(f_lo - np.cumsum(per) + per, per) + np.arange(pair_of_form.size)

    def _name_stage(self, prepared: list, need: np.ndarray, owners: np.ndarray, pair_pos: np.ndarray,
                    others: np.ndarray, levels: np.ndarray, t_common: np.ndarray, floor: float) -> np.ndarray:
        """For the pairs the fields left in: can the best of the entry's spellings, with the
        engine's name caps, reach ``floor``? One bool per pair."""
        keep = np.zeros(need.size, dtype=np.bool_)
        f_lo, f_hi = self._form_offsets[pair_pos], self._form_offsets[pair_pos + 1]
        per = f_hi - f_lo
        # an entry without a usable name: name score 0 (the engine decides; rare)
        keep[per == 0] = others[per == 0] >= floor - self.SLACK
        compare = per > 0
        if floor - self.SLACK > 0.0:
            # no date on the entry and the traveller's full name common: every spelling's score is
            # capped at uncorroborated_common_name_cap below (whatever the comparison finds), so
            # when that cap cannot reach the floor the names are not compared at all (a sixth of
            # the pairs at a million entries)
            compare &= ~((levels == self._missing_level) & t_common[owners]
                         & (self._unc_cap + others < floor - self.SLACK))
        alive = np.flatnonzero(compare)
        pair_of_form, form_index = self._rows(f_lo[alive], per[alive])
        # travellers' spellings join the name tables only when a pair needs them (a new spelling
        # costs tens of microseconds to intern)
        travellers, of_pair = np.unique(owners[alive], return_inverse=True)
        add = self.names.add_form
        form_ids = np.array([add(prepared[t][1], query=True) for t in travellers.tolist()], dtype=np.int64)
        query_form = form_ids[of_pair][pair_of_form]
        entry_form = self._form_ids[form_index]
        # namesakes share spellings: each distinct (traveller name, list spelling) once
        distinct, inverse = np.unique((query_form << 32) | entry_form, return_inverse=True)
        score, common_only, weak = self.names.compare_pairs(distinct >> 32, distinct & 0xFFFFFFFF)
        score, common_only, weak = score[inverse], common_only[inverse], weak[inverse]
        # the name caps of Screener._score (only ever lower a score)
        missing = (levels[alive] == self._missing_level)[pair_of_form]
        uncorroborated = missing & (common_only | t_common[owners[alive]][pair_of_form])
        name_only = ~uncorroborated & missing & (score > self._name_cap) & weak
        capped = np.where(uncorroborated, np.minimum(score, self._unc_cap),
                          np.where(name_only, np.minimum(score, self._name_cap), score))
        best = np.full(alive.size, -1.0)
        np.maximum.at(best, pair_of_form, capped)
        keep[alive] = np.clip(best + others[alive], 0.0, 1.0) >= floor - self.SLACK
        return keep

    def survivors(self, prepared: list, min_score: float) -> list[list[int]]:
        """``prepared``: per traveller ``(traveller, form, dob, window)`` as ``Screener.screen_many``
        computes them. Returns per traveller the candidate positions (in
        ``CandidateIndex.candidates`` order) that can reach ``min_score``."""
        if self.names.added_since_mark() > self.MAX_TRAVELLER_FORMS:
            # a long-running worker meets new names forever: the name tables keep the list's
            # names and drop the travellers' (re-interned when met again)
            self.names.forget_since_mark()
        n = len(prepared)
        years, months, days = birth_dates([dob for _, _, dob, _ in prepared])
        t_sex = np.zeros(n, dtype=np.int8)
        t_nat = np.full(n, -1, dtype=np.int32)
        t_named = np.zeros(n, dtype=np.bool_)
        t_common = np.zeros(n, dtype=np.bool_)
        t_doc_offsets = np.zeros(n + 1, dtype=np.int64)
        t_docs: list[int] = []
        queries = []
        for t, (traveller, form, dob, window) in enumerate(prepared):
            if form:
                t_named[t] = True
                t_common[t] = self._tables.common_full_name(form)
            t_docs.extend(hash(number) for number, _ in traveller.documents if number)
            t_doc_offsets[t + 1] = len(t_docs)
            t_sex[t] = spec.SEX_CODES.get(traveller.sex, 0)
            if traveller.nationality:
                t_nat[t] = self._nat_code.get(traveller.nationality, _NO_SUCH_NATIONALITY)
            # the cap's cheap score for an entry without a date of birth: what the name can reach
            # uncorroborated (as Screener gives the Python engine's look-up)
            queries.append(((form,) if form else (), traveller.documents, dob, window,
                            self._unc_cap - 1.0 if t_common[t] else 0.0))
        positions, by_document, cand_offsets = self.lookup.find(queries, self._dob_adjust)
        lookup = self.lookup
        floor = min_score
        others, levels, status = _fields_batch(
            cand_offsets, positions, by_document, years, months, days, t_sex, t_nat, t_named,
            t_doc_offsets, np.array(t_docs, dtype=np.int64), self._doc_offsets, self._docs,
            lookup.dob_offsets, lookup.dob_year, lookup.dob_month, lookup.dob_day, self._e_sex,
            self._nat_offsets, self._nat_codes, self._lost, self._dob_adjust, self._missing_level,
            self._sex[0], self._sex[1], self._nat[0], self._nat[1], floor - self.SLACK)
        keep = status == _TO_ENGINE
        need = np.flatnonzero(status == _NEEDS_NAME)
        if need.size:
            owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(cand_offsets))
            keep[need] = self._name_stage(prepared, need, owner[need], positions[need], others[need],
                                          levels[need], t_common, floor)
        out: list[list[int]] = []
        kept = np.flatnonzero(keep)
        kept_positions = positions[kept].tolist()
        bounds = np.searchsorted(kept, cand_offsets).tolist()
        for t in range(n):
            out.append(kept_positions[bounds[t]:bounds[t + 1]])
        return out
