"""Name comparison: how two names agree, and why, in words.

It is alignment-based (the idea of OpenSanctions' logic-v2, built differently):

* each token of one name is paired with at most one token (or two adjacent tokens joined, for
  ``ABDUL RAHMAN`` ~ ``ABDULRAHMAN``) of the other, best pairs first, in any order, so
  surname/given-name swaps cost nothing;
* a pair's similarity is the first level that applies: ``exact`` > ``phonetic`` (same consonant
  skeleton: vowel and transliteration spellings) > ``nickname`` > ``typo`` (optimal string
  alignment distance, scaled so one edit in a short token already costs a lot) > ``initial``;
  Jaro-Winkler is deliberately not the main measure because it is lenient on short names;
* tokens left unpaired are penalised by *whether the other name also has leftovers*: leftovers
  on both sides (``BORIS`` vs ``VIKTOR`` VEKSELBERG) mean a conflicting name part, a strong sign of
  a different person; leftovers on one side only are a missing or extra middle name, a weak one;
* each token weighs by how much it tells: particles little, very common tokens (``MUHAMMAD``,
  ``KIM``, or frequent in the list itself) less, surname tokens a little more;
* a name that agrees on a single token only (``JOHN`` vs ``JOHN SMITH``) is capped well below any
  threshold: one shared word is not an identification.

Every comparison returns its level and a short text, which become the candidate's explanation.

One implementation: the comparison is written once, as the numba kernel of
:mod:`.compiled.fast_names`, which scores whole batches for the compiled pre-scoring and single
pairs here (:func:`compare_names`, :func:`token_similarity`), so the two screening paths agree by
construction. This module keeps the per-pair API the engine and the tests use and words the
result; :mod:`.name_parts` holds what is known of single tokens before comparing.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

from pipelines.screening.engine.compiled.fast_names import NameTables
from pipelines.screening.engine.name_parts import baltic_stem
from pipelines.screening.engine.settings import NameSettings, default_settings
from pipelines.screening.normalise.names import NameForm

__all__ = ["token_similarity", "compare_names", "compare_in", "NameComparison", "baltic_stem"]


class NameComparison:
    """Result of comparing two names: ``score`` in [0, 1] and a text explaining it.

    The text is built only when read (:attr:`text`): most comparisons of a screening run are
    discarded below the reporting floor, and building their explanation strings cost as much as
    the comparison itself."""

    __slots__ = ("score", "pairs", "extra_query", "extra_entry", "_query", "_entry", "_flags", "_text")

    @property
    def common_only(self) -> bool:
        """Every agreeing token is a very common name (``MARIA``, ``GARCIA``)."""
        return self._flags[2]

    def __init__(self, score: float, pairs: tuple, extra_query: tuple[str, ...], extra_entry: tuple[str, ...],
                 text: str | None = None, query: NameForm | None = None, entry: NameForm | None = None,
                 flags: tuple[bool, bool, bool] = (False, False, False)):
        self.score = score
        self.pairs = pairs
        self.extra_query = extra_query
        self.extra_entry = extra_entry
        self._query, self._entry, self._flags, self._text = query, entry, flags, text

    @property
    def text(self) -> str:
        if self._text is None:
            conflict, capped, common_only = self._flags
            self._text = _explain(self._query, self._entry, self.pairs, self.extra_query, self.extra_entry,
                                  conflict, capped, self.score)
            if common_only:
                self._text += "; every agreeing part is a very common name"
        return self._text

    def __repr__(self) -> str:
        return f"NameComparison(score={self.score}, text={self.text!r})"


#: the ``comparisons.name`` settings the comparison reads
_PARAMS = ("particle_weight", "common_token_weight", "surname_weight", "min_token_similarity", "nickname",
           "phonetic", "initial", "conflict_weight", "extra_weight", "lost_surname_extra", "common_name_factor",
           "low_quality_alias_factor", "missing_patronymic_weight", "nickname_indirect")
#: interned names kept per set of tables before they are dropped (a worker meets names forever)
_MAX_FORMS = 200_000
_tables: OrderedDict[tuple, NameTables] = OrderedDict()
_lock = threading.Lock()
_last: list = [None, None, None]  # settings, common tokens and tables of the last call


def _tables_for(params, common: frozenset[str]) -> NameTables:
    """The interned tables of the kernel for these settings and list-frequent tokens (a few kept,
    most recently used last; the caller holds the lock)."""
    if not (_last[0] is params and _last[1] is common and isinstance(params, NameSettings)):
        # (the same immutable settings and list as the last call, most calls, skip this)
        key = (tuple(float(params[name]) for name in _PARAMS), common)
        tables = _tables.get(key)
        if tables is None:
            # rare_limit -1: no unit is rare (the weak name-only flag is the Screener's, not read here)
            tables = _tables[key] = NameTables(dict(zip(_PARAMS, key[0])), common, {}, -1.0)
            tables.mark()
            while len(_tables) > 8:
                _tables.popitem(last=False)
        else:
            _tables.move_to_end(key)
        _last[:] = [params, common, tables]
    tables = _last[2]
    if tables.added_since_mark() > _MAX_FORMS:
        tables.forget_since_mark()
    return tables


@functools.lru_cache(maxsize=400_000)
def token_similarity(a: str, b: str, loose: bool = False, nickname: float = 0.90,
                     phonetic: float = 0.92, initial: float = 0.50,
                     nickname_indirect: float = 0.85) -> tuple[float, str]:
    """Similarity of two normalised tokens in [0, 1] and the level that gave it: the first of
    ``exact``, ``phonetic`` (same consonant skeleton; Korean surname romanisations), ``nickname``,
    ``typo`` (optimal string alignment distance, ``spec.typo_similarity``), ``initial``; else
    ``differ`` (0).

    ``loose`` is set when either side came from a script that does not write vowels or spells
    consonants by syllable (Arabic, Hebrew, kana): then consonant skeletons are compared with
    edit distance too, and coarse keys for syllabic scripts.

    Same consonants do not make a phonetic match of masculine and feminine forms
    (``FERNANDO``/``FERNANDA``, ``PETROVA``/``PETROV``, ``KOWALSKA``/``KOWALSKI``): a brother or a
    wife, not a spelling. Latvian writes every masculine name with a nominative ``-S``
    (``SERGEJS LAVROVS``): a token with such an ending (:func:`baltic_stem`) is also compared
    without it, at most at the phonetic level, when that reaches ``spec.STRONG_PART``; not on the
    loose path."""
    with _lock:
        tables = _tables_for(default_settings().name, frozenset())
        return tables.token_similarity(a, b, loose, nickname, phonetic, initial, nickname_indirect)


def compare_names(query: NameForm, entry: NameForm, params: dict | None = None,
                  common: frozenset[str] = frozenset()) -> NameComparison:
    """Align two names token by token and score the alignment (see the module docstring);
    ``params``: the ``comparisons.name`` settings (default: the packaged ones); ``common``: the
    list's own very frequent tokens."""
    p = params or default_settings().name
    with _lock:
        return compare_in(_tables_for(p, common), query, entry)


def compare_in(tables: NameTables, query: NameForm, entry: NameForm) -> NameComparison:
    """:func:`compare_names` on given tables: a Screener's compiled tables, which hold every
    spelling of its list already (the settings and frequent tokens are the tables' own). The
    caller keeps other threads off ``tables``."""
    if not query or not entry:
        return NameComparison(0.0, (), query.tokens, entry.tokens, "name: missing on one side")
    found = tables.compare(query, entry)
    return NameComparison(round(found.score, 4), found.pairs, found.extra_query, found.extra_entry, None, query,
                          entry, (found.conflict, found.capped, found.common_only))


def _explain(query: NameForm, entry: NameForm, pairs, extra_q, extra_e, conflict: bool, capped: bool,
             score: float) -> str:
    parts = []
    for q, e, sim, level in pairs:
        parts.append(f"{q}={e}" if level == "exact" else f"{q}~{e} ({level} {sim:.2f})")
    text = f"name {score:.2f}: '{' '.join(query.tokens)}' vs '{' '.join(entry.tokens)}'"
    if entry.original and entry.original.upper() != " ".join(entry.tokens):
        text += f" (list spelling '{entry.original}')"
    text += "; agree: " + (", ".join(parts) if parts else "nothing")
    if extra_q or extra_e:
        kind = "conflicting name parts" if conflict else "extra/missing name parts"
        text += f"; {kind}: traveller {' '.join(extra_q) or '-'} / list {' '.join(extra_e) or '-'}"
    if capped:
        text += "; only one name part agrees"
    if entry.low_quality:
        text += "; low-quality alias"
    return text
