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

* :func:`_lookup_batch`: :meth:`CandidateIndex.candidates` (blocking keys, birth-year filter of
  big blocks, block limits, ranking by shared keys, the ``max_candidates`` cap); the travellers'
  key codes are made for the batch's new names in one compiled call (:mod:`keycodes`);
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
from pipelines.screening.engine.compiled.keycodes import KeyBatch, is_initial
from pipelines.screening.engine import spec
from pipelines.screening.engine.tables import LOOKUP_STATS, ScoringTables
from pipelines.screening.normalise.dates import DOB_ORDER, dob_level
from pipelines.screening.normalise.documents import LOST_STOLEN

__all__ = ["Accelerator"]

_KIND_NAME, _KIND_INITIAL, _KIND_DOCUMENT = 0, 1, 2
# statuses per (traveller, entry) pair after the field stage
_PRUNED, _NEEDS_NAME, _TO_ENGINE = 0, 1, 2
# key look-up: a directory over the top bits of the (uniform) 64-bit key hashes points into the
# sorted distinct keys, so a look-up touches a few neighbouring keys instead of ~23 cache lines
# of a binary search over millions
_DIRECTORY_BITS = 20
_DIRECTORY_SHIFT = 64 - _DIRECTORY_BITS
_DIRECTORY_HALF = 1 << (_DIRECTORY_BITS - 1)
_NO_SUCH_NATIONALITY = 1 << 30  # a traveller's nationality no entry has: present, never agreeing
_NO_YEAR_LO = -32768  # index._NO_YEAR_LO: an entry without a date of birth


# ----------------------------------------------------------------------------------------------
# compiled kernels


@numba.njit(cache=True, nogil=True)
def _prior(p, known, ty, tm, td, dob_offsets, dob_year, dob_month, dob_day, dob_adjust, missing_level,
           missing_value):
    """The cheap score the cap ranks by (``Screener._prior``, ``index.prior_code``): the
    date-of-birth adjustment of the entry's best listed date, ``missing_value`` for an entry
    without one; the same for every entry when the traveller's date is unknown."""
    if not known:
        return np.int64(2048)
    level = missing_level
    for j in range(dob_offsets[p], dob_offsets[p + 1]):
        candidate = _dob_level(ty, tm, td, dob_year[j], dob_month[j], dob_day[j])
        if candidate < level:
            level = candidate
    adjust = missing_value if level == missing_level else dob_adjust[level]
    return np.int64(np.floor(adjust * 1000.0 + 0.5)) + 2048


@numba.njit(cache=True, nogil=True)
def _rank(found, n_found, counter, touched, max_candidates, out, out_at, known, ty, tm, td, dob_offsets, dob_year,
          dob_month, dob_day, dob_adjust, missing_level, missing_value, stats):
    """Count how many blocks each entry is in; write up to ``max_candidates`` entries, the most
    likely first: most shared keys, then the cheap score (:func:`_prior`), then list position
    (the order ``CandidateIndex._lookup`` uses). What the cap drops is counted in ``stats``."""
    n_touched = 0
    for i in range(n_found):
        p = found[i]
        if counter[p] == 0:
            touched[n_touched] = p
            n_touched += 1
        counter[p] += 1
    keys = np.empty(n_touched, dtype=np.int64)
    big = np.int64(1) << 32
    for i in range(n_touched):
        p = touched[i]
        code = _prior(p, known, ty, tm, td, dob_offsets, dob_year, dob_month, dob_day, dob_adjust,
                      missing_level, missing_value)
        keys[i] = ((np.int64(1 << 18) - counter[p]) << 44) + ((np.int64(4095) - code) << 32) + p
        counter[p] = 0
    keys.sort()
    n = min(n_touched, max_candidates)
    if n_touched > max_candidates:
        stats[2] += 1
        stats[3] += n_touched - max_candidates
    for i in range(n):
        out[out_at + i] = np.int32(keys[i] & (big - 1))
    return n


@numba.njit(cache=True, nogil=True)
def _first_above(values, lo, hi, value):
    """The first position in sorted ``values[lo:hi]`` holding more than ``value`` (``hi`` if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] > value:
            hi = mid
        else:
            lo = mid + 1
    return lo


@numba.njit(cache=True, nogil=True)
def _read_run(ids, post_lo, post_hi, undated, b_hi, span, low, high, limit, scratch, n_found, block_at):
    """Append a block's dated postings (from ``undated`` on) whose listed years reach
    [``low``, ``high``]; stop once the block is over ``limit``. Returns the new ``n_found``."""
    for j in range(_first_above(post_lo, undated, b_hi, low - span - 1), b_hi):
        if post_lo[j] > high:
            break
        if post_hi[j] >= low:
            if n_found < scratch.size:
                scratch[n_found] = ids[j]
            n_found += 1
            if n_found - block_at > limit:
                break  # over the limit already: whatever follows does not matter
    return n_found


@numba.njit(cache=True, nogil=True)
def _lookup_one(directory, index_keys, starts, ids, post_lo, post_hi, block_span, q_hashes, q_kinds, lo, hi,
                want_documents, known, birth_year, month, day, window, max_block, max_initial, max_candidates, counter,
                touched, scratch, out, out_at, dob_offsets, dob_year, dob_month, dob_day, dob_adjust,
                missing_level, missing_value, stats):
    """One traveller's name keys (or document keys), as ``CandidateIndex._lookup``.

    A block's postings are in birth-year order (entries without a date first), so the birth-year
    filter of a big block reads its undated entries and then only the run whose earliest year
    can be in the window: from ``birth_year - window - block_span[slot]`` (the block's widest
    span of listed years) to ``birth_year + window``. A block still over its limit is narrowed
    (``CandidateIndex._narrow``: dated entries within a year, then the same year) when the
    traveller's birth year is ``known``, and skipped only when that is still too many."""
    n_found = 0
    n_blocks = 0
    first_block_len = 0
    filtered = window >= 0 and known
    for k in range(lo, hi):
        kind = q_kinds[k]
        if (kind == _KIND_DOCUMENT) != want_documents:
            continue
        h = q_hashes[k]
        bucket = (h >> _DIRECTORY_SHIFT) + _DIRECTORY_HALF
        slot = directory[bucket]
        end = directory[bucket + 1]
        while slot < end and index_keys[slot] < h:
            slot += 1
        if slot >= end or index_keys[slot] != h:
            continue
        b_lo, b_hi = starts[slot], starts[slot + 1]
        limit = max_initial if kind == _KIND_INITIAL else max_block
        size = b_hi - b_lo
        block_at = n_found
        if filtered and size > 8:
            undated = _first_above(post_lo, b_lo, b_hi, _NO_YEAR_LO)
            for j in range(b_lo, undated):
                if n_found < scratch.size:
                    scratch[n_found] = ids[j]
                n_found += 1
            if n_found - block_at <= limit:
                n_found = _read_run(ids, post_lo, post_hi, undated, b_hi, block_span[slot], birth_year - window,
                                    birth_year + window, limit, scratch, n_found, block_at)
            size = n_found - block_at
        elif size <= limit:
            for j in range(b_lo, b_hi):
                if n_found < scratch.size:
                    scratch[n_found] = ids[j]
                n_found += 1
        if size > limit:
            n_found = block_at
            if not known:
                stats[1] += 1
                continue
            undated = _first_above(post_lo, b_lo, b_hi, _NO_YEAR_LO)
            narrow = 1 if (window < 0 or window > 1) else window
            n_found = _read_run(ids, post_lo, post_hi, undated, b_hi, block_span[slot], birth_year - narrow,
                                birth_year + narrow, limit, scratch, n_found, block_at)
            if n_found - block_at > limit and narrow > 0:
                n_found = _read_run(ids, post_lo, post_hi, undated, b_hi, block_span[slot], birth_year, birth_year,
                                    limit, scratch, block_at, block_at)
            if n_found - block_at > limit:
                n_found = block_at
                stats[1] += 1
                continue
            stats[0] += 1
            size = n_found - block_at
        if size == 0:
            n_found = block_at
            continue
        if n_found > scratch.size:
            return -1  # scratch too small: the caller grows it and retries
        if n_blocks == 0:
            first_block_len = size
        n_blocks += 1
    if n_blocks == 0:
        return 0
    if n_blocks == 1 and first_block_len <= max_candidates:
        # list order (a block's postings are in birth-year order); skipped blocks left nothing
        # before it in scratch
        block = scratch[:first_block_len].astype(np.int64)
        block.sort()  # (int64: the sort _rank compiles anyway)
        for i in range(first_block_len):
            out[out_at + i] = block[i]
        return first_block_len
    return _rank(scratch, n_found, counter, touched, max_candidates, out, out_at, known, birth_year, month, day,
                 dob_offsets, dob_year, dob_month, dob_day, dob_adjust, missing_level, missing_value, stats)


@numba.njit(cache=True, nogil=True)
def _lookup_batch(directory, index_keys, starts, ids, post_lo, post_hi, block_span, year_lo, year_hi, q_hashes, q_kinds,
                  q_offsets, known, birth_years, months, days, windows, missing_values, max_block, max_initial,
                  max_candidates, counter, touched, scratch, dob_offsets, dob_year, dob_month, dob_day,
                  dob_adjust, missing_level, stats):
    """Candidate entry positions of every traveller in a batch (CSR: ``positions``, ``offsets``),
    and whether each was found by a document key. Returns (positions, by_document, offsets) or an
    empty offsets array when ``scratch`` was too small (``stats`` is then counted again on the
    retry: the caller passes a fresh one)."""
    n_travellers = q_offsets.size - 1
    positions = np.empty(n_travellers * 2 * max_candidates, dtype=np.int32)
    by_document = np.zeros(n_travellers * 2 * max_candidates, dtype=np.bool_)
    offsets = np.zeros(n_travellers + 1, dtype=np.int64)
    docs = np.empty(max_candidates, dtype=np.int32)
    names = np.empty(max_candidates, dtype=np.int32)
    at = 0
    for t in range(n_travellers):
        lo, hi = q_offsets[t], q_offsets[t + 1]
        n_docs = _lookup_one(directory, index_keys, starts, ids, post_lo, post_hi, block_span, q_hashes, q_kinds, lo, hi,
                             True, False, 0, 0, 0, -1, max_block, max_initial, max_candidates, counter, touched, scratch,
                             docs, 0, dob_offsets, dob_year, dob_month, dob_day, dob_adjust, missing_level,
                             0.0, stats)
        if n_docs < 0:
            return positions, by_document, np.zeros(0, dtype=np.int64)
        year, window = birth_years[t], windows[t]
        n_names = _lookup_one(directory, index_keys, starts, ids, post_lo, post_hi, block_span, q_hashes, q_kinds, lo,
                              hi, False, known[t], year, months[t], days[t], window, max_block, max_initial,
                              max_candidates, counter, touched, scratch, names, 0, dob_offsets, dob_year, dob_month,
                              dob_day, dob_adjust, missing_level, missing_values[t], stats)
        if n_names < 0:
            return positions, by_document, np.zeros(0, dtype=np.int64)
        for i in range(n_docs):
            positions[at] = docs[i]
            by_document[at] = True
            at += 1
        for i in range(n_names):
            p = names[i]
            if window >= 0 and known[t] and not (year_lo[p] <= year + window and year_hi[p] >= year - window):
                continue
            seen = False
            for j in range(n_docs):
                if docs[j] == p:
                    seen = True
                    break
            if not seen:
                positions[at] = p
                at += 1
        offsets[t + 1] = at
    return positions[:at], by_document[:at], offsets


#: the scoring specification's per-pair rules, compiled as they are (one source for both engines):
#: the date-of-birth level (a position in ``DOB_ORDER``), sex agreement, the fields' adjustment
_dob_level = numba.njit(cache=True, nogil=True)(dob_level)
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
                    level = min(level, _dob_level(t_year[t], t_month[t], t_day[t], dob_year[j], dob_month[j],
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


def _offsets(lists) -> np.ndarray:
    """CSR offsets of a list of per-entry sequences: entry i's values are [offsets[i], offsets[i+1])."""
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)), out=offsets[1:])
    return offsets


class Accelerator:
    """Flat arrays of one :class:`Screener`'s index and settings, and the batch pre-scoring.

    Built once with the screener (in the Beam DoFn's ``setup()``) from its public snapshot,
    :class:`~pipelines.screening.engine.tables.ScoringTables`; :meth:`survivors` returns, per
    traveller, the candidate positions worth the Python engine's exact scoring."""

    #: score slack on the compiled side: the engine rounds scores to 4 places before comparing
    SLACK = 1e-4
    #: travellers' name spellings kept in the name tables before they are forgotten (memory bound)
    MAX_TRAVELLER_FORMS = 200_000
    #: travellers' names whose key codes are kept (cleared when full: memory bound)
    MAX_CACHED_NAMES = 100_000

    def __init__(self, tables: ScoringTables) -> None:
        """``tables``: the Screener's public snapshot of its index and settings, the only thing
        of the Python engine read here (:meth:`Screener.scoring_tables`)."""
        self._tables = tables
        n = len(tables)
        postings = tables.postings
        self._post_lo = tables.year_lo[postings] if postings.size else np.zeros(0, np.int16)
        self._post_hi = tables.year_hi[postings] if postings.size else np.zeros(0, np.int16)
        # per block, the widest span of listed birth years among its dated entries
        if postings.size:
            span = self._post_hi.astype(np.int32) - self._post_lo
            span[self._post_lo == _NO_YEAR_LO] = 0
            self._block_span = np.maximum.reduceat(span, tables.block_starts[:-1]).astype(np.int32)
            del span
        else:
            self._block_span = np.zeros(0, np.int32)
        bounds = (np.arange(-_DIRECTORY_HALF, _DIRECTORY_HALF + 1, dtype=np.int64) << _DIRECTORY_SHIFT)
        bounds[-1] = np.iinfo(np.int64).max  # the last bucket runs to the largest hash
        self._directory = np.searchsorted(tables.key_codes, bounds).astype(np.int64)
        self._directory[-1] = tables.key_codes.size
        self._counter = np.zeros(max(n, 1), dtype=np.int32)
        #: candidate generation's counters (``tables.LOOKUP_STATS``), summed over batches
        self.stats = np.zeros(len(LOOKUP_STATS), dtype=np.int64)
        self._touched = np.zeros(max(n, 1), dtype=np.int32)
        self._scratch = np.zeros(1 << 16, dtype=np.int32)
        # entry fields
        self._dob_offsets = _offsets(tables.dobs)
        flat = [d for dobs in tables.dobs for d in dobs]
        self._dob_year = np.fromiter((d[0] for d in flat), dtype=np.int32, count=len(flat))
        self._dob_month = np.fromiter((d[1] or 0 for d in flat), dtype=np.int32, count=len(flat))
        self._dob_day = np.fromiter((d[2] or 0 for d in flat), dtype=np.int32, count=len(flat))
        self._e_sex = np.fromiter((spec.SEX_CODES.get(e.get("sex"), 0) for e in tables.entries), dtype=np.int8, count=n)
        self._nat_code: dict[str, int] = {}
        nat_lists = tables.nationalities
        self._nat_offsets = _offsets(nat_lists)
        code = self._nat_code.setdefault
        self._nat_codes = np.fromiter((code(x, len(self._nat_code)) for nats in nat_lists for x in nats),
                                      dtype=np.int32, count=int(self._nat_offsets[-1]))
        doc_lists = [[hash(number) for number, _ in docs] for docs in tables.docs]
        self._doc_offsets = _offsets(doc_lists)
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
        self._form_offsets = _offsets(tables.forms)
        add = self.names.add_form
        self._form_ids = np.fromiter((add(f) for forms in tables.forms for f in forms), dtype=np.int32,
                                     count=int(self._form_offsets[-1]))
        self.names.mark()  # the list's names; travellers' are forgotten now and then (survivors)
        self._key_cache: dict = {}
        self._unc_cap = tables.uncorroborated_common_name_cap
        self._name_cap = tables.uncorroborated_name_cap

    def _name_codes(self, forms: list) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each name's blocking key codes and kinds (:mod:`keycodes`): the names not met lately
        made in one compiled call, the others from the cache (travellers' names repeat)."""
        cache = self._key_cache
        new = list(dict.fromkeys(form for form in forms if form not in cache))
        if new and len(cache) + len(new) > self.MAX_CACHED_NAMES:
            cache.clear()  # bounded memory; this batch's names are all made again
            new = list(dict.fromkeys(forms))
        if new:
            batch = KeyBatch(self._tables.key_rules, query=True)
            for form in new:
                batch.add((form,))
            codes, counts = batch.codes()
            kinds = is_initial(codes).astype(np.uint8)  # _KIND_INITIAL or _KIND_NAME
            ends = np.cumsum(counts).tolist()
            for form, start, end in zip(new, [0] + ends[:-1], ends):
                cache[form] = (codes[start:end], kinds[start:end])
        return [cache[form] for form in forms]

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
        alive = np.flatnonzero(per > 0)
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
        hashes, kinds, offsets = [], [], np.zeros(n + 1, dtype=np.int64)
        years = np.zeros(n, dtype=np.int32)
        months = np.zeros(n, dtype=np.int32)
        days = np.zeros(n, dtype=np.int32)
        windows = np.full(n, -1, dtype=np.int32)
        known = np.zeros(n, dtype=np.bool_)
        t_sex = np.zeros(n, dtype=np.int8)
        t_nat = np.full(n, -1, dtype=np.int32)
        t_named = np.zeros(n, dtype=np.bool_)
        t_common = np.zeros(n, dtype=np.bool_)
        t_doc_offsets = np.zeros(n + 1, dtype=np.int64)
        t_docs: list[int] = []
        name_codes = iter(self._name_codes([form for _, form, _, _ in prepared if form]))
        for t, (traveller, form, dob, window) in enumerate(prepared):
            count = 0
            if form:
                h, k = next(name_codes)
                hashes.append(h)
                kinds.append(k)
                count += h.size
                t_named[t] = True
                t_common[t] = self._tables.common_full_name(form)
            t_docs.extend(hash(number) for number, _ in traveller.documents if number)
            t_doc_offsets[t + 1] = len(t_docs)
            if traveller.documents:
                doc_codes = self._tables.document_codes(traveller.documents)  # empty when document keys are off
                if doc_codes:
                    hashes.append(np.array(doc_codes, dtype=np.int64))
                    kinds.append(np.full(len(doc_codes), _KIND_DOCUMENT, dtype=np.uint8))
                    count += len(doc_codes)
            offsets[t + 1] = offsets[t] + count
            if dob is not None:
                years[t], months[t], days[t] = dob[0], dob[1] or 0, dob[2] or 0
                known[t] = True
                if window is not None:
                    windows[t] = window
            t_sex[t] = spec.SEX_CODES.get(traveller.sex, 0)
            if traveller.nationality:
                t_nat[t] = self._nat_code.get(traveller.nationality, _NO_SUCH_NATIONALITY)
        q_hashes = np.concatenate(hashes) if hashes else np.zeros(0, np.int64)
        q_kinds = np.concatenate(kinds) if kinds else np.zeros(0, np.uint8)
        tables = self._tables
        if not tables.key_codes.size:
            return [[] for _ in range(n)]
        # the cap's cheap score for an entry without a date of birth: what the name can reach
        # uncorroborated (Screener._prior)
        missing_values = np.where(t_common, self._unc_cap - 1.0, 0.0)
        while True:
            stats = np.zeros(len(LOOKUP_STATS), dtype=np.int64)
            positions, by_document, cand_offsets = _lookup_batch(
                self._directory, tables.key_codes, tables.block_starts, tables.postings, self._post_lo, self._post_hi,
                self._block_span, tables.year_lo, tables.year_hi, q_hashes, q_kinds, offsets, known, years, months,
                days, windows, missing_values, tables.max_block, tables.max_initial_block, tables.max_candidates,
                self._counter, self._touched, self._scratch, self._dob_offsets, self._dob_year, self._dob_month,
                self._dob_day, self._dob_adjust, self._missing_level, stats)
            if cand_offsets.size:
                break
            self._scratch = np.zeros(self._scratch.size * 4, dtype=np.int32)
        self.stats += stats
        floor = min_score
        others, levels, status = _fields_batch(
            cand_offsets, positions, by_document, years, months, days, t_sex, t_nat, t_named,
            t_doc_offsets, np.array(t_docs, dtype=np.int64), self._doc_offsets, self._docs,
            self._dob_offsets, self._dob_year, self._dob_month, self._dob_day, self._e_sex,
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
