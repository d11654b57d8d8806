"""Candidate generation: which listed entries a traveller is scored against. The one routine.

Both engines call it: the Python reference (:meth:`CandidateIndex.candidates
<pipelines.screening.engine.index.CandidateIndex.candidates>`, one traveller) and the compiled
pre-scoring (:class:`pipelines.screening.engine.compiled.accelerate.Accelerator`, a batch). It
reads the index's public blocking arrays (:meth:`CandidateIndex.blocks`), never the engine's
private fields, and the traveller's key codes come from the one statement of the key rules
(:class:`~pipelines.screening.engine.compiled.keycodes.KeyBatch`).

Per traveller (:func:`_lookup_batch`, compiled; the rules the index's docstring states):

* the document keys' blocks, then the name keys' blocks; a block over its size limit
  (``max_block_size``; ``max_initial_block_size`` for a key with initial) is narrowed by birth
  year when the traveller's is known (dated entries within a year, then of the same year) and
  skipped only when it is still too big, or when there is no birth year to split it by;
* with a year window (the distance beyond which the date penalty alone keeps a candidate under
  the caller's cut-off), name hits whose listed years all lie further away are dropped (entries
  without a date stay); a big block's postings are in birth-year order, so only the run of years
  that can reach the window is read;
* the cap (``max_candidates``) keeps the most likely: most keys shared, then the cheap score
  (the date-of-birth adjustment of the entry's best listed date; for an entry without one the
  caller's ``missing_value``), then list position, a total order; document hits are never cut.

What it gives up is counted (:data:`~pipelines.screening.engine.tables.LOOKUP_STATS`).
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, Sequence

import numba
import numpy as np

from pipelines.screening.engine.compiled.keycodes import KeyBatch, documents_codes, is_initial
from pipelines.screening.engine.settings import BlockingSettings
from pipelines.screening.engine.tables import LOOKUP_STATS, read_only
from pipelines.screening.normalise.dates import DOB_ORDER, dob_level

__all__ = ["CandidateLookup", "NO_YEAR_LO", "NO_YEAR_HI", "birth_dates", "compiled_dob_level", "csr_offsets"]

#: the year span of an entry without a date of birth (int16 bounds: it meets every window)
NO_YEAR_LO, NO_YEAR_HI = -32768, 32767
_NO_YEAR_LO = NO_YEAR_LO
_KIND_NAME, _KIND_INITIAL, _KIND_DOCUMENT = 0, 1, 2
# key look-up: a directory over the top bits of the (uniform) 64-bit key hashes points into the
# sorted distinct keys, so a look-up touches a few neighbouring keys instead of ~23 cache lines
# of a binary search over millions
_DIRECTORY_BITS = 20
_DIRECTORY_SHIFT = 64 - _DIRECTORY_BITS
_DIRECTORY_HALF = 1 << (_DIRECTORY_BITS - 1)
#: the date-of-birth level of a pair (a position in ``DOB_ORDER``), compiled as it is
compiled_dob_level = numba.njit(cache=True, nogil=True)(dob_level)


# ----------------------------------------------------------------------------------------------
# compiled kernels


@numba.njit(cache=True, nogil=True)
def _best_level(p, ty, tm, td, single_dob, dob_offsets, dob_year, dob_month, dob_day, missing_level):
    """The date-of-birth level (``DOB_ORDER`` position, best first) of the entry's best listed date
    against the traveller's, ``missing_level`` for an entry without one. ``single_dob``: per entry
    its only listed date packed (:func:`pack_single_dobs`; one read, where the date columns are
    three or four cache misses for an entry of a big block), ``_NO_DOB`` for none,
    ``_SEVERAL_DOBS`` for more than one."""
    level = missing_level
    packed = single_dob[p]
    if packed >= 0:
        level = compiled_dob_level(ty, tm, td, packed >> 16, (packed >> 8) & 255, packed & 255)
    elif packed == _SEVERAL_DOBS:
        for j in range(dob_offsets[p], dob_offsets[p + 1]):
            candidate = compiled_dob_level(ty, tm, td, dob_year[j], dob_month[j], dob_day[j])
            if candidate < level:
                level = candidate
    return level


@numba.njit(cache=True, nogil=True)
def _prior_of_level(known, level, dob_adjust, missing_level, missing_value):
    """The cheap score the cap ranks by: the date-of-birth adjustment of the entry's best level
    (:func:`_best_level`), ``missing_value`` for an entry without a date; the same for every entry
    when the traveller's date is unknown."""
    if not known:
        return np.int64(2048)
    adjust = missing_value if level == missing_level else dob_adjust[level]
    return np.int64(np.floor(adjust * 1000.0 + 0.5)) + 2048


@numba.njit(cache=True, nogil=True)
def _rank(found, year_may, n_found, table, max_candidates, out, out_at, known, ty, tm, td, single_dob, dob_offsets,
          dob_year, dob_month, dob_day, dob_adjust, missing_level, missing_value, stats):
    """Count how many blocks each entry is in; write up to ``max_candidates`` entries, the most
    likely first: an entry listed with the traveller's very date of birth before any other (among
    hundreds of namesakes sharing more of the name's keys, the one born that day is the likeliest
    match: a planted MARIA HERNANDEZ against a traveller MARIA GUADALUPE HERNANDEZ was cut at 1M),
    then most shared keys, then the cheap score (:func:`_prior_of_level`), then list position (a
    total order: which entries the cap keeps never depends on sort internals). What the cap drops
    is counted in ``stats``.

    ``year_may`` (per found posting): 0 when the entry's listed birth years are known not to
    include the traveller's (an entry without a date, a span of years that misses it), 1 when
    they may. Entries are counted in a small open-addressing table (``table``: scratch, at least
    twice ``n_found``), which stays in the core's cache, where a counter per listed entry was a
    cache miss per posting at a million entries.

    Over the cap, only entries sharing at least as many keys as the ``max_candidates``-th most
    sharing one, or born on the traveller's date, can be kept: the others' dates are read only to
    find that date (one packed read an entry), and only for entries whose years may hold it; only
    the keepable are scored and sorted."""
    size = 16
    bits = 4
    while size < 2 * n_found:
        size <<= 1
        bits += 1
    mask = size - 1
    for h in range(size):
        table[h] = -1
    touched = np.empty(n_found, dtype=np.int32)
    shared = np.empty(n_found, dtype=np.int64)
    may = np.zeros(n_found, dtype=np.bool_)
    n_touched = 0
    most = 0
    for i in range(n_found):
        p = found[i]
        h = ((np.int64(p) * np.int64(2654435761)) & np.int64(0xFFFFFFFF)) >> (32 - bits)
        while True:
            slot = table[h]
            if slot < 0:
                table[h] = n_touched
                touched[n_touched] = p
                shared[n_touched] = 1
                may[n_touched] = year_may[i] != 0
                n_touched += 1
                break
            if touched[slot] == p:
                shared[slot] += 1
                if year_may[i] != 0:
                    may[slot] = True
                break
            h = (h + 1) & mask
    for i in range(n_touched):
        if shared[i] > most:
            most = shared[i]
    least = 0  # fewest shared keys an entry that can be kept has
    n_kept = n_touched
    if n_touched > max_candidates:
        histogram = np.zeros(most + 1, dtype=np.int64)
        for i in range(n_touched):
            histogram[shared[i]] += 1
        n_kept = 0
        least = most
        while least > 0:
            n_kept += histogram[least]
            if n_kept >= max_candidates:
                break
            least -= 1
    # the traveller's very date is possible only with a full date (dob_level's "exact")
    full_date = known and tm != 0 and td != 0
    keys = np.empty(n_touched if known else n_kept, dtype=np.int64)
    big = np.int64(1) << 32
    not_that_day = np.int64(1) << 62  # above every (shared keys, cheap score, position) part
    k = 0
    for i in range(n_touched):
        if shared[i] < least and not (full_date and may[i]):
            continue  # cannot be kept: under the keys cut-off and not born on the traveller's date
        p = touched[i]
        level = missing_level
        if known:
            level = _best_level(p, ty, tm, td, single_dob, dob_offsets, dob_year, dob_month, dob_day, missing_level)
        born_that_day = level == _EXACT_LEVEL
        if shared[i] < least and not born_that_day:
            continue
        code = _prior_of_level(known, level, dob_adjust, missing_level, missing_value)
        keys[k] = ((np.int64(0) if born_that_day else not_that_day) + ((np.int64(1 << 18) - shared[i]) << 44)
                   + ((np.int64(4095) - code) << 32) + p)
        k += 1
    keys = keys[:k]
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
def _read_run(ids, post_lo, post_hi, undated, b_hi, span, low, high, limit, scratch, scratch_may, year, n_found,
              block_at):
    """Append a block's dated postings (from ``undated`` on) whose listed years reach
    [``low``, ``high``], each with whether its years include ``year`` (``scratch_may``); stop once
    the block is over ``limit``. Returns the new ``n_found``."""
    for j in range(_first_above(post_lo, undated, b_hi, low - span - 1), b_hi):
        if post_lo[j] > high:
            break
        if post_hi[j] >= low:
            if n_found < scratch.size:
                scratch[n_found] = ids[j]
                scratch_may[n_found] = 1 if (post_lo[j] <= year and post_hi[j] >= year) else 0
            n_found += 1
            if n_found - block_at > limit:
                break  # over the limit already: whatever follows does not matter
    return n_found


@numba.njit(cache=True, nogil=True)
def _probe(directory, index_keys, starts, ids, post_lo, q_hashes, lo, hi, slots, ends, sink):
    """Find one traveller's keys ``q_hashes[lo:hi]`` in the index: ``slots[k]`` the key's block,
    -1 when the index has no such key. In phases, each over all the keys: the directory, then the
    keys, then the block starts, then the blocks' first postings. A key's reads depend on one
    another (directory, keys, starts, postings), so key after key each waited for its cache
    misses in turn (three or four a key, ~66 keys a traveller at a million entries); within a
    phase the reads are independent, and the core overlaps their misses. The last two phases
    only bring lines into the cache for the look-up that follows (``sink`` keeps the reads)."""
    for k in range(lo, hi):
        bucket = (q_hashes[k] >> _DIRECTORY_SHIFT) + _DIRECTORY_HALF
        slots[k] = directory[bucket]
        ends[k] = directory[bucket + 1]
    for k in range(lo, hi):
        h = q_hashes[k]
        slot, end = slots[k], ends[k]
        while slot < end and index_keys[slot] < h:
            slot += 1
        slots[k] = slot if slot < end and index_keys[slot] == h else -1
    touch = np.int64(0)
    for k in range(lo, hi):
        if slots[k] >= 0:
            ends[k] = starts[slots[k]]
    for k in range(lo, hi):
        if slots[k] >= 0:
            touch += ids[ends[k]] + post_lo[ends[k]]
    sink[0] += touch


@numba.njit(cache=True, nogil=True)
def _lookup_one(slots, starts, ids, post_lo, post_hi, block_span, q_kinds, lo, hi,
                want_documents, known, birth_year, month, day, window, max_block, max_initial, max_candidates, table,
                scratch, scratch_may, out, out_at, single_dob, dob_offsets, dob_year, dob_month, dob_day, dob_adjust,
                missing_level, missing_value, stats):
    """One traveller's name keys (or document keys): their blocks, limited, narrowed, ranked, capped.

    A block's postings are in birth-year order (entries without a date first), so the birth-year
    filter of a big block reads its undated entries and then only the run whose earliest year
    can be in the window: from ``birth_year - window - block_span[slot]`` (the block's widest
    span of listed years) to ``birth_year + window``. A block still over its limit is narrowed
    (dated entries within a year, then the same year) when the traveller's birth year is
    ``known``, and skipped only when that is still too many."""
    n_found = 0
    n_blocks = 0
    first_block_len = 0
    filtered = window >= 0 and known
    for k in range(lo, hi):
        kind = q_kinds[k]
        if (kind == _KIND_DOCUMENT) != want_documents:
            continue
        slot = slots[k]
        if slot < 0:
            continue
        b_lo, b_hi = starts[slot], starts[slot + 1]
        limit = max_initial if kind == _KIND_INITIAL else max_block
        size = b_hi - b_lo
        block_at = n_found
        if filtered and size > 8:
            undated = _first_above(post_lo, b_lo, b_hi, _NO_YEAR_LO)
            if undated - b_lo > limit:
                n_found += undated - b_lo  # over the limit on its undated entries alone: not read
            else:
                for j in range(b_lo, undated):
                    if n_found < scratch.size:
                        scratch[n_found] = ids[j]
                        scratch_may[n_found] = 0  # no date: never the traveller's
                    n_found += 1
            if n_found - block_at <= limit:
                n_found = _read_run(ids, post_lo, post_hi, undated, b_hi, block_span[slot], birth_year - window,
                                    birth_year + window, limit, scratch, scratch_may, birth_year, n_found,
                                    block_at)
            size = n_found - block_at
        elif size <= limit:
            for j in range(b_lo, b_hi):
                if n_found < scratch.size:
                    scratch[n_found] = ids[j]
                    scratch_may[n_found] = 1  # years not read here: the date is checked if need be
                n_found += 1
        if size > limit:
            n_found = block_at
            if not known:
                stats[1] += 1
                continue
            undated = _first_above(post_lo, b_lo, b_hi, _NO_YEAR_LO)
            narrow = 1 if (window < 0 or window > 1) else window
            n_found = _read_run(ids, post_lo, post_hi, undated, b_hi, block_span[slot], birth_year - narrow,
                                birth_year + narrow, limit, scratch, scratch_may, birth_year, n_found, block_at)
            if n_found - block_at > limit and narrow > 0:
                n_found = _read_run(ids, post_lo, post_hi, undated, b_hi, block_span[slot], birth_year, birth_year,
                                    limit, scratch, scratch_may, birth_year, block_at, block_at)
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
    return _rank(scratch, scratch_may, n_found, table, max_candidates, out, out_at, known, birth_year, month, day,
                 single_dob, dob_offsets, dob_year, dob_month, dob_day, dob_adjust, missing_level, missing_value, stats)


@numba.njit(cache=True, nogil=True)
def _lookup_batch(directory, index_keys, starts, ids, post_lo, post_hi, block_span, year_lo, year_hi, q_hashes, q_kinds,
                  q_offsets, known, birth_years, months, days, windows, missing_values, max_block, max_initial,
                  max_candidates, table, scratch, scratch_may, single_dob, dob_offsets, dob_year, dob_month, dob_day,
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
    slots = np.empty(q_hashes.size, dtype=np.int64)
    ends = np.empty(q_hashes.size, dtype=np.int64)
    sink = np.zeros(1, dtype=np.int64)
    at = 0
    for t in range(n_travellers):
        lo, hi = q_offsets[t], q_offsets[t + 1]
        _probe(directory, index_keys, starts, ids, post_lo, q_hashes, lo, hi, slots, ends, sink)
        n_docs = _lookup_one(slots, starts, ids, post_lo, post_hi, block_span, q_kinds, lo, hi,
                             True, False, 0, 0, 0, -1, max_block, max_initial, max_candidates, table, scratch,
                             scratch_may, docs, 0, single_dob, dob_offsets, dob_year, dob_month, dob_day, dob_adjust,
                             missing_level, 0.0, stats)
        if n_docs < 0:
            return positions, by_document, np.zeros(0, dtype=np.int64)
        year, window = birth_years[t], windows[t]
        n_names = _lookup_one(slots, starts, ids, post_lo, post_hi, block_span, q_kinds, lo, hi, False, known[t], year,
                              months[t], days[t], window, max_block, max_initial, max_candidates, table, scratch,
                              scratch_may, names, 0, single_dob, dob_offsets, dob_year, dob_month, dob_day, dob_adjust,
                              missing_level, missing_values[t], stats)
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


# ----------------------------------------------------------------------------------------------


def birth_dates(dobs: Sequence[tuple | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parsed dates of birth as (years, months, days) arrays; 0 for an unknown part or date."""
    years = np.zeros(len(dobs), dtype=np.int32)
    months = np.zeros(len(dobs), dtype=np.int32)
    days = np.zeros(len(dobs), dtype=np.int32)
    for t, dob in enumerate(dobs):
        if dob is not None:
            years[t], months[t], days[t] = dob[0], dob[1] or 0, dob[2] or 0
    return years, months, days


#: :func:`pack_single_dobs` of an entry without a date of birth, and of one with several
_NO_DOB, _SEVERAL_DOBS = -1, -2
_EXACT_LEVEL = DOB_ORDER.index("exact")  # the same date of birth


def pack_single_dobs(dob_offsets: np.ndarray, dob_year: np.ndarray, dob_month: np.ndarray,
                     dob_day: np.ndarray) -> np.ndarray:
    """Per entry, its only listed date of birth packed in one int32 (``year << 16 | month << 8 |
    day``, 0 for an unknown part), ``_NO_DOB`` for none, ``_SEVERAL_DOBS`` for more than one (read
    from the date columns then): the cap's cheap score reads one number an entry."""
    counts = np.diff(dob_offsets)
    first = np.minimum(dob_offsets[:-1], max(dob_year.size - 1, 0))
    packed = np.full(counts.size, _NO_DOB, dtype=np.int32)
    one = counts == 1
    if dob_year.size:
        years = dob_year[first].astype(np.int32)
        ok = one & (years >= 0) & (years < 32768)
        packed[ok] = (years[ok] << 16) | (dob_month[first][ok].astype(np.int32) << 8) | dob_day[first][ok]
        packed[one & ~ok] = _SEVERAL_DOBS  # a year the packing cannot hold: the columns are read
    packed[counts > 1] = _SEVERAL_DOBS
    return packed


def csr_offsets(lists) -> np.ndarray:
    """CSR offsets of a list of per-entry sequences: entry i's values are [offsets[i], offsets[i+1])."""
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)), out=offsets[1:])
    return offsets


class CandidateLookup:
    """Candidate generation over one index's blocking arrays (built once, with the index).

    ``blocks``: :meth:`CandidateIndex.blocks`, which returns ``(key_codes, block_starts,
    postings)``; asked when first needed (:meth:`ready`: the index may still be making them in
    another process while the rest of the build goes on); ``year_lo`` /
    ``year_hi``: each entry's span of listed birth years (:data:`NO_YEAR_LO`/:data:`NO_YEAR_HI`
    without one); ``dobs``: each entry's parsed dates of birth; ``rules``: the blocking settings.
    The entries' dates as flat arrays (``dob_offsets``, ``dob_year``, ``dob_month``, ``dob_day``)
    are public and read-only: the compiled field stage reads them too."""

    #: travellers' names whose key codes are kept (cleared when full: memory bound)
    MAX_CACHED_NAMES = 100_000

    def __init__(self, blocks: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]], year_lo: np.ndarray,
                 year_hi: np.ndarray, dobs: Sequence[tuple], rules: BlockingSettings):
        self.rules = rules
        self._blocks = blocks
        self._year_lo, self._year_hi = year_lo, year_hi
        n = len(dobs)
        self._scratch_arrays(1 << 16)
        #: what candidate generation gave up (:data:`LOOKUP_STATS`), summed over look-ups
        self.stats = np.zeros(len(LOOKUP_STATS), dtype=np.int64)
        self.dob_offsets = read_only(csr_offsets(dobs))
        flat = [d for entry_dobs in dobs for d in entry_dobs]
        self.dob_year = read_only(np.fromiter((d[0] for d in flat), dtype=np.int32, count=len(flat)))
        self.dob_month = read_only(np.fromiter((d[1] or 0 for d in flat), dtype=np.int32, count=len(flat)))
        self.dob_day = read_only(np.fromiter((d[2] or 0 for d in flat), dtype=np.int32, count=len(flat)))
        del flat
        self._single_dob = pack_single_dobs(self.dob_offsets, self.dob_year, self.dob_month, self.dob_day)
        self._missing_level = DOB_ORDER.index("missing")
        self._no_adjust = np.zeros(len(DOB_ORDER), dtype=np.float64)
        self._key_cache: dict = {}
        self._lock = threading.RLock()  # the look-up reuses its scratch arrays and its cache

    def _scratch_arrays(self, size: int) -> None:
        """The look-up's scratch: postings found (entry, whether its years may hold the traveller's)
        and the ranking's table (twice as many slots)."""
        self._scratch = np.zeros(size, dtype=np.int32)
        self._scratch_may = np.zeros(size, dtype=np.uint8)
        self._table = np.zeros(2 * size, dtype=np.int64)

    def ready(self) -> None:
        """Take the blocking arrays (waiting for them if they are still being made) and lay them
        out for the look-up; once (every look-up does it first)."""
        with self._lock:
            if self._blocks is not None:
                self._take(*self._blocks())
                self._blocks = None

    def _take(self, key_codes: np.ndarray, block_starts: np.ndarray, postings: np.ndarray) -> None:
        year_lo, year_hi = self._year_lo, self._year_hi
        self._keys, self._starts, self._ids = key_codes, block_starts, postings
        self._post_lo = year_lo[postings] if postings.size else np.zeros(0, np.int16)
        self._post_hi = year_hi[postings] if postings.size else np.zeros(0, np.int16)
        # per block, the widest span of listed birth years among its dated entries
        if postings.size:
            span = self._post_hi.astype(np.int32) - self._post_lo
            span[self._post_lo == _NO_YEAR_LO] = 0
            self._block_span = np.maximum.reduceat(span, block_starts[:-1]).astype(np.int32)
            del span
        else:
            self._block_span = np.zeros(0, np.int32)
        bounds = (np.arange(-_DIRECTORY_HALF, _DIRECTORY_HALF + 1, dtype=np.int64) << _DIRECTORY_SHIFT)
        bounds[-1] = np.iinfo(np.int64).max  # the last bucket runs to the largest hash
        self._directory = np.searchsorted(key_codes, bounds).astype(np.int64)
        self._directory[-1] = key_codes.size

    def name_codes(self, forms: Sequence) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each name spelling's query key codes and kinds (:class:`KeyBatch`, query side): the
        spellings not met lately made in one compiled call, the others from the cache
        (travellers' names repeat)."""
        with self._lock:
            return self._name_codes(forms)

    def _name_codes(self, forms: Sequence) -> list[tuple[np.ndarray, np.ndarray]]:
        cache = self._key_cache
        new = list(dict.fromkeys(form for form in forms if form not in cache))
        if new and len(cache) + len(new) > self.MAX_CACHED_NAMES:
            cache.clear()  # bounded memory; this batch's names are all made again
            new = list(dict.fromkeys(forms))
        if new:
            batch = KeyBatch(self.rules, query=True)
            for form in new:
                batch.add((form,))
            codes, counts = batch.codes()
            kinds = is_initial(codes).astype(np.uint8)  # _KIND_INITIAL or _KIND_NAME
            ends = np.cumsum(counts).tolist()
            for form, start, end in zip(new, [0] + ends[:-1], ends):
                cache[form] = (codes[start:end], kinds[start:end])
        return [cache[form] for form in forms]

    def document_codes(self, documents: Iterable[tuple[str, str | None]]) -> list[int]:
        """The codes of normalised documents' ``D`` and ``X`` keys (:func:`keycodes.document_keys`;
        none when document keys are off)."""
        return documents_codes(documents, self.rules)

    def find(self, queries: Sequence[tuple], dob_adjust: Sequence[float] | None = None):
        """Candidates of a batch of travellers. ``queries``: per traveller ``(forms, documents,
        dob, window, missing_value)``: name spellings, normalised documents, the parsed date of
        birth (or None), the year window (or None) and the cheap score of an entry without a
        date. ``dob_adjust``: the adjustment per level in ``DOB_ORDER`` the cap ranks by (None:
        dates do not rank). Returns ``(positions, by_document, offsets)``: traveller ``t``'s
        candidates, most likely first, are ``positions[offsets[t]:offsets[t + 1]]``, and
        ``by_document`` marks those found by a document key."""
        with self._lock:
            return self._find(queries, dob_adjust)

    def _find(self, queries: Sequence[tuple], dob_adjust: Sequence[float] | None):
        self.ready()
        n = len(queries)
        hashes, kinds = [], []
        offsets = np.zeros(n + 1, dtype=np.int64)
        years, months, days = birth_dates([dob for _, _, dob, _, _ in queries])
        windows = np.full(n, -1, dtype=np.int32)
        known = np.zeros(n, dtype=np.bool_)
        missing_values = np.zeros(n, dtype=np.float64)
        codes_of = iter(self._name_codes([f for forms, *_ in queries for f in forms]))
        for t, (forms, documents, dob, window, missing_value) in enumerate(queries):
            count = 0
            for _ in forms:
                h, k = next(codes_of)
                hashes.append(h)
                kinds.append(k)
                count += h.size
            if documents:
                doc_codes = self.document_codes(documents)
                if doc_codes:
                    hashes.append(np.array(doc_codes, dtype=np.int64))
                    kinds.append(np.full(len(doc_codes), _KIND_DOCUMENT, dtype=np.uint8))
                    count += len(doc_codes)
            offsets[t + 1] = offsets[t] + count
            if dob is not None:
                known[t] = True
                if window is not None:
                    windows[t] = window
            missing_values[t] = missing_value
        if not self._keys.size:
            return np.zeros(0, np.int32), np.zeros(0, np.bool_), np.zeros(n + 1, dtype=np.int64)
        q_hashes = np.concatenate(hashes) if hashes else np.zeros(0, np.int64)
        q_kinds = np.concatenate(kinds) if kinds else np.zeros(0, np.uint8)
        adjust = self._no_adjust if dob_adjust is None else np.asarray(dob_adjust, dtype=np.float64)
        rules = self.rules
        while True:
            stats = np.zeros(len(LOOKUP_STATS), dtype=np.int64)
            positions, by_document, found_offsets = _lookup_batch(
                self._directory, self._keys, self._starts, self._ids, self._post_lo, self._post_hi,
                self._block_span, self._year_lo, self._year_hi, q_hashes, q_kinds, offsets, known, years, months,
                days, windows, missing_values, rules.max_block_size, rules.max_initial_block_size,
                rules.max_candidates, self._table, self._scratch, self._scratch_may, self._single_dob, self.dob_offsets,
                self.dob_year, self.dob_month, self.dob_day, adjust, self._missing_level, stats)
            if found_offsets.size:
                break
            self._scratch_arrays(self._scratch.size * 4)  # too small: grow, retry
        self.stats += stats
        return positions, by_document, found_offsets
