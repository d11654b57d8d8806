"""The name comparison, compiled: the one implementation of
:func:`pipelines.screening.engine.compare.compare_names` (and ``token_similarity``).

Why compiled: at a million-entry list the name comparison runs ~15 times per traveller, and in
pure Python (~50 us a call) it dominated screening. :class:`NameTables` interns every token,
joined unit (``ABDUL RAHMAN`` -> ``ABDULRAHMAN``) and name form into flat numpy arrays once, and
a numba kernel (:func:`_compare_batch`) scores (traveller form, entry form) pairs:

* a batch at a time for the compiled pre-scoring (:meth:`NameTables.compare_pairs`:
  :mod:`.accelerate` keeps only entries whose score can reach the cut-off), with ``weak``, what
  :meth:`pipelines.screening.engine.score.Screener._weak_name_only` returns for the pair;
* one pair at a time for :func:`~pipelines.screening.engine.compare.compare_names`
  (:meth:`NameTables.compare`), recording the token pairs it chose for the explanation.

So the pre-scoring and the engine's exact scoring give the same score by construction. What a
comparison means (levels, their order, constants) is the scoring specification
(:mod:`pipelines.screening.engine.spec`), whose formulas are compiled here as they are; the token
facts interned (skeletons, coarse keys, Korean surnames, particles, common tokens, nicknames,
Latvian stems, Slavic endings) come from :mod:`pipelines.screening.normalise` and
:mod:`pipelines.screening.engine.name_parts`. ``tests/screening/test_screening_fast_names.py``
holds the batch and single-pair results equal, and ``weak`` equal to the Screener's own rule.

Empty forms: score 0.0 and ``common_only`` False; ``weak`` is then False when a form is loose or
both are empty, else True (``_weak_name_only`` itself cannot be called there).
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import NamedTuple

import numba
import numpy as np

from pipelines.screening.engine import spec
from pipelines.screening.engine.name_parts import (baltic_stem, feminine_surname_ending, masculine_surname_ending,
                                                   run_initials, token_weight, units as _py_units)
from pipelines.screening.normalise.names import (COMMON_TOKENS, NameForm, coarse_of_skeleton, is_particle,
                                                 is_patronymic, joined_skeleton, particle_flags, skeleton)
from pipelines.screening.normalise.nicknames import formal_groups_of, groups_of
from pipelines.screening.normalise.romanisation import romanisation_key

__all__ = ["NameTables", "NameAlignment", "LEVEL_NAMES"]

_patronymic_uncached = is_patronymic.__wrapped__
_baltic_stem_uncached = baltic_stem.__wrapped__
_romanisation_uncached = romanisation_key.__wrapped__

# similarity levels (codes used in the kernel) and their names (spec.NAME_LEVELS; both nickname
# levels are called "nickname")
EXACT, PHONETIC, NICKNAME, TYPO, INITIAL, DIFFER, INITIALS = 0, 1, 2, 3, 4, 5, 6
LEVEL_NAMES = ("exact", "phonetic", "nickname", "typo", "initial", "differ", "initials")


class _Buf:
    """A growable 1-D numpy array: values are appended to a typed ``array.array`` (C values: no
    Python object per value, nothing for the cyclic collector to traverse) and moved into the
    array (capacity doubling) when :meth:`view` is asked for."""

    __slots__ = ("a", "n", "pending")

    _CODES = {np.dtype(np.int64): "q", np.dtype(np.int32): "i", np.dtype(np.uint8): "B",
              np.dtype(np.uint32): "I", np.dtype(np.float64): "d"}

    def __init__(self, dtype, capacity: int = 1024):
        self.a = np.zeros(capacity, dtype=dtype)
        self.n = 0
        self.pending = array(self._CODES[self.a.dtype])

    def __len__(self) -> int:
        return self.n + len(self.pending)

    def view(self) -> np.ndarray:
        k = len(self.pending)
        if k:
            need = self.n + k
            if need > len(self.a):
                # grow by a quarter, not double: at a million entries the tables are a few hundred
                # MB, and the first travellers' names after the build would otherwise double them
                cap = max(need, len(self.a) + len(self.a) // 4, 1024)
                grown = np.zeros(cap, dtype=self.a.dtype)
                grown[:self.n] = self.a[:self.n]
                self.a = grown
            self.a[self.n:need] = np.frombuffer(self.pending, dtype=self.a.dtype)
            self.n = need
            self.pending = array(self.pending.typecode)
        return self.a[:self.n]

    @property
    def nbytes(self) -> int:
        return self.a.nbytes

    def widen(self, dtype) -> None:
        self.view()
        self.a = self.a.astype(dtype)
        self.pending = array(self._CODES[self.a.dtype])


class NameTables:
    """Interned tokens and name forms as flat numpy arrays for the compiled comparison.

    ``params`` is ``Settings.name``; ``common`` the index's frequent-token set (passed to
    ``compare_names`` as ``common``); ``token_people`` and ``rare_limit`` what
    ``Screener._weak_name_only`` reads (``index.token_people``, ``Screener._rare_limit``).
    Forms can be added at any time (list forms first, travellers' forms at query time)."""

    def __init__(self, params: dict, common: frozenset[str], token_people: Mapping[str, int], rare_limit: float):
        self.common = common
        self.token_people = token_people
        self.rare_limit = float(rare_limit)
        self._weight_params = {"particle_weight": params["particle_weight"],
                               "common_token_weight": params["common_token_weight"],
                               "surname_weight": params["surname_weight"]}
        self._scalars = np.array([
            float(params["min_token_similarity"]), float(params["nickname"]), float(params["phonetic"]),
            float(params["initial"]), float(params["conflict_weight"]), float(params["extra_weight"]),
            float(params["lost_surname_extra"]), float(params["common_name_factor"]),
            float(params["low_quality_alias_factor"]), float(params["missing_patronymic_weight"]),
            float(params["nickname_indirect"]),
        ], dtype=np.float64)
        # strings (tokens, units, skeletons, coarse keys, Korean-mapped spellings)
        self._sids: dict[str, int] = {}
        self._s_start, self._s_len, self._s_chars = _Buf(np.int64), _Buf(np.int32), _Buf(np.uint8, 8192)
        self._s_mask, self._n_masked = np.zeros(0, dtype=np.uint32), 0
        # per token and per form, what the comparison reads for nearly every pair, side by side in
        # one record (one cache line read instead of one per column: see _records); the columns
        # below stay the tables' own, the records are copies made before each comparison call
        self._t_rec, self._f_rec, self._n_t_rec, self._n_f_rec = _aligned_rows(0), _aligned_rows(0), 0, 0
        # tokens (and joined units)
        self._tids: dict[str, int] = {}
        self._token_text: list[str] = []  # by token id (unit texts too): the explanation's words
        self._t_sid, self._t_sk, self._t_skb, self._t_co, self._t_kor = (_Buf(np.int32) for _ in range(5))
        self._t_part, self._t_common, self._t_pat = _Buf(np.uint8), _Buf(np.uint8), _Buf(np.uint8)
        self._t_run = _Buf(np.uint8)  # could be initials run together (compare.run_initials)
        self._t_fem, self._t_masc = _Buf(np.uint8), _Buf(np.uint8)
        self._t_strip = _Buf(np.int32)  # the token without its Latvian -S (name_parts.baltic_stem), else -1
        self._t_nstart, self._t_nlen, self._nick = _Buf(np.int64), _Buf(np.int32), _Buf(np.int32)
        # forms
        self._fids: dict[tuple, int] = {}
        self._f_tstart, self._f_ntok = _Buf(np.int64), _Buf(np.int32)
        self._f_loose, self._f_lowq = _Buf(np.uint8), _Buf(np.uint8)
        self._f_ustart, self._f_nunits = _Buf(np.int64), _Buf(np.int32)
        # a form's tokens: four int32 each, side by side (_FT_*): the token, its weight (a code:
        # a name part weighs one of a handful of values, kept in _weight_codes' order), surname,
        # particle in this name (names.particle_flags)
        self._form_tokens = _Buf(np.int32, 4 * 4096)
        self._weight_codes: dict[float, int] = {}
        # units (a token, or adjacent tokens run together): four int32 each, side by side (_U_*)
        self._units = _Buf(np.int32, 4 * 8192)
        self._max_len = 1
        self._max_tok = 1
        self._max_units = 1
        #: after :meth:`mark`: the strings, tokens and forms interned since, and the buffer sizes then
        self._since: tuple[list, list, list] | None = None
        self._marked: dict[str, int] = {}
        #: bumped whenever a token or form is interned or forgotten: the kernel's arrays are made
        #: again only then (a comparison of names already interned reuses them)
        self._version = 0
        self._made: tuple | None = None
        self._one: tuple | None = None  # scratch outputs of compare(), one pair at a time

    # -- interning ------------------------------------------------------------------------------

    def _sid(self, text: str) -> int:
        sid = self._sids.get(text)
        if sid is None:
            sid = self._sids[text] = len(self._sids)
            if self._since is not None:
                self._since[0].append(text)
            chars = self._s_chars
            try:
                data = text.encode("latin-1")  # one byte a letter: extends the list at C speed
            except UnicodeEncodeError:
                data = [ord(ch) for ch in text]
                if chars.a.dtype == np.uint8:
                    # normalised tokens are A-Z; anything else still compares exactly, in wider cells
                    chars.widen(np.uint32)
            self._s_start.pending.append(chars.n + len(chars.pending))
            self._s_len.pending.append(len(data))
            chars.pending.extend(data)
            if len(data) > self._max_len:
                self._max_len = len(data)
        return sid

    def _tid(self, token: str, joined: bool = False) -> int:
        """The id of a token (``joined``: of tokens run together, a unit: not cached elsewhere)."""
        tid = self._tids.get(token)
        if tid is None:
            tid = self._tids[token] = len(self._tids)
            self._version += 1
            self._token_text.append(token)
            if self._since is not None:
                self._since[1].append(token)
            sids, new_sid = self._sids, self._sid
            ska = joined_skeleton(token) if joined else skeleton(token)
            token_sid = new_sid(token)
            self._t_sid.pending.append(token_sid)
            sk_sid = sids.get(ska)
            if sk_sid is None:
                sk_sid = new_sid(ska)
            self._t_sk.pending.append(sk_sid)
            # skeleton without its leading vowel mark: the skeleton itself when it has none
            self._t_skb.pending.append(new_sid(ska.lstrip("A") or ska) if ska[:1] == "A" else sk_sid)
            self._t_co.pending.append(new_sid(coarse_of_skeleton(ska)))  # = coarse(token)
            # another romanisation's reading (Korean MR/RR initials and surnames, Somali X and C)
            # (a unit's string can be met later as a token: the key is the string's, whatever the source)
            other = (_romanisation_uncached if joined else romanisation_key)(token)
            self._t_kor.pending.append(token_sid if other is None else new_sid(other))
            self._t_part.pending.append(1 if is_particle(token) else 0)
            self._t_common.pending.append(1 if (token in COMMON_TOKENS or token in self.common) else 0)
            # joined units rarely repeat: past the functions' caches (they would only churn them)
            self._t_pat.pending.append(1 if (_patronymic_uncached if joined else is_patronymic)(token) else 0)
            self._t_run.pending.append(1 if run_initials(token) else 0)
            # compare._feminine_a, split by side
            self._t_fem.pending.append(1 if feminine_surname_ending(token) else 0)
            self._t_masc.pending.append(1 if masculine_surname_ending(token) else 0)
            nick = self._nick
            self._t_nstart.pending.append(nick.n + len(nick.pending))
            groups = groups_of(token)
            if groups:
                # group id * 2 + 1 where the token is the group's formal name (nickname_relation)
                formal = formal_groups_of(token)
                self._t_nlen.pending.append(len(groups))
                nick.pending.extend(sorted(g * 2 + (g in formal) for g in groups))
            else:
                self._t_nlen.pending.append(0)
            strip = self._t_strip
            strip.pending.append(-1)
            stem_text = (_baltic_stem_uncached if joined else baltic_stem)(token)
            if stem_text is not None:
                # interned after this token's own rows are complete, then patched in
                stem = self._tids.get(stem_text)
                if stem is None:
                    stem = self._tid(stem_text)
                strip.pending[tid - strip.n] = stem
        return tid

    def add_form(self, form: NameForm, query: bool = False) -> int:
        """The id of ``form`` (the same id for an equal form: tokens, surname, loose, low_quality).

        ``query``: a traveller's spelling, never compared as the list side, so its units' rarity
        (read for the list side only) is not worked out. The list's spellings are all added
        before any traveller's, so an equal list spelling keeps its own."""
        tokens = form.tokens
        key = (tokens, form.surname, bool(form.loose), bool(form.low_quality), form.particles)
        fid = self._fids.get(key)
        if fid is not None:
            return fid
        fid = self._fids[key] = len(self._fids)
        self._version += 1
        if self._since is not None:
            self._since[2].append(key)
        tids, new_tid = self._tids, self._tid
        rows = self._form_tokens
        self._f_tstart.pending.append(len(rows) // 4)
        self._f_ntok.pending.append(len(tokens))
        self._f_loose.pending.append(1 if form.loose else 0)
        self._f_lowq.pending.append(1 if form.low_quality else 0)
        wp, common = self._weight_params, self.common
        row_extend, weight_codes = rows.pending.extend, self._weight_codes
        for token, is_surname, particle in zip(tokens, form.surname, particle_flags(form)):
            tid = tids.get(token)
            if tid is None:
                tid = new_tid(token)
            weight = token_weight(token, is_surname, common, wp, particle)
            code = weight_codes.get(weight)
            if code is None:
                code = weight_codes[weight] = len(weight_codes)
            row_extend((tid, code, 1 if is_surname else 0, 1 if particle else 0))
        units = _py_units(tokens) if tokens else ()
        unit_rows = self._units
        self._f_ustart.pending.append(len(unit_rows) // 4)
        self._f_nunits.pending.append(len(units))
        counts, limit = self.token_people, self.rare_limit
        # a unit is rare when index.people_carrying(unit, tokens) <= limit: a token's own count, or
        # for tokens run together the smallest count of the tokens inside it, which is at or
        # under the limit exactly when one of the name's rare tokens is inside it (one of its
        # own parts always is, so the minimum is never over nothing)
        rare_tokens = () if query else [t for t in tokens if counts.get(t, 0) <= limit]
        unit_extend = unit_rows.pending.extend
        for idx, text in units:
            tid = tids.get(text)
            if tid is None:
                tid = new_tid(text, len(idx) > 1)
            if query or not rare_tokens:
                rare = 0
            elif len(idx) == 1 or text in tokens:
                rare = 1 if counts.get(text, 0) <= limit else 0
            else:
                rare = 1 if any(t in text for t in rare_tokens) else 0
            unit_extend((idx[0], len(idx), tid, rare))  # _U_FIRST, _U_LEN, _U_TOK, _U_RARE
        if len(tokens) > self._max_tok:
            self._max_tok = len(tokens)
        if len(units) > self._max_units:
            self._max_units = len(units)
        return fid

    def __len__(self) -> int:
        return len(self._fids)

    def mark(self) -> None:
        """Remember the tables as they are (the list's own names, after the build) so that
        :meth:`forget_since_mark` can drop what was interned afterwards (travellers' names)."""
        self._marked = {name: len(buf) for name, buf in self.__dict__.items() if isinstance(buf, _Buf)}
        self._since = ([], [], [])

    def added_since_mark(self) -> int:
        """Forms interned since :meth:`mark` (0 when never marked)."""
        return len(self._since[2]) if self._since is not None else 0

    def forget_since_mark(self) -> None:
        """Drop every string, token and form interned since :meth:`mark`: a long-running worker
        meets new travellers' names forever, and the tables must not grow with them. Only between
        batches: form ids handed out since the mark become invalid."""
        if self._since is None:
            return
        strings, tokens, forms = self._since
        for table, keys in ((self._sids, strings), (self._tids, tokens), (self._fids, forms)):
            for key in keys:
                del table[key]
        del self._token_text[len(self._tids):]  # token ids are dense: the forgotten ones are the last
        for name, size in self._marked.items():
            buf = self.__dict__[name]
            buf.view()
            buf.n = size
        self._n_masked = min(self._n_masked, self._marked["_s_len"])
        self._n_t_rec = min(self._n_t_rec, self._marked["_t_sid"])
        self._n_f_rec = min(self._n_f_rec, self._marked["_f_ntok"])
        self._since = ([], [], [])
        self._version += 1

    @property
    def nbytes(self) -> int:
        """Bytes held by the numpy tables (capacity, not counting the Python intern dicts)."""
        return (sum(b.nbytes for b in self.__dict__.values() if isinstance(b, _Buf))
                + self._s_mask.nbytes + self._t_rec.nbytes + self._f_rec.nbytes)

    def _arrays(self):
        """The kernel's arrays: (strings, tokens, forms), made again when names were interned."""
        if self._made is None or self._made[0] != self._version:
            self._made = (self._version, self._make_arrays())
        return self._made[1]

    def _make_arrays(self):
        starts, lengths, chars = self._s_start.view(), self._s_len.view(), self._s_chars.view()
        if self._s_mask.size < lengths.size:
            # letter sets of the strings added since the last call (for the cheap typo bound)
            grown = np.zeros(max(lengths.size, self._s_mask.size + self._s_mask.size // 4), dtype=np.uint32)
            grown[:self._n_masked] = self._s_mask[:self._n_masked]
            self._s_mask = grown
        if self._n_masked < lengths.size:
            _letter_masks(starts, lengths, chars, self._s_mask, self._n_masked)
            self._n_masked = lengths.size
        self._records(lengths)
        strings = (starts, lengths, chars)
        tokens = (self._t_rec, self._t_skb.view(), self._t_co.view(), self._t_nstart.view(), self._nick.view(),
                  self._t_fem.view(), self._t_masc.view())
        forms = (self._f_rec, self._form_tokens.view().reshape(-1, 4),
                 np.array(list(self._weight_codes), dtype=np.float64), self._units.view().reshape(-1, 4))
        return strings, tokens, forms

    def _records(self, lengths: np.ndarray) -> None:
        """Bring the packed records up to date with the tokens and forms added since last time.

        The comparison meets each list spelling in random order, so every column it reads for it
        is a cache miss: at a million entries those misses, not the arithmetic, were most of its
        time. A token's record holds what the cheap settling of a token pair reads (Korean
        spelling, skeleton, nickname groups, Latvian stem, string, length, letter set) and the
        alignment's flags (common, particle, patronymic); a form's its token and unit offsets,
        counts and flags."""
        n_tok = len(self._t_sid)
        if self._n_t_rec < n_tok:
            if len(self._t_rec) < n_tok:
                self._t_rec = _grown_rows(self._t_rec, self._n_t_rec, n_tok)
            new = slice(self._n_t_rec, n_tok)
            sid = self._t_sid.view()[new]
            rec = self._t_rec[new]
            rec[:, _T_KOR] = self._t_kor.view()[new]
            rec[:, _T_SK] = self._t_sk.view()[new]
            rec[:, _T_NLEN] = self._t_nlen.view()[new]
            rec[:, _T_STRIP] = self._t_strip.view()[new]
            rec[:, _T_SID] = sid
            rec[:, _T_LEN] = lengths[sid]
            rec[:, _T_MASK] = self._s_mask[sid].view(np.int32)  # 27 bits: never negative
            rec[:, _T_FLAGS] = (self._t_common.view()[new].astype(np.int32) * _COMMON
                                | self._t_part.view()[new].astype(np.int32) * _PARTICLE
                                | self._t_pat.view()[new].astype(np.int32) * _PATRONYMIC
                                | self._t_run.view()[new].astype(np.int32) * _RUN_INITIALS)
            self._n_t_rec = n_tok
        n_forms = len(self._f_ntok)
        if self._n_f_rec < n_forms:
            if len(self._f_rec) < n_forms:
                self._f_rec = _grown_rows(self._f_rec, self._n_f_rec, n_forms)
            new = slice(self._n_f_rec, n_forms)
            rec = self._f_rec[new]
            rec[:, _F_TSTART] = self._f_tstart.view()[new]
            rec[:, _F_NTOK] = self._f_ntok.view()[new]
            rec[:, _F_USTART] = self._f_ustart.view()[new]
            rec[:, _F_NUNITS] = self._f_nunits.view()[new]
            rec[:, _F_LOOSE] = self._f_loose.view()[new]
            rec[:, _F_LOWQ] = self._f_lowq.view()[new]
            self._n_f_rec = n_forms

    def compare_pairs(self, query_ids: np.ndarray, entry_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """int32 arrays of equal length -> (score float64, common_only bool, weak bool) per pair."""
        q = np.ascontiguousarray(query_ids, dtype=np.int32)
        e = np.ascontiguousarray(entry_ids, dtype=np.int32)
        if q.shape != e.shape or q.ndim != 1:
            raise ValueError("query_ids and entry_ids must be 1-D arrays of equal length")
        n_forms = len(self._fids)
        if len(q) and (q.min() < 0 or e.min() < 0 or q.max() >= n_forms or e.max() >= n_forms):
            raise IndexError("form id out of range")
        strings, tokens, forms = self._arrays()
        score = np.zeros(len(q), dtype=np.float64)
        common_only = np.zeros(len(q), dtype=np.bool_)
        weak = np.zeros(len(q), dtype=np.bool_)
        _compare_batch(q, e, strings, tokens, forms, self._scalars, self._max_len, self._max_tok, self._max_units,
                       score, common_only, weak, np.zeros(len(q), dtype=np.int8), _NO_RECORD)
        return score, common_only, weak

    def compare(self, query: NameForm, entry: NameForm) -> NameAlignment:
        """One pair, with what the explanation needs: the same kernel as :meth:`compare_pairs`
        (the only implementation of the comparison), asked to record the pairs it chose."""
        q, e = self.add_form(query, query=True), self.add_form(entry)
        strings, tokens, forms = self._arrays()
        one = self._one
        if one is None or one[4][0].shape[1] < self._max_tok:
            one = self._one = (np.zeros(1, dtype=np.int32), np.zeros(1, dtype=np.int32),
                               np.zeros(1, dtype=np.float64), np.zeros(1, dtype=np.bool_),
                               (np.zeros((1, self._max_tok, 3), dtype=np.int64),
                                np.zeros((1, self._max_tok), dtype=np.float64), np.zeros(1, dtype=np.int64)),
                               np.zeros(1, dtype=np.bool_), np.zeros(1, dtype=np.int8))
        qids, eids, score, common_only, chosen, weak, flags = one
        qids[0], eids[0] = q, e
        _compare_batch(qids, eids, strings, tokens, forms, self._scalars, self._max_len, self._max_tok,
                       self._max_units, score, common_only, weak, flags, chosen)
        n = int(chosen[2][0])
        picked = chosen[0][0, :n].tolist()
        rows = forms[3][[unit for a, b, _ in picked for unit in (a, b)]].tolist() if n else []
        text, pairs = self._token_text, []
        used_q, used_e = [False] * len(query.tokens), [False] * len(entry.tokens)
        for k, ((_, _, level), q_row, e_row, sim) in enumerate(zip(picked, rows[0::2], rows[1::2],
                                                                      chosen[1][0, :n].tolist())):
            used_q[q_row[_U_FIRST]:q_row[_U_FIRST] + q_row[_U_LEN]] = [True] * q_row[_U_LEN]
            used_e[e_row[_U_FIRST]:e_row[_U_FIRST] + e_row[_U_LEN]] = [True] * e_row[_U_LEN]
            pairs.append((text[q_row[_U_TOK]], text[e_row[_U_TOK]], sim, LEVEL_NAMES[level]))
        bits = int(flags[0])
        return NameAlignment(float(score[0]), tuple(pairs),
                             tuple(t for t, used in zip(query.tokens, used_q) if not used),
                             tuple(t for t, used in zip(entry.tokens, used_e) if not used),
                             bool(bits & _CONFLICT), bool(bits & _CAPPED), bool(common_only[0]))

    def token_similarity(self, a: str, b: str, loose: bool, nickname: float, phonetic: float, initial: float,
                         nickname_indirect: float) -> tuple[float, str]:
        """Two tokens' similarity and level name (the comparison's own token levels)."""
        ta, tb = self._tid(a), self._tid(b)
        strings, tokens, _ = self._arrays()
        sim, level = _token_pair(ta, tb, loose, nickname, nickname_indirect, phonetic, initial, strings, tokens,
                                 self._max_len)
        return float(sim), LEVEL_NAMES[level]


class NameAlignment(NamedTuple):
    """What :meth:`NameTables.compare` found for one pair: the score before rounding, the token
    pairs in the order they were chosen (traveller's text, list's text, similarity, level name),
    the tokens left unpaired on each side, and the flags: leftovers on both sides (a conflict),
    the single-part cap applied, every agreeing part a very common name."""

    score: float
    pairs: tuple
    extra_query: tuple[str, ...]
    extra_entry: tuple[str, ...]
    conflict: bool
    capped: bool
    common_only: bool


#: columns of the packed token and form records (int32, 8 to a row: 32 bytes, aligned)
_T_KOR, _T_SK, _T_NLEN, _T_STRIP, _T_SID, _T_LEN, _T_MASK, _T_FLAGS = range(8)
#: bits of a token record's flags
_COMMON, _PARTICLE, _PATRONYMIC, _RUN_INITIALS = 1, 2, 4, 8
_F_TSTART, _F_NTOK, _F_USTART, _F_NUNITS, _F_LOOSE, _F_LOWQ = range(6)
#: columns of a unit's row
_U_FIRST, _U_LEN, _U_TOK, _U_RARE = range(4)
#: columns of a form token's row
_FT_TOK, _FT_WEIGHT, _FT_SURNAME, _FT_PARTICLE = range(4)
#: bits of a pair's flags (the explanation's words)
_CONFLICT, _CAPPED = 1, 2
#: the chosen pairs not recorded (batches): empty arrays in their place
_NO_RECORD = (np.zeros((0, 0, 3), dtype=np.int64), np.zeros((0, 0), dtype=np.float64), np.zeros(0, dtype=np.int64))


def _aligned_rows(n: int) -> np.ndarray:
    """An int32 array of ``n`` rows of 8 whose rows never straddle a 64-byte cache line."""
    raw = np.zeros(n * 8 + 16, dtype=np.int32)
    skip = (-raw.ctypes.data % 64) // 4
    return raw[skip:skip + n * 8].reshape(n, 8)


def _grown_rows(rows: np.ndarray, used: int, need: int) -> np.ndarray:
    grown = _aligned_rows(max(need, len(rows) + len(rows) // 4, 1024))
    grown[:used] = rows[:used]
    return grown


# -- kernel -------------------------------------------------------------------------------------

_jit = numba.njit(cache=True, nogil=True)
# the scoring specification's formulas, compiled as they are (one source for both engines)
_typo_similarity = numba.njit(cache=True, nogil=True, inline="always")(spec.typo_similarity)
_skeleton_similarity = numba.njit(cache=True, nogil=True, inline="always")(spec.skeleton_similarity)
_phonetic_close = numba.njit(cache=True, nogil=True, inline="always")(spec.phonetic_close)
_STRONG_PART, _SINGLE_PART_CAP, _PHONETIC_FAR_PENALTY = spec.STRONG_PART, spec.SINGLE_PART_CAP, spec.PHONETIC_FAR_PENALTY
_LOOSE_SAME_SKELETON, _LOOSE_SKELETON_FACTOR = spec.LOOSE_SAME_SKELETON, spec.LOOSE_SKELETON_FACTOR
_COARSE_SAME, _COARSE_FACTOR, _MIN_SKELETON_LENGTH = spec.COARSE_SAME, spec.COARSE_FACTOR, spec.MIN_SKELETON_LENGTH


@_jit
def _str_eq(chars, a0, la, b0, lb):
    if la != lb:
        return False
    for k in range(la):
        if chars[a0 + k] != chars[b0 + k]:
            return False
    return True


@_jit
def _osa(chars, a0, n, b0, m, work):
    """Optimal string alignment distance (rapidfuzz ``OSA.distance``)."""
    if n == 0:
        return m
    if m == 0:
        return n
    # rows of work: r2 = row i-2, r1 = row i-1, r0 = row i (rotated by index)
    i2, i1, i0 = 0, 1, 2
    for j in range(m + 1):
        work[i1, j] = j
    for i in range(1, n + 1):
        work[i0, 0] = i
        ai = chars[a0 + i - 1]
        for j in range(1, m + 1):
            bj = chars[b0 + j - 1]
            cost = 0 if ai == bj else 1
            v = work[i1, j] + 1
            t = work[i0, j - 1] + 1
            if t < v:
                v = t
            t = work[i1, j - 1] + cost
            if t < v:
                v = t
            if i > 1 and j > 1 and ai == chars[b0 + j - 2] and chars[a0 + i - 2] == bj:
                t = work[i2, j - 2] + 1
                if t < v:
                    v = t
            work[i0, j] = v
        i2, i1, i0 = i1, i0, i2
    return work[i1, m]


@_jit
def _letter_masks(starts, lengths, chars, out, first):
    """Each string's set of letters as bits (A-Z; anything else shares bit 26), from ``first`` on."""
    for i in range(first, lengths.size):
        mask = np.uint32(0)
        for k in range(starts[i], starts[i] + lengths[i]):
            c = chars[k]
            mask |= np.uint32(1) << np.uint32(c - 65 if 65 <= c <= 90 else 26)
        out[i] = mask


@_jit
def _popcount(x):
    x = x - ((x >> np.uint32(1)) & np.uint32(0x55555555))
    x = (x & np.uint32(0x33333333)) + ((x >> np.uint32(2)) & np.uint32(0x33333333))
    x = (x + (x >> np.uint32(4))) & np.uint32(0x0F0F0F0F)
    return np.uint32(x * np.uint32(0x01010101)) >> np.uint32(24)


@_jit
def _bag_bound(chars, a0, la, b0, lb, hist):
    """A lower bound of the OSA distance: letters one side has more of than the other (an edit
    changes at most one letter count per side; a transposition none). Letters outside A-Z share
    one bucket, which only weakens the bound."""
    for k in range(27):
        hist[k] = 0
    for k in range(la):
        c = chars[a0 + k]
        hist[c - 65 if 65 <= c <= 90 else 26] += 1
    for k in range(lb):
        c = chars[b0 + k]
        hist[c - 65 if 65 <= c <= 90 else 26] -= 1
    more = 0
    fewer = 0
    for k in range(27):
        if hist[k] > 0:
            more += hist[k]
        else:
            fewer -= hist[k]
    return max(more, fewer)


@numba.njit(cache=True, nogil=True, inline="always")
def _other_romanisation(ta, tb, t_rec):
    """Do two tokens spell one name in two romanisations (``normalise.romanisation``)? Their
    romanisation keys are equal (Korean syllables with MR's and RR's initials, Korean surname
    spellings), or one token's key (the skeleton of its Somali reading) is the other's skeleton.
    A token without a key has its own string there, which is never a skeleton it could meet
    (skeletons of tokens with vowels differ from them)."""
    ka, kb = t_rec[ta, _T_KOR], t_rec[tb, _T_KOR]
    if ka == kb:
        return True
    return (ka != t_rec[ta, _T_SID] and ka == t_rec[tb, _T_SK]) or (kb != t_rec[tb, _T_SID] and kb == t_rec[ta, _T_SK])


@numba.njit(cache=True, nogil=True, inline="always")
def _token_similarity(ta, tb, loose, nickname, nickname_indirect, phonetic, initial, min_sim, within, t_rec, s_start,
                      s_len, chars, t_skb, t_co, t_nstart, nick, t_fem, t_masc, work, hist):
    """compare.token_similarity on token ids -> (similarity, level code), with its Latvian -S rule.

    Arrays come one by one, not as tuples, and the function is inlined: numba takes a reference
    to every array unpacked from a tuple, which cost more than the similarity itself (~25 calls
    a name pair)."""
    sim, level = _token_similarity_core(ta, tb, loose, nickname, nickname_indirect, phonetic, initial, min_sim,
                                        within, t_rec, s_start, s_len, chars, t_skb, t_co, t_nstart, nick, t_fem,
                                        t_masc, work, hist)
    if sim < phonetic and not loose:
        for side in range(2):
            x = ta if side == 0 else tb
            y = tb if side == 0 else ta
            stem = t_rec[x, _T_STRIP]
            if stem >= 0 and chars[s_start[t_rec[y, _T_SID]] + t_rec[y, _T_LEN] - 1] != 83:  # 'S'
                alt, alt_level = _token_similarity_core(stem, y, loose, nickname, nickname_indirect, phonetic,
                                                        initial, min_sim, within, t_rec, s_start, s_len, chars,
                                                        t_skb, t_co, t_nstart, nick, t_fem, t_masc, work, hist)
                if alt > phonetic:
                    alt = phonetic
                if alt >= _STRONG_PART and alt > sim and alt_level != INITIAL:
                    sim = alt
                    level = PHONETIC if alt_level == EXACT else alt_level
    return sim, level


@_jit
def _token_similarity_core(ta, tb, loose, nickname, nickname_indirect, phonetic, initial, min_sim, within, t_rec,
                           s_start, s_len, chars, t_skb, t_co, t_nstart, nick, t_fem, t_masc, work, hist):
    """compare._token_similarity on token ids -> (similarity, level code). A call, not inlined:
    only token pairs the comparison loop could not settle get here, and inlining it (twice, with
    the Latvian stem) made the kernel take ~2.5 s longer to compile for no measurable gain."""
    if ta == tb:
        return 1.0, EXACT
    if _other_romanisation(ta, tb, t_rec):
        return phonetic, PHONETIC
    sa, sb = t_rec[ta, _T_SID], t_rec[tb, _T_SID]
    a0, la, b0, lb = s_start[sa], t_rec[ta, _T_LEN], s_start[sb], t_rec[tb, _T_LEN]
    if la == 1 or lb == 1:
        if chars[a0] == chars[b0]:
            return initial, INITIAL
        return 0.0, DIFFER
    ska, skb = t_rec[ta, _T_SK], t_rec[tb, _T_SK]
    longest = max(la, lb)
    same_skeleton = ska == skb and (s_len[ska] >= 2 or min(la, lb) <= 3)
    hopeless = False
    if not same_skeleton and min_sim > 0.0:
        # lower bounds of the OSA distance, cheapest first: the length difference; letters one
        # side has and the other lacks altogether (each needs an edit); letter counts. Over
        # `within[longest]` edits the typo level is under min_sim (_compare_batch)
        edits = within[longest]
        ma, mb = np.uint32(t_rec[ta, _T_MASK]), np.uint32(t_rec[tb, _T_MASK])
        hopeless = abs(la - lb) > edits or max(_popcount(ma & ~mb), _popcount(mb & ~ma)) > edits or \
            _bag_bound(chars, a0, la, b0, lb, hist) > edits
    if hopeless:
        # the typo level cannot reach min_sim (OSA >= these bounds): the distance is not needed,
        # a typo score under min_sim is dropped by the caller whatever its value
        distance = longest
    else:
        distance = _osa(chars, a0, la, b0, lb, work)
    if same_skeleton:
        # _vowel_distinct: FERNANDO/FERNANDA
        distinct = False
        if la >= 4 and la == lb and _str_eq(chars, a0, la - 1, b0, lb - 1):
            ea, eb = chars[a0 + la - 1], chars[b0 + lb - 1]
            distinct = (ea == 65 and eb == 79) or (ea == 79 and eb == 65)  # A/O
        if not distinct:
            # _feminine_a: PETROVA/PETROV, KOWALSKA/KOWALSKI (Slavic surnames inflected for sex)
            distinct = (t_fem[ta] != 0 and t_masc[tb] != 0) or (t_fem[tb] != 0 and t_masc[ta] != 0)
        if not distinct:
            if _phonetic_close(distance, longest):
                return phonetic, PHONETIC
            return phonetic - _PHONETIC_FAR_PENALTY, PHONETIC
    # nicknames: a != b here, so sharing a group is enough; direct when one of them is the formal
    # name of a shared group (the lowest bit of the group codes), else indirect
    nna, nnb = t_rec[ta, _T_NLEN], t_rec[tb, _T_NLEN]
    na0, nb0 = t_nstart[ta], t_nstart[tb]
    if nna and nnb:
        i = 0
        j = 0
        shared = False
        while i < nna and j < nnb:
            ca, cb = nick[na0 + i], nick[nb0 + j]
            ga, gb = ca >> 1, cb >> 1
            if ga == gb:
                if (ca | cb) & 1:
                    return nickname, NICKNAME
                shared = True
                i += 1
                j += 1
            elif ga < gb:
                i += 1
            else:
                j += 1
        if shared:
            return nickname_indirect, NICKNAME
    typo = _typo_similarity(distance, longest)
    best = typo
    level = TYPO
    if loose:
        sba, sbb = t_skb[ta], t_skb[tb]
        if sba == sbb:
            return phonetic * _LOOSE_SAME_SKELETON, PHONETIC
        la_, lb_ = s_len[sba], s_len[sbb]
        sk_len = max(la_, lb_)
        if sk_len >= _MIN_SKELETON_LENGTH:
            sk_sim = _skeleton_similarity(_osa(chars, s_start[sba], la_, s_start[sbb], lb_, work), sk_len,
                                          _LOOSE_SKELETON_FACTOR)
        else:
            sk_sim = 0.0
        if sk_sim > best:
            best = sk_sim
            level = PHONETIC
        ca, cb = t_co[ta], t_co[tb]
        lca, lcb = s_len[ca], s_len[cb]
        c_len = max(lca, lcb)
        if c_len >= _MIN_SKELETON_LENGTH:
            if ca == cb:
                c_sim = _COARSE_SAME
            else:
                c_sim = _skeleton_similarity(_osa(chars, s_start[ca], lca, s_start[cb], lcb, work), c_len,
                                             _COARSE_FACTOR)
            if c_sim > best:
                best = c_sim
                level = PHONETIC
    if best > 0:
        return best, level
    return 0.0, DIFFER


@numba.njit(cache=True, nogil=True)
def _same_tokens(form_tokens, qt0, qn, et0, en):
    """The two forms' token tuples are equal (compare_names: q_tokens == e_tokens)."""
    if qn != en:
        return False
    for i in range(qn):
        if form_tokens[qt0 + i, _FT_TOK] != form_tokens[et0 + i, _FT_TOK]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _initials_of(tok, row0, n, t_rec, form_tokens, s_start, chars):
    """compare.initials_of: token ``tok``'s letters are the first letters of the ``n`` form tokens
    from row ``row0`` on, each of 2+ letters and not a particle."""
    at = s_start[t_rec[tok, _T_SID]]
    for k in range(n):
        other = form_tokens[row0 + k, _FT_TOK]
        if form_tokens[row0 + k, _FT_PARTICLE] != 0 or t_rec[other, _T_LEN] < 2:
            return False
        if chars[s_start[t_rec[other, _T_SID]]] != chars[at + k]:
            return False
    return True


@numba.njit(cache=True, nogil=True, inline="always")
def _lost_surname(form_tokens, t0, n, used, weights):
    """The weight of a name's surname tokens when none of them was paired (else 0): a surname
    with no part agreeing counts ``lost_surname_extra`` of it as left over."""
    lost = 0.0
    for i in range(n):
        if form_tokens[t0 + i, _FT_SURNAME]:
            if used[i]:
                return 0.0
            lost += weights[form_tokens[t0 + i, _FT_WEIGHT]]
    return lost


@numba.njit(cache=True, nogil=True, inline="always")
def _patronymic_left(form_tokens, t0, n, used, weights, t_rec):
    """The weight of a name's unpaired tokens that are patronymics (not from a surname field)."""
    total = 0.0
    for i in range(n):
        if not used[i] and not form_tokens[t0 + i, _FT_SURNAME] \
                and t_rec[form_tokens[t0 + i, _FT_TOK], _T_FLAGS] & _PATRONYMIC:
            total += weights[form_tokens[t0 + i, _FT_WEIGHT]]
    return total


@_jit
def _token_pair(ta, tb, loose, nickname, nickname_indirect, phonetic, initial, strings, tokens, max_len):
    """One token pair's similarity and level code, every level computed in full (no minimum
    similarity, so no shortcut bound)."""
    s_start, s_len, chars = strings
    t_rec, t_skb, t_co, t_nstart, nick, t_fem, t_masc = tokens
    work = np.zeros((3, max_len + 1), dtype=np.int64)
    hist = np.zeros(27, dtype=np.int64)
    within = np.zeros(max_len + 1, dtype=np.int64)
    return _token_similarity(ta, tb, loose, nickname, nickname_indirect, phonetic, initial, 0.0, within, t_rec,
                             s_start, s_len, chars, t_skb, t_co, t_nstart, nick, t_fem, t_masc, work, hist)


@_jit
def _compare_batch(qids, eids, strings, tokens, forms, scalars, max_len, max_tok, max_units,
                   out_score, out_common, out_weak, out_flags, chosen):
    """The name comparison of each (query form, entry form) pair: ``out_score`` (before rounding),
    ``out_common`` (every agreeing part a very common name), ``out_weak`` (a weak name-only match,
    ``Screener._weak_name_only``), ``out_flags`` (_CONFLICT, _CAPPED). ``chosen`` (units, levels;
    similarities; counts), when not empty, records each pair's token pairs in the order they were
    chosen. One function with the loop inside: numba takes a reference to every array unpacked
    from a tuple, which per pair (or per token similarity) cost more than the comparison itself."""
    f_rec, form_tokens, weights, units = forms
    chosen_units, chosen_sim, chosen_n = chosen
    record = chosen_n.size > 0
    s_start, s_len, chars = strings
    t_rec, t_skb, t_co, t_nstart, nick, t_fem, t_masc = tokens
    min_sim, nickname, phonetic, initial = scalars[0], scalars[1], scalars[2], scalars[3]
    conflict_weight, extra_weight, lost, common_factor, lowq_factor, patronymic_weight = \
        scalars[4], scalars[5], scalars[6], scalars[7], scalars[8], scalars[9]
    nickname_indirect = scalars[10]
    work = np.zeros((3, max_len + 1), dtype=np.int64)
    hist = np.zeros(27, dtype=np.int64)
    # per length of the longer token: the most edits whose typo level still reaches min_sim (the
    # same float expression as the level itself, so `d > within[n]` is exactly `typo < min_sim`)
    within = np.zeros(max_len + 1, dtype=np.int64)
    for n in range(1, max_len + 1):
        k = 0
        while k < n and _typo_similarity(k + 1, n) >= min_sim:
            k += 1
        within[n] = k
    cap = max_units * max_units
    c_sim = np.zeros(cap, dtype=np.float64)
    c_lensum = np.zeros(cap, dtype=np.int64)
    c_qkey = np.zeros(cap, dtype=np.int64)
    c_ekey = np.zeros(cap, dtype=np.int64)
    c_qu = np.zeros(cap, dtype=np.int64)
    c_eu = np.zeros(cap, dtype=np.int64)
    c_level = np.zeros(cap, dtype=np.int64)
    order = np.zeros(cap, dtype=np.int64)
    used_q = np.zeros(max_tok, dtype=np.bool_)
    used_e = np.zeros(max_tok, dtype=np.bool_)
    for p in range(len(qids)):
        qf, ef = qids[p], eids[p]
        qn, en = f_rec[qf, _F_NTOK], f_rec[ef, _F_NTOK]
        loose = f_rec[qf, _F_LOOSE] != 0 or f_rec[ef, _F_LOOSE] != 0
        if qn == 0 or en == 0:
            out_score[p] = 0.0
            out_common[p] = False
            out_weak[p] = not loose and not (qn == 0 and en == 0)
            out_flags[p] = 0
            continue
        qt0, et0 = f_rec[qf, _F_TSTART], f_rec[ef, _F_TSTART]
        qu0, nqu, eu0, neu = f_rec[qf, _F_USTART], f_rec[qf, _F_NUNITS], f_rec[ef, _F_USTART], f_rec[ef, _F_NUNITS]
        # candidate pairs
        nc = 0
        for a in range(qu0, qu0 + nqu):
            q_multi = units[a, _U_LEN] >= 2
            for b in range(eu0, eu0 + neu):
                if q_multi and units[b, _U_LEN] >= 2:
                    continue
                ta, tb = units[a, _U_TOK], units[b, _U_TOK]
                # most token pairs are settled here, written out rather than called: numba takes
                # a reference to each array a function is passed, per call, which cost more than
                # the similarity. The same answers as _token_similarity: two different Latin
                # tokens (not initials) with different skeletons, no nickname group on one side,
                # no Latvian stem (name_parts.baltic_stem)
                # and a typo level that cannot reach min_sim (lower bounds of the distance)
                settled = False
                # a token that may be initials run together, against given names (JC ~ JEAN CLAUDE)
                short, run, run_row0 = -1, 0, 0
                if units[a, _U_LEN] == 1 and units[b, _U_LEN] >= 2:
                    short, run, run_row0 = ta, b, et0
                elif units[b, _U_LEN] == 1 and units[a, _U_LEN] >= 2:
                    short, run, run_row0 = tb, a, qt0
                if short >= 0 and t_rec[short, _T_FLAGS] & _RUN_INITIALS \
                        and t_rec[short, _T_LEN] == units[run, _U_LEN] \
                        and _initials_of(short, run_row0 + units[run, _U_FIRST], units[run, _U_LEN], t_rec,
                                         form_tokens, s_start, chars):
                    sim, level = initial, INITIALS
                    settled = True
                elif ta == tb:
                    sim, level = 1.0, EXACT
                    settled = True
                elif not loose and min_sim > 0.0 and not _other_romanisation(ta, tb, t_rec) \
                        and t_rec[ta, _T_SK] != t_rec[tb, _T_SK] \
                        and (t_rec[ta, _T_NLEN] == 0 or t_rec[tb, _T_NLEN] == 0) \
                        and t_rec[ta, _T_STRIP] < 0 and t_rec[tb, _T_STRIP] < 0:
                    la, lb = t_rec[ta, _T_LEN], t_rec[tb, _T_LEN]
                    if la > 1 and lb > 1:
                        edits = within[max(la, lb)]
                        if abs(la - lb) > edits:
                            sim, level = 0.0, DIFFER
                            settled = True
                        else:
                            ma, mb = np.uint32(t_rec[ta, _T_MASK]), np.uint32(t_rec[tb, _T_MASK])
                            if max(_popcount(ma & ~mb), _popcount(mb & ~ma)) > edits:
                                sim, level = 0.0, DIFFER
                                settled = True
                if not settled:
                    sim, level = _token_similarity(ta, tb, loose, nickname, nickname_indirect, phonetic, initial,
                                                   min_sim, within, t_rec, s_start, s_len, chars, t_skb, t_co,
                                                   t_nstart, nick, t_fem, t_masc, work, hist)
                if sim >= min_sim or (level == INITIAL and sim > 0):
                    c_sim[nc] = sim
                    c_lensum[nc] = units[a, _U_LEN] + units[b, _U_LEN]
                    # index tuples are contiguous: lexicographic
                    c_qkey[nc] = units[a, _U_FIRST] * 8 + units[a, _U_LEN]
                    c_ekey[nc] = units[b, _U_FIRST] * 8 + units[b, _U_LEN]
                    c_qu[nc] = a
                    c_eu[nc] = b
                    c_level[nc] = level
                    nc += 1
        # insertion sort (few candidates) into Python's order
        for k in range(nc):
            order[k] = k
        for k in range(1, nc):
            x = order[k]
            m = k - 1
            while m >= 0:
                y = order[m]
                # Python's scored.sort(reverse=True): similarity, fewer tokens, then positions
                if c_sim[x] != c_sim[y]:
                    first = c_sim[x] > c_sim[y]
                elif c_lensum[x] != c_lensum[y]:
                    first = c_lensum[x] < c_lensum[y]
                elif c_qkey[x] != c_qkey[y]:
                    first = c_qkey[x] > c_qkey[y]
                else:
                    first = c_ekey[x] > c_ekey[y]
                if not first:
                    break
                order[m + 1] = y
                m -= 1
            order[m + 1] = x
        for k in range(qn):
            used_q[k] = False
        for k in range(en):
            used_e[k] = False
        matched_weight = 0.0
        numerator = 0.0
        strong_tokens = 0
        initials_agreeing = 0
        n_pairs = 0
        all_common = True
        all_exact = True
        rare_hit = False
        for k in range(nc):
            c = order[k]
            a, b = c_qu[c], c_eu[c]
            qa, qlen, eb, elen = units[a, _U_FIRST], units[a, _U_LEN], units[b, _U_FIRST], units[b, _U_LEN]
            taken = False
            for i in range(qa, qa + qlen):
                if used_q[i]:
                    taken = True
            for i in range(eb, eb + elen):
                if used_e[i]:
                    taken = True
            if taken:
                continue
            # the units' tokens are paired; a unit weighs as its heaviest token
            wq = weights[form_tokens[qt0 + qa, _FT_WEIGHT]]
            for i in range(qa, qa + qlen):
                used_q[i] = True
                if weights[form_tokens[qt0 + i, _FT_WEIGHT]] > wq:
                    wq = weights[form_tokens[qt0 + i, _FT_WEIGHT]]
            we = weights[form_tokens[et0 + eb, _FT_WEIGHT]]
            for i in range(eb, eb + elen):
                used_e[i] = True
                if weights[form_tokens[et0 + i, _FT_WEIGHT]] > we:
                    we = weights[form_tokens[et0 + i, _FT_WEIGHT]]
            sim = c_sim[c]
            level = c_level[c]
            weight = (wq + we) / 2
            matched_weight += weight
            numerator += weight * sim
            if record:
                chosen_units[p, n_pairs, 0] = a
                chosen_units[p, n_pairs, 1] = b
                chosen_units[p, n_pairs, 2] = level
                chosen_sim[p, n_pairs] = sim
            n_pairs += 1
            if level == INITIAL:
                initials_agreeing += 1
            elif level == INITIALS:
                initials_agreeing += max(qlen, elen)
            if sim >= _STRONG_PART and level != INITIAL and level != INITIALS:
                # an initial agreeing with an initial is not a strong part, nor are initials run
                # together against a token of one or two letters (compare_names)
                len_a, len_b = t_rec[units[a, _U_TOK], _T_LEN], t_rec[units[b, _U_TOK], _T_LEN]
                one_letters = len_a == 1 and len_b == 1
                if not one_letters and qlen > 1 and len_b < 3:
                    one_letters = True
                    for i in range(qa, qa + qlen):
                        if t_rec[form_tokens[qt0 + i, _FT_TOK], _T_LEN] != 1:
                            one_letters = False
                if not one_letters and elen > 1 and len_a < 3:
                    one_letters = True
                    for i in range(eb, eb + elen):
                        if t_rec[form_tokens[et0 + i, _FT_TOK], _T_LEN] != 1:
                            one_letters = False
                all_particle = True
                for i in range(qa, qa + qlen):
                    if form_tokens[qt0 + i, _FT_PARTICLE] == 0:
                        all_particle = False
                e_real_unit = 0
                for i in range(eb, eb + elen):
                    if form_tokens[et0 + i, _FT_PARTICLE] == 0:
                        e_real_unit += 1
                # a traveller's particle that is the short form of the list's given name (BEN ~
                # BENJAMIN) counts as that given name
                if (not all_particle or level == NICKNAME and e_real_unit > 0) and not one_letters:
                    strong_tokens += max(qlen, e_real_unit)
                if units[b, _U_RARE]:
                    rare_hit = True
            qt, et = units[a, _U_TOK], units[b, _U_TOK]
            # the traveller's side a particle: the token's flag in this name, a joined unit's spelling
            q_part = form_tokens[qt0 + qa, _FT_PARTICLE] if qlen == 1 else t_rec[qt, _T_FLAGS] & _PARTICLE
            if not ((t_rec[qt, _T_FLAGS] | t_rec[et, _T_FLAGS]) & _COMMON or q_part):
                all_common = False
            if level != EXACT:
                all_exact = False
        if initials_agreeing >= 2:
            strong_tokens += 1  # initials agreeing with given names: one part together
        left_q = 0.0
        any_extra = False
        for i in range(qn):
            if not used_q[i]:
                left_q += weights[form_tokens[qt0 + i, _FT_WEIGHT]]
                any_extra = True
        left_e = 0.0
        for i in range(en):
            if not used_e[i]:
                left_e += weights[form_tokens[et0 + i, _FT_WEIGHT]]
                any_extra = True
        # a surname with no part agreeing is a conflict even when the other name has nothing left
        left_q += _lost_surname(form_tokens, qt0, qn, used_q, weights) * lost
        left_e += _lost_surname(form_tokens, et0, en, used_e, weights) * lost
        # a patronymic missing on one side is expected (passports do not write it): when it is
        # all the other name lacks it weighs missing_patronymic_weight of itself; against a
        # leftover on the other side (a different father, or a surname ending -EVICH) in full
        pat_q = _patronymic_left(form_tokens, qt0, qn, used_q, weights, t_rec)
        pat_e = _patronymic_left(form_tokens, et0, en, used_e, weights, t_rec)
        if pat_q > 0 and left_e == 0.0:
            left_q -= pat_q * (1.0 - patronymic_weight)
        elif pat_e > 0 and left_q == 0.0:
            left_e -= pat_e * (1.0 - patronymic_weight)
        conflict = min(left_q, left_e)
        extra = max(left_q, left_e) - conflict
        denominator = matched_weight + conflict_weight * conflict + extra_weight * extra
        score = numerator / denominator if denominator != 0.0 else 0.0
        q_real = qn
        for i in range(qn):
            q_real -= form_tokens[qt0 + i, _FT_PARTICLE]
        e_real = en
        for i in range(en):
            e_real -= form_tokens[et0 + i, _FT_PARTICLE]
        capped = False
        if strong_tokens < 2 and max(q_real, e_real) >= 2 and not _same_tokens(form_tokens, qt0, qn, et0, en):
            # (a name is not capped against itself: nothing can agree more, even when its tokens
            # are initials, A A vs A A)
            score *= _SINGLE_PART_CAP
            capped = True
        common_only = n_pairs > 0 and all_common
        if common_only:
            score *= common_factor
        if f_rec[ef, _F_LOWQ] or f_rec[qf, _F_LOWQ]:
            score *= lowq_factor
        if loose:
            weak = False
        elif not any_extra and all_exact:
            weak = False
        else:
            weak = not rare_hit
        out_score[p] = score
        out_common[p] = common_only
        out_weak[p] = weak
        out_flags[p] = (_CONFLICT if conflict > 0 else 0) | (_CAPPED if capped else 0)
        if record:
            chosen_n[p] = n_pairs
