"""The blocking key rules, written once: keys as 64-bit codes, made in compiled code for a batch
of spellings at once.

What each key kind is for is told in :mod:`pipelines.screening.engine.index` (which builds the
index with these codes); here is the one implementation both the build and the look-up (both
engines') use. Making ~40 strings such as ``P|ABDL|RHMN`` for a traveller's new name and hashing
them took ~55 us of Python, a quarter of a traveller's cost at a million entries, and ~10 us
per list spelling at build. So a key is a *code* mixed from the hashes of its parts:
its kind (``S``, ``P``, ``I``, ...) and Python's hashes of the skeletons, letters or coarse keys
it joins (``hash(str)`` is cached in the string, so a known token's parts cost nothing more).
Which parts a spelling has (its tokens' skeletons and, on the traveller side, their nickname,
stem and first-sound alternatives; joined neighbours; letters; coarse keys) is gathered in
Python, mostly from caches (:meth:`KeyBatch._add_form`); which combinations of them are keys
(token pairs with every alternative, keys with initials, coarse pairs, ...) is one numba loop
over a batch of spellings (:func:`_emit`). The one-edit (``E``) and document (``D``, ``X``) keys
are stated as strings (:func:`deletion_keys`, :func:`document_keys`) and coded with
:func:`code_of`.

A batch made with ``spelled=True`` also spells its keys out (:meth:`KeyBatch.keys`, for
explanations and tests), from the same loop; :func:`code_of` maps such a string back to its code
(``tests/screening/test_screening_keycodes.py`` holds the two equal on every key kind and rule
switch). Python's string hash is salted per process, so codes mean something only inside the
process that made them: the index is built once per worker (``Screener`` in ``setup()``).
"""

from __future__ import annotations

import functools
import re
from array import array

import numba
import numpy as np

from pipelines.screening.engine.name_parts import baltic_stem
from pipelines.screening.engine.settings import BlockingSettings, blocking_settings
from pipelines.screening.normalise.names import (COMMON_TOKENS, PARTICLES, coarse, coarse_of_skeleton, is_particle,
                                                 joined_skeleton, skeleton)
from pipelines.screening.normalise.name_frequency import population_share
from pipelines.screening.normalise.nicknames import variants
from pipelines.screening.normalise.romanisation import romanisation_key

__all__ = ["KIND", "MAX_KEY_TOKENS", "MAX_WHOLE_TOKENS", "KeyBatch", "alternatives", "code_of", "deletion_keys",
           "document_code", "document_keys", "documents_codes", "forget_list_edit_keys", "is_initial", "neighbourhood",
           "kind_codes", "one_part_codes", "real_positions", "second_letter"]

#: key kind letter -> number mixed into the code (``C`` with one part and with two are different
#: keys in the string form too: ``C|BLG`` vs ``C|BLG|BM``)
_S, _P, _I, _C, _W, _D, _C2, _E, _X = 1, 2, 3, 4, 5, 6, 7, 8, 9
# per spelling, which optional keys the kernel makes (bits of KeyBatch's ``flags``)
_SECOND_LETTERS, _COARSE_PAIRS, _WHOLE_COARSE_W, _WHOLE_COARSE_C = 1, 2, 4, 8
KIND = {"S": _S, "P": _P, "I": _I, "C": _C, "W": _W, "D": _D, "C2": _C2, "E": _E, "X": _X}
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix_py(x: int) -> int:
    """splitmix64's finaliser: every input bit reaches every output bit (the look-up's directory
    reads the codes' top bits, so they must be uniform)."""
    x ^= x >> 30
    x = (x * _M1) & _MASK
    x ^= x >> 27
    x = (x * _M2) & _MASK
    return x ^ (x >> 31)


def _code_py(kind: int, a: int, b: int) -> int:
    x = _mix_py(((a & _MASK) + kind * _GOLDEN) & _MASK)
    x = _mix_py(x ^ (b & _MASK))
    x = x | 1 if kind == _I else x & ~1  # the lowest bit tells a key with initial (see is_initial)
    return x - (1 << 64) if x >= 1 << 63 else x


def is_initial(code):
    """1 for a key with initial (``I``, whose blocks have their own, smaller size limit), else 0;
    works on numpy arrays of codes too."""
    return code & 1


def code_of(key: str) -> int:
    """The code of a string key (``P|ABDL|RHMN``, ``I|MHMD|A``, ``D|X123``, ...): unordered pairs
    (``P``, two-part ``C``) in a fixed order, one-part keys with 0 as the second part."""
    kind, *parts = key.split("|")
    if len(parts) == 1:
        return _code_py(KIND[kind], hash(parts[0]), 0)
    a, b = hash(parts[0]), hash(parts[1])
    if kind == "I":
        return _code_py(KIND["I"], a, b)
    if a > b:
        a, b = b, a
    return _code_py(KIND["C2" if kind == "C" else kind], a, b)


# ----------------------------------------------------------------------------------------------
# compiled twin of _code_py and the batch generator

_U_GOLDEN, _U_M1, _U_M2 = np.uint64(_GOLDEN), np.uint64(_M1), np.uint64(_M2)
_U30, _U27, _U31, _U1 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(1)


@numba.njit(cache=True, nogil=True, inline="always")
def _mix(x):
    x ^= x >> _U30
    x *= _U_M1
    x ^= x >> _U27
    x *= _U_M2
    return x ^ (x >> _U31)


@numba.njit(cache=True, nogil=True, inline="always")
def _code(kind, a, b):
    x = _mix(_mix(np.uint64(a) + np.uint64(kind) * _U_GOLDEN) ^ np.uint64(b))
    if kind == _I:
        x |= _U1
    else:
        x &= ~_U1
    return np.int64(x)


@numba.njit(cache=True, nogil=True, inline="always")
def _put(out, parts, at, kind, a, b):
    """Key ``at``: its code into ``out``, and (when ``parts`` has rows) its kind and the hashes of
    its parts, from which :meth:`KeyBatch.keys` spells it out."""
    if out.size > 0:
        out[at] = _code(kind, a, b)
    if parts.shape[0] > 0:
        parts[at, 0] = kind
        parts[at, 1] = a
        parts[at, 2] = b


@numba.njit(cache=True, nogil=True)
def _emit(f, opt, alt_at, alt, n_real, letter, second, own, whole, has_whole, cos_at, cos, cwhole, flags,
          pairs, with_initial, out, parts, at):
    """Write spelling ``f``'s keys from ``at`` on (duplicates included; see :func:`_put`); returns
    the new end. With ``out`` and ``parts`` empty it only counts (the first pass sizes the output).

    The name key rules, stated once (the module docstring says them in words): which
    combinations of a spelling's parts make keys. :meth:`KeyBatch._add_form` gathers the parts
    (skeletons, letters, coarse keys) and which optional keys the spelling carries."""
    o_lo, o_hi = opt[f], opt[f + 1]
    real = n_real[f]
    fl = flags[f]
    # S: a one-token name's skeletons, or the whole name run together
    if real == 1:
        for x in range(alt_at[o_lo], alt_at[o_lo + 1]):
            _put(out, parts, at, _S, alt[x], 0)
            at += 1
    elif has_whole[f]:
        _put(out, parts, at, _S, whole[f], 0)
        at += 1
    # P: every two options' alternatives (different skeletons)
    if pairs:
        for o1 in range(o_lo, o_hi):
            for o2 in range(o1 + 1, o_hi):
                for x in range(alt_at[o1], alt_at[o1 + 1]):
                    a = alt[x]
                    for y in range(alt_at[o2], alt_at[o2 + 1]):
                        b = alt[y]
                        if a != b:
                            _put(out, parts, at, _P, min(a, b), max(a, b))
                            at += 1
    # I: a real token's skeletons with every other real token's first letter (and, on the query
    # side, its own skeleton with the other's second letter)
    if with_initial and real > 1:
        for k in range(o_lo, o_lo + real):
            for j in range(o_lo, o_lo + real):
                if j == k:
                    continue
                for x in range(alt_at[k], alt_at[k + 1]):
                    _put(out, parts, at, _I, alt[x], letter[j])
                    at += 1
                if fl & _SECOND_LETTERS and second[j] != 0:
                    _put(out, parts, at, _I, own[k], second[j])
                    at += 1
    # C: the whole name's coarse key and pairs of the tokens' coarse keys; W: the whole coarse key
    if fl & _COARSE_PAIRS:
        if fl & _WHOLE_COARSE_C:
            _put(out, parts, at, _C, cwhole[f], 0)
            at += 1
        for x in range(cos_at[f], cos_at[f + 1]):
            for y in range(x + 1, cos_at[f + 1]):
                _put(out, parts, at, _C2, min(cos[x], cos[y]), max(cos[x], cos[y]))
                at += 1
    if fl & _WHOLE_COARSE_W:
        _put(out, parts, at, _W, cwhole[f], 0)
        at += 1
    return at


@numba.njit(cache=True, nogil=True)
def _generate(n_forms, opt, alt_at, alt, n_real, letter, second, own, whole, has_whole, cos_at, cos, cwhole,
              flags, pairs, with_initial, group_at, group_forms, extra_at, extra):
    """Codes per group (an entry: its spellings; a traveller: one), sorted, each once, plus the
    group's extra codes (documents). Group ``g``'s spellings: ``group_forms[group_at[g]:group_at[g + 1]]``
    (a spelling many entries share is gathered once)."""
    empty = np.empty(0, dtype=np.int64)
    no_parts = np.empty((0, 3), dtype=np.int64)
    n_groups = group_at.size - 1
    form_count = np.empty(n_forms, dtype=np.int64)
    for f in range(n_forms):
        form_count[f] = _emit(f, opt, alt_at, alt, n_real, letter, second, own, whole, has_whole, cos_at, cos,
                              cwhole, flags, pairs, with_initial, empty, no_parts, 0)
    total = extra.size
    for x in range(group_forms.size):
        total += form_count[group_forms[x]]
    out = np.empty(total, dtype=np.int64)
    counts = np.zeros(n_groups, dtype=np.int64)
    at = 0
    for g in range(n_groups):
        start = at
        for x in range(group_at[g], group_at[g + 1]):
            at = _emit(group_forms[x], opt, alt_at, alt, n_real, letter, second, own, whole, has_whole, cos_at,
                       cos, cwhole, flags, pairs, with_initial, out, no_parts, at)
        for x in range(extra_at[g], extra_at[g + 1]):
            out[at] = extra[x]
            at += 1
        if at - start > 1:
            # sort the group's codes and keep each once (a set, as the string rules build)
            chunk = np.sort(out[start:at])
            kept = start
            for x in range(chunk.size):
                if x == 0 or chunk[x] != chunk[x - 1]:
                    out[kept] = chunk[x]
                    kept += 1
            at = kept
        counts[g] = at - start
    return out[:at].copy(), counts


@numba.njit(cache=True, nogil=True)
def _one_part_codes(kinds, hashes):
    out = np.empty(hashes.size, dtype=np.int64)
    for i in range(hashes.size):
        out[i] = _code(kinds[i], hashes[i], 0)
    return out


def one_part_codes(keys) -> tuple[int, ...]:
    """:func:`code_of` of many one-part keys (``D|X1234``, ``X|1234``, ``E|KWLCZK``) in one
    compiled call: the same codes, without a Python mix per key (a document's ten one-edit keys
    cost ~30 us of Python a traveller that way)."""
    if not keys:
        return ()
    split = [key.split("|", 1) for key in keys]
    kinds = np.fromiter((KIND[kind] for kind, _ in split), dtype=np.int64, count=len(split))
    hashes = np.fromiter((hash(part) for _, part in split), dtype=np.int64, count=len(split))
    return tuple(_one_part_codes(kinds, hashes).tolist())


@numba.njit(cache=True, nogil=True)
def _one_kind_codes(kind, hashes):
    out = np.empty(hashes.size, dtype=np.int64)
    for i in range(hashes.size):
        out[i] = _code(kind, hashes[i], 0)
    return out


def kind_codes(kind: str, parts) -> list[int]:
    """:func:`code_of` of the one-part keys ``<kind>|<part>`` for each of ``parts``, without
    spelling the keys out (a traveller's document and one-edit keys: a dozen strings each)."""
    if not parts:
        return []
    hashes = np.fromiter(map(hash, parts), dtype=np.int64, count=len(parts))
    return _one_kind_codes(KIND[kind], hashes).tolist()


# ----------------------------------------------------------------------------------------------
# gathering a batch's parts (Python, mostly cached per token)

MAX_KEY_TOKENS = 7
#: most tokens of a Latin name that carries a ``W`` key (names longer than this are not written
#: as one run of syllables in practice)
MAX_WHOLE_TOKENS = 4
_ZEROS = array("q", [0] * 2 * MAX_KEY_TOKENS)


@functools.lru_cache(maxsize=100_000)
def alternatives(token: str, expand_nicknames: bool) -> frozenset[str]:
    """A token's skeleton, and at query time (``expand_nicknames``) its nicknames' skeletons,
    for a token with a Latvian nominative -S (:func:`name_parts.baltic_stem`) its stem's, and for
    a token in Somali orthography (C for ayn, X for ha: :func:`romanisation.romanisation_key`) its
    reading's, so that ``MAXAMED CALI`` finds ``MOHAMED ALI``, where the two share no key (cached:
    given names repeat across travellers even when whole names do not)."""
    if not expand_nicknames:
        return frozenset((skeleton(token),))
    out = {skeleton(token)} | {skeleton(v) for v in variants(token)}
    stem = baltic_stem(token)
    if stem is not None:
        out.add(skeleton(stem))  # Latvian nominative -S: LAVROVS queries as LAVROV too
    initial = _VOICED_INITIAL.get(token[:1]) if len(token) >= 4 and token[1:2] not in "HJ" \
        and token not in COMMON_TOKENS else None
    if initial is not None:
        out.add(skeleton(initial + token[1:]))  # QADDAFI queries as GADDAFI, GYONG as KYONG
    reading = romanisation_key(token)
    if reading is not None and not reading.startswith("~") and not ("X" in token and _PINYIN.match(token)):
        out.add(reading)  # Somali orthography: CALI queries as ALI, MAXAMED as MOHAMED (skeletons)
    return frozenset(out)


#: a token written as pinyin syllables (each after the first with its initial; J, Q and X only
#: before I or U). Its X is pinyin's, not Somali's ha: XINYI and XIAOYAN do not query as HINYI
#: and HIAOYAN, which would add Vietnamese HUYNH and Korean HAEUN to their candidates, while
#: XASAN, XUSEEN and XIRSI do not parse and keep their Somali reading.
_PINYIN_FINALS = "IANG|IONG|UANG|ANG|ENG|ING|ONG|UAI|IAO|IAN|UAN|AI|EI|AO|OU|AN|EN|IN|UN|IA|IE|IU|UA|UO|UE|UI|ER|A|O|E|I|U"
_PINYIN_SYLLABLE = (f"(?:(?:ZH|CH|SH|[BPMFDTNLGKHRZCSYW])(?:{_PINYIN_FINALS})"
                    "|[JQX](?:IANG|IONG|IAO|IAN|ING|UAN|IA|IE|IU|IN|UE|UN|I|U))")
_PINYIN = re.compile(f"^(?:(?:{_PINYIN_FINALS})|{_PINYIN_SYLLABLE})(?:{_PINYIN_SYLLABLE})*$")


#: A first K-sound is written K, Q, C or G depending on who romanised it: Arabic qaf is Q, K or
#: G (QADDAFI, KADHAFI, GADDAFI; QASIM, GASIM), Korean RR writes G where McCune-Reischauer
#: writes K (GYEONG, KYONG), pinyin G where Wade-Giles writes K (GUO, KUO). The skeleton already
#: makes Q and C into K; a traveller's token starting with one of them also queries its G
#: spelling, one starting with G its K spelling (query side only: the index does not grow).
#: Not before H or J (GH, KH, CH are other sounds), nor in tokens under four letters, nor in very
#: common tokens (GOMEZ, GARCIA): their other spellings are common too, and the big blocks they
#: add would crowd the true entry out of the candidate cap (seen at a million entries).
_VOICED_INITIAL = {"K": "G", "Q": "G", "C": "G", "G": "K"}


@functools.lru_cache(maxsize=100_000)
def _alternative_hashes(token: str, expand_nicknames: bool) -> tuple[int, ...]:
    return tuple(map(hash, alternatives(token, expand_nicknames)))


def real_positions(tokens: tuple[str, ...], particles: tuple[bool, ...] = (), query: bool = False) -> list[int]:
    """Positions of the tokens that key a name: not particles (all of them when all are), at most
    ``MAX_KEY_TOKENS``. ``particles``: the name's own flags (:func:`names.particle_flags`; empty:
    every token spelled like a particle is one).

    ``query``: a traveller's name that opens with a particle which is also a given name's short
    form (``BEN``, ``AL``, ``DI``: the nickname table knows them) before a real token keys that
    particle too, as the given name it may be (``BEN NETANYAHU`` finds ``BENJAMIN NETANYAHU``);
    only queries do, so the list's ``AL ASSAD`` stays keyed on ``ASSAD``."""
    if particles:
        real = [i for i, flag in enumerate(particles) if not flag] or list(range(len(tokens)))
    else:
        real = [i for i, t in enumerate(tokens) if t not in PARTICLES] or list(range(len(tokens)))
    if query and real and real[0] == 1 and variants(tokens[0]):
        real.insert(0, 0)
    return real[:MAX_KEY_TOKENS]


def second_letter(token: str) -> str | None:
    """The letter a query-side second-letter ``I`` key carries for ``token``
    (travellers' ``I`` keys with a token's second letter in place of its first: two letters
    swapped at the start, ``ARCHEL``/``RACHEL``, or a dropped first letter): its second, for
    tokens of 3+ letters whose first two letters differ; None otherwise."""
    return token[1] if len(token) >= 3 and token[1] != token[0] else None


def document_code(number: str) -> int:
    """The code of ``D|<number>`` (a normalised document number)."""
    return _code_py(KIND["D"], hash(number), 0)


# ----------------------------------------------------------------------------------------------
# one-edit keys: stated once, as strings; both engines use these functions (the reference engine
# the strings, the build and the compiled look-up their codes, ``code_of`` of the same strings)

#: shortest document number with one-edit keys (``documents.compare_document`` needs 5 to agree;
#: a 5-character number's neighbours are 4 characters, too many numbers share them)
MIN_EDIT_DOCUMENT = 6


@functools.lru_cache(maxsize=200_000)
def neighbourhood(text: str) -> tuple[str, ...]:
    """``text`` and every string made by deleting one of its characters (symmetric delete, as
    SymSpell does): two strings share an element exactly when one edit (a substitution, an
    insertion or deletion, or two neighbouring characters swapped) turns one into the other."""
    return tuple(dict.fromkeys((text,) + tuple(text[:i] + text[i + 1:] for i in range(len(text)))))


def document_keys(number: str, one_edit: bool) -> tuple[str, ...]:
    """The keys of a normalised document number: ``D|<number>``, and with ``one_edit`` its
    one-edit neighbourhood as ``X`` keys (a keying error in a listed or a read number, a lost
    document re-entered with one character wrong). Both sides make the same keys."""
    if not number:
        return ()
    if not one_edit or len(number) < MIN_EDIT_DOCUMENT:
        return ("D|" + number,)
    return ("D|" + number,) + tuple("X|" + v for v in neighbourhood(number))


@functools.lru_cache(maxsize=200_000)
def _document_codes(number: str, one_edit: bool) -> tuple[int, ...]:
    # the codes of document_keys(number, one_edit), in its order
    if not number:
        return ()
    if not one_edit or len(number) < MIN_EDIT_DOCUMENT:
        return tuple(kind_codes("D", (number,)))
    return tuple(kind_codes("D", (number,)) + kind_codes("X", neighbourhood(number)))


def document_key_codes(number: str, one_edit: bool) -> tuple[int, ...]:
    """The codes of :func:`document_keys` (cached per number)."""
    return _document_codes(number, one_edit)


def documents_codes(documents, rules: BlockingSettings) -> list[int]:
    """The codes of normalised documents' (``(number, issuer)`` pairs) keys, both sides: none
    when document keys are off."""
    if not rules.document_number:
        return []
    one_edit = rules.document_one_edit
    return [code for number, _ in documents if number for code in _document_codes(number, one_edit)]


def deletion_tokens(tokens: tuple[str, ...], particles: tuple[bool, ...], query: bool,
                    rules: BlockingSettings) -> list[str]:
    """The tokens of a name keyed by their one-edit neighbourhood (``E`` keys): Latin tokens of
    at least ``deletion_min_length`` letters that keys the name (:func:`real_positions`). On the
    list side only *rare* ones (population share under ``deletion_rare_share``,
    :func:`name_frequency.population_share`; a token in no table counts as rare): a rare token is
    what narrows a name down, and its typo next to a common given name shares no other key with the
    right spelling except the given name's (huge) blocks. A traveller queries every token's
    neighbourhood, so a listed misspelling of a common surname (``RODRIGEZ``) is found too."""
    if not rules.deletion_neighbourhood:
        return []
    least, rare = rules.deletion_min_length, rules.deletion_rare_share
    return [tokens[i] for i in real_positions(tokens, particles, query)
            if len(tokens[i]) >= least and tokens[i].isalpha() and (query or population_share(tokens[i]) < rare)]


def deletion_keys(tokens: tuple[str, ...], particles: tuple[bool, ...], query: bool,
                  rules: BlockingSettings) -> set[str]:
    """The ``E`` keys of a name: each :func:`deletion_tokens` token's :func:`neighbourhood`."""
    return {"E|" + v for t in deletion_tokens(tokens, particles, query, rules) for v in neighbourhood(t)}


@functools.lru_cache(maxsize=200_000)
def _token_deletion_codes(token: str) -> tuple[int, ...]:
    return tuple(kind_codes("E", neighbourhood(token)))  # the codes of "E|" + each


def forget_list_edit_keys() -> None:
    """Empty the one-edit caches once a list is built: a million-entry list fills them with its
    rare tokens (~180 MB), which travellers seldom ask again."""
    neighbourhood.cache_clear()
    _token_deletion_codes.cache_clear()
    _document_codes.cache_clear()


def deletion_codes(tokens: tuple[str, ...], particles: tuple[bool, ...], query: bool,
                   rules: BlockingSettings) -> list[int]:
    """The codes of :func:`deletion_keys` (cached per token)."""
    out: list[int] = []
    for t in deletion_tokens(tokens, particles, query, rules):
        out.extend(_token_deletion_codes(t))
    return out


class KeyBatch:
    """Collects spellings, grouped (an entry's spellings; a traveller's name), and makes every
    group's codes in one compiled call. ``rules``: the settings' ``blocking`` section (a
    mapping of some of its keys is overlaid on the packaged defaults).

    ``query=True`` is the traveller side: nickname alternatives, second-letter ``I`` keys, the
    coarse keys for every name and the ``W`` key for loose-script names. Otherwise the list side:
    own skeletons, coarse keys for loose-script and one-token spellings, ``W`` keys for Latin
    names of 2-4 tokens (see :mod:`pipelines.screening.engine.index`)."""

    def __init__(self, rules: BlockingSettings | dict | None, query: bool, spelled: bool = False):
        """``spelled``: also remember every part's text, so :meth:`keys` can spell the keys out
        (for explanations and tests; the build and the look-up need only the codes)."""
        self.query = query
        #: a part's hash -> its text (``spelled`` only)
        self._text: dict[int, str] | None = {} if spelled else None
        self._hash = self._remember if spelled else hash
        self.rules = rules = blocking_settings(rules)
        self.joined, self.pairs, self.with_initial = rules.joined_tokens, rules.token_pairs, rules.key_with_initial
        # flat int64 arrays, not lists: a million-entry build would hold ~20 M Python ints
        self._opt, self._alt_at, self._alt = array("q", [0]), array("q", [0]), array("q")
        self._n_real, self._letter, self._second, self._own = array("q"), array("q"), array("q"), array("q")
        self._whole, self._has_whole, self._cwhole, self._flags = array("q"), array("b"), array("q"), array("i")
        self._cos_at, self._cos = array("q", [0]), array("q")
        self._group_at, self._group_forms = array("q", [0]), array("q")
        self._extra_at, self._extra = array("q", [0]), array("q")
        #: spellings gathered so far, by identity (list entries share NameForm objects: entry_forms),
        #: and the spellings themselves, kept alive so that no other object takes over an id
        self._row_of: dict[int, int] = {}
        self._gathered: list = []

    def add(self, forms, extra_codes=()) -> None:
        """One group: its spellings (:class:`NameForm`) and extra codes (documents). A spelling
        already gathered (the same object) is not gathered again."""
        row_of = self._row_of
        for form in forms:
            row = row_of.get(id(form))
            if row is None:
                row = row_of[id(form)] = len(self._n_real)
                self._gathered.append(form)
                self._add_form(form)
            self._group_forms.append(row)
            if not form.loose:
                # E keys (the group's codes are sorted and de-duplicated with the rest)
                self._extra.extend(deletion_codes(form.tokens, form.particles, self.query, self.rules))
        self._group_at.append(len(self._group_forms))
        self._extra.extend(extra_codes)
        self._extra_at.append(len(self._extra))

    def _add_form(self, form) -> None:
        tokens, query, hash = form.tokens, self.query, self._hash  # noqa: A001 (hash, or hash and remember)
        n = len(tokens)
        real = real_positions(tokens, form.particles, query)
        alt, alt_at = self._alt, self._alt_at
        letter_append, second_append, own_append = self._letter.append, self._second.append, self._own.append
        for i in real:
            token = tokens[i]
            if query:
                if self._text is not None:
                    for text in alternatives(token, True):
                        hash(text)
                alt.extend(_alternative_hashes(token, True))
            else:
                alt.append(hash(skeleton(token)))  # a list's tokens outnumber any cache; skeleton has one
            alt_at.append(len(alt))
            letter_append(hash(token[0]))
            second = second_letter(token) if query else None
            second_append(0 if second is None else hash(second))
            own_append(hash(skeleton(token)) if query else 0)
        options = len(real)
        pair_skeleton = ""
        if self.joined:
            for i in range(min(n, MAX_KEY_TOKENS) - 1):
                pair_skeleton = joined_skeleton(tokens[i] + tokens[i + 1])
                alt.append(hash(pair_skeleton))
                alt_at.append(len(alt))
                options += 1
                if i + 2 < n and tokens[i] in PARTICLES and tokens[i + 1] in PARTICLES:
                    alt.append(hash(joined_skeleton("".join(tokens[i:i + 3]))))  # DE LA CRUZ -> DELACRUZ
                    alt_at.append(len(alt))
                    options += 1
            padding = _ZEROS[:options - len(real)]
            self._letter.extend(padding)
            self._second.extend(padding)
            self._own.extend(padding)
        self._opt.append(self._opt[-1] + options)
        self._n_real.append(len(real))
        one = n == 1
        coarse_keys = query or form.loose or one
        whole_coarse = query and form.loose or not query and not form.loose and 2 <= n <= MAX_WHOLE_TOKENS
        whole = len(real) != 1 and self.joined and n <= 4
        whole_skeleton = ""
        if whole or coarse_keys or whole_coarse:
            # the whole name run together; a two-token name's is its joined pair, made above
            whole_skeleton = pair_skeleton if n == 2 and pair_skeleton else \
                (skeleton(tokens[0]) if n == 1 else joined_skeleton("".join(tokens)))
        self._has_whole.append(whole)
        self._whole.append(hash(whole_skeleton) if whole else 0)
        flags = 0
        cwhole = 0
        if coarse_keys or whole_coarse:
            joined_coarse = coarse_of_skeleton(whole_skeleton)
            cwhole = hash(joined_coarse)
        if coarse_keys:
            flags |= _COARSE_PAIRS
            if n <= 6 and len(joined_coarse) >= 2:
                flags |= _WHOLE_COARSE_C
            kept = [t for t in tokens if not is_particle(t)] or list(tokens)
            codes = {c for c in map(coarse, kept[:MAX_KEY_TOKENS]) if len(c) >= 2}
            self._cos.extend(hash(c) for c in codes)
        self._cos_at.append(len(self._cos))
        if whole_coarse:
            flags |= _WHOLE_COARSE_W
        if query and self.with_initial:
            flags |= _SECOND_LETTERS
        self._flags.append(flags)
        self._cwhole.append(cwhole)

    def _remember(self, text: str) -> int:
        code = hash(text)
        self._text[code] = text
        return code

    def __len__(self) -> int:
        return len(self._group_at) - 1

    def keys(self) -> list[set[str]]:
        """Every group's keys spelled out (``P|ABDL|RHMN``; made with ``spelled=True``): the same
        rules as :meth:`codes` (one kernel makes both), so ``{code_of(k) for k in keys()[g]}`` is
        group ``g``'s codes. For reading and explaining, not for speed."""
        if self._text is None:
            raise ValueError("KeyBatch(..., spelled=True) spells its keys out; this one keeps codes only")
        arrays = self._arrays()
        text, names = self._text, {_S: "S", _P: "P", _I: "I", _C: "C", _W: "W", _C2: "C"}
        no_codes = np.empty(0, dtype=np.int64)
        spelled = []
        for f in range(len(self._n_real)):
            count = _emit(f, *arrays[:13], self.pairs, self.with_initial, no_codes, np.empty((0, 3), np.int64), 0)
            parts = np.empty((count, 3), dtype=np.int64)
            _emit(f, *arrays[:13], self.pairs, self.with_initial, no_codes, parts, 0)
            keys = set()
            for kind, a, b in parts.tolist():
                if kind in (_P, _C2):  # unordered: its parts in alphabetical order
                    keys.add("|".join((names[kind], *sorted((text[a], text[b])))))
                else:
                    keys.add(names[kind] + "|" + text[a] + ("|" + text[b] if kind == _I else ""))
            spelled.append(keys)
        groups = []
        group_at, group_forms = self._group_at, self._group_forms
        for g in range(len(self)):
            keys = set()
            for x in range(group_at[g], group_at[g + 1]):
                keys |= spelled[group_forms[x]]
            groups.append(keys)
        return groups

    def _arrays(self) -> tuple:
        def view(values, dtype=np.int64):
            return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype)
        return (view(self._opt), view(self._alt_at), view(self._alt), view(self._n_real), view(self._letter),
                view(self._second), view(self._own), view(self._whole),
                view(self._has_whole, np.int8).astype(np.bool_), view(self._cos_at), view(self._cos),
                view(self._cwhole), view(self._flags, np.int32), view(self._group_at), view(self._group_forms),
                view(self._extra_at), view(self._extra))

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(codes, counts): every group's distinct codes, sorted, one group after another."""
        arrays = self._arrays()
        return _generate(len(self._n_real), *arrays[:13], self.pairs, self.with_initial, *arrays[13:])
