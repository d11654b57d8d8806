"""Candidate index (blocking): which entries are worth scoring for a traveller.

Scoring every entry is O(list size) per traveller; with a million entries that is hopeless. The
index maps *blocking keys* to entries, so a traveller is scored only against entries that share
at least one key, and the cost per traveller depends on how many entries share its keys, not on
the list's size. Keys (each rule can be turned off in the settings' ``blocking`` section):

* ``P`` token pairs: the unordered pair of two tokens' consonant skeletons. A name of n tokens
  gives n(n-1)/2 pairs, so any two tokens that agree phonetically find the entry, whatever the
  order (swaps), whatever else is missing or extra (middle names), however the vowels are spelled
  (transliteration). Adjacent tokens joined (``ABDUL RAHMAN`` -> ``ABDULRAHMAN``) join the pool.
* ``I`` key with initial: one token's skeleton with the other token's first letter, so a
  consonant typo in one token, or an initial, still meets the entry.
* ``S`` single token: only for one-token names (mononyms) on both sides.
* ``D`` document number alone: lost/stolen documents and listed persons' documents.
* ``C`` coarse keys (see :func:`coarse_keys`) on entries written in a loose script or of one
  word, queried by every traveller; ``W`` the whole name's coarse key on Latin entries of 2-4
  tokens, queried only by travellers written in a loose script (:func:`whole_coarse_key`).

At query time given names also try their nickname variants (``BILL`` queries as ``WILLIAM``),
a token with a Latvian nominative -S its stem (``LAVROVS`` as ``LAVROV``), and the ``I`` keys
are also asked with each token's second letter (``ARCHEL`` finds ``RACHEL``): query-side only,
so the index does not grow.
A key shared by more than ``max_block_size`` entries is skipped (it says nothing); a key with
initial, weaker by design, already above ``max_initial_block_size`` (``SMITH`` + ``J`` in a big
list). At most ``max_candidates`` entries, those sharing most keys, are scored.

Keys are strings (``P|ABDL|RHMN``) stored as their Python hashes: the distinct hashes in one sorted
numpy array with where each one's postings start (CSR layout; 4 bytes a posting plus 16 bytes a
distinct key, about half as many keys as postings): compact enough
for a million entries in well under the memory budget, built once per worker (DoFn ``setup``).
Python's string hash is salted per process, so an index is never shared between processes other
than by fork; that is what "built once per worker" means anyway.
"""

from __future__ import annotations

import functools
import itertools
from array import array
from collections import Counter
from typing import Iterable

import numpy as np

from pipelines.screening.compare import baltic_stem
from pipelines.screening.dates import parse_date
from pipelines.screening.documents import normalise_number
from pipelines.screening.names import PARTICLES, NameForm, coarse, is_particle, name_form, skeleton
from pipelines.screening.nicknames import variants

__all__ = ["CandidateIndex", "entry_forms", "form_keys"]

_MAX_KEY_TOKENS = 7


def entry_forms(entry: dict) -> tuple[NameForm, ...]:
    """Every name spelling of an entry as a :class:`NameForm` (primary first)."""
    forms = []
    for name in entry.get("names") or []:
        form = name_form(name.get("surname"), name.get("given_names"), name.get("full_name"),
                         name.get("quality") == "LOW")
        if form:
            forms.append(form)
    return tuple(forms)


def form_keys(form: NameForm, rules: dict, expand_nicknames: bool = False) -> set[str]:
    """Blocking keys of one name spelling (see module docstring), as short strings
    (``P|ABDL|RHMN``): strings hash faster and weigh less than tuples. Cached per token tuple:
    names repeat a lot, on lists and among travellers."""
    return set(_token_keys(form.tokens, bool(rules.get("joined_tokens", True)), bool(rules.get("token_pairs", True)),
                           bool(rules.get("key_with_initial", True)), expand_nicknames, form.particles))


@functools.lru_cache(maxsize=100_000)
def _alternatives(token: str, expand_nicknames: bool) -> frozenset[str]:
    """A token's skeleton, and at query time (``expand_nicknames``) its nicknames' skeletons and,
    for a token with a Latvian nominative -S (:func:`compare.baltic_stem`), its stem's (cached:
    given names repeat across travellers even when whole names do not)."""
    if not expand_nicknames:
        return frozenset((skeleton(token),))
    out = {skeleton(token)} | {skeleton(v) for v in variants(token)}
    stem = baltic_stem(token)
    if stem is not None:
        out.add(skeleton(stem))  # Latvian nominative -S: LAVROVS queries as LAVROV too
    return frozenset(out)


@functools.lru_cache(maxsize=200_000)
def _token_keys(tokens: tuple[str, ...], joined: bool, pairs: bool, with_initial: bool,
                expand_nicknames: bool, particles: tuple[bool, ...] = ()) -> frozenset[str]:
    real = _real_tokens(tokens, particles)
    return frozenset(_keys(tokens, real, [_alternatives(tokens[i], expand_nicknames) for i in real],
                           joined, pairs, with_initial))


def _entry_keys(tokens: tuple[str, ...], joined: bool, pairs: bool, with_initial: bool,
                sks: list[str], particles: tuple[bool, ...] = ()) -> set[str]:
    """``_token_keys(tokens, joined, pairs, with_initial, False)`` for the build: uncached (list
    names are mostly distinct: a cache would only hold memory), from the skeletons the build has
    already computed (``sks``: ``skeleton`` of each token)."""
    real = _real_tokens(tokens, particles)
    return _keys(tokens, real, [(sks[i],) for i in real], joined, pairs, with_initial)


def _real_tokens(tokens: tuple[str, ...], particles: tuple[bool, ...] = ()) -> list[int]:
    """Positions of the tokens that key a name: not particles (all of them when all are), at most
    ``_MAX_KEY_TOKENS``. ``particles``: the name's own flags (:func:`names.particle_flags`; empty:
    every token spelled like a particle is one)."""
    if particles:
        real = [i for i, flag in enumerate(particles) if not flag] or list(range(len(tokens)))
    else:
        real = [i for i, t in enumerate(tokens) if t not in PARTICLES] or list(range(len(tokens)))
    return real[:_MAX_KEY_TOKENS]


def _keys(tokens: tuple[str, ...], real: list[int], alternatives: list, joined: bool, pairs: bool,
          with_initial: bool) -> set[str]:
    """The blocking keys of one spelling (module docstring); ``alternatives[k]``: the skeletons
    token ``real[k]`` may take (its own, and its nicknames' at query time)."""
    options = list(alternatives)
    n = len(tokens)
    if joined:
        for i in range(min(n, _MAX_KEY_TOKENS) - 1):
            options.append((skeleton(tokens[i] + tokens[i + 1]),))
            if i + 2 < n and tokens[i] in PARTICLES and tokens[i + 1] in PARTICLES:
                options.append((skeleton("".join(tokens[i:i + 3])),))  # DE LA CRUZ -> DELACRUZ
    keys: set[str] = set()
    if len(real) == 1:
        keys.update("S|" + sk for sk in options[0])
    elif joined and n <= 4:
        # the whole name run together: 'XI JIN PING' meets 'XIJINPING'
        keys.add("S|" + skeleton("".join(tokens)))
    if pairs:
        for first, second in itertools.combinations(options, 2):
            for a in first:
                for b in second:
                    if a != b:
                        keys.add(f"P|{a}|{b}" if a < b else f"P|{b}|{a}")
    if with_initial and len(real) > 1:
        keys.update(_initial_keys(options[:len(real)], [tokens[i][0] for i in real]))
    return keys


def _initial_keys(skeletons: list, letters: list) -> set[str]:
    """``I`` keys: each real token's skeletons (``skeletons[k]``) with every *other* real
    token's letter (``letters[j]``, None for none)."""
    return {f"I|{sk}|{letter}" for k, alternatives in enumerate(skeletons) for sk in alternatives
            for j, letter in enumerate(letters) if k != j and letter is not None}


@functools.lru_cache(maxsize=100_000)
def second_letter_keys(tokens: tuple[str, ...], particles: tuple[bool, ...] = ()) -> frozenset[str]:
    """Query-side ``I`` keys with a token's *second* letter in place of its first: the most common
    typing error, two letters swapped, moves the first letter when it hits the first two
    (``RACHEL``/``ARCHEL``), and so does a dropped first letter (``RACHEL``/``ACHEL``); the list's
    ``I`` key then carries the second letter of the traveller's token. Only travellers query these
    (the index does not grow); tokens of 3+ letters whose first two letters differ."""
    real = _real_tokens(tokens, particles)
    if len(real) < 2:
        return frozenset()
    seconds = [t[1] if len(t) >= 3 and t[1] != t[0] else None for t in (tokens[i] for i in real)]
    return frozenset(_initial_keys([(skeleton(tokens[i]),) for i in real], seconds))


@functools.lru_cache(maxsize=100_000)
def coarse_keys(tokens: tuple[str, ...]) -> frozenset[str]:
    """``C`` keys: the whole name's :func:`coarse` key, and unordered pairs of tokens' coarse
    keys. Only entries written in a consonant-poor script carry them (few), every traveller
    queries them, so ``BARACK OBAMA`` finds ``巴拉克奥巴马`` (``BALAKEAOBAMA``)."""
    real = [t for t in tokens if not is_particle(t)] or list(tokens)
    keys = set()
    if len(tokens) <= 6:
        whole = coarse("".join(tokens))
        if len(whole) >= 2:
            keys.add("C|" + whole)
    codes = sorted({coarse(t) for t in real[:_MAX_KEY_TOKENS] if len(coarse(t)) >= 2})
    keys.update(f"C|{a}|{b}" for a, b in itertools.combinations(codes, 2))
    return frozenset(keys)


#: most tokens of a Latin name that carries a ``W`` key (names longer than this are not written
#: as one run of syllables in practice)
_MAX_WHOLE_TOKENS = 4


def whole_coarse_key(tokens: tuple[str, ...]) -> str:
    """``W`` key: the whole name run together, as its :func:`coarse` key. Latin entries of 2-4
    tokens carry it; only travellers whose name is written in a loose script (Chinese, Korean,
    Japanese, Arabic, Khmer, ...) query it, so ``贝拉克·奥巴马`` finds ``BARACK OBAMA``; Latin
    travellers never do (they meet Latin entries through the other keys)."""
    return "W|" + coarse("".join(tokens))


_NO_YEAR_LO, _NO_YEAR_HI = -32768, 32767


def people_carrying(unit: str, tokens: tuple[str, ...], token_people) -> int:
    """How many listed people carry a name part (``token_people``: per token); a unit joined from
    several tokens (``ABDUL RAHMAN`` -> ``ABDULRAHMAN``) is as rare as its rarest part."""
    if unit in tokens:
        return token_people.get(unit, 0)
    return min((token_people.get(t, 0) for t in tokens if t in unit), default=0)


def name_key(tokens: tuple[str, ...]) -> int:
    """Order-free hash of a name's non-particle tokens (``JOSE GARCIA`` = ``GARCIA JOSE``)."""
    return hash(frozenset(t for t in tokens if not is_particle(t)))


class CandidateIndex:
    """Blocking index over watchlist entries plus the per-entry data scoring needs, all computed
    once at build so screening a traveller does no per-entry preparation.

    ``entries`` are WatchlistEntry dicts; ``forms[i]`` their name spellings, ``dobs[i]`` parsed
    dates of birth, ``docs[i]`` normalised
    documents, ``year_lo``/``year_hi`` the span of listed birth years (numpy, for filtering big
    blocks by birth year without touching Python objects), ``common`` tokens frequent in this
    list (weighted down when scoring)."""

    def __init__(self, entries: list[dict], rules: dict | None = None):
        self.rules = dict(rules or {})
        self.entries = entries
        self.max_block = int(self.rules.get("max_block_size", 5000))
        self.max_candidates = int(self.rules.get("max_candidates", 50))
        self.max_initial_block = int(self.rules.get("max_initial_block_size", 100))
        joined, pairs = bool(self.rules.get("joined_tokens", True)), bool(self.rules.get("token_pairs", True))
        with_initial = bool(self.rules.get("key_with_initial", True))
        keys = array("q")
        key_counts = array("i")
        year_lo = array("h")
        year_hi = array("h")
        self.forms: list[tuple[NameForm, ...]] = []
        self.dobs: list[tuple] = []
        self.docs: list[tuple[tuple[str, str | None], ...]] = []
        token_counts: Counter[str] = Counter()
        token_people: Counter[str] = Counter()
        people_seen: set[int] = set()
        # how many different people (name + birth dates) carry each full name, kept for names
        # carried by 3 or more: a name many listed people share is common in the population too,
        # and alone it identifies nobody (counted in the same pass)
        name_counts: Counter[int] = Counter()
        name_seen: set[int] = set()
        use_docs = self.rules.get("document_number", True)
        no_dobs: tuple = ()
        forms_append = self.forms.append
        dobs_append, docs_append = self.dobs.append, self.docs.append
        lo_append, hi_append, count_append = year_lo.append, year_hi.append, key_counts.append
        keys_extend = keys.extend
        for entry in entries:
            forms = entry_forms(entry)
            forms_append(forms)
            listed = entry.get("dates_of_birth")
            listed_key = tuple(listed) if listed else ()
            dobs = tuple(d for d in map(parse_date, listed) if d) if listed else no_dobs
            dobs_append(dobs)
            if dobs:
                lo_append(min(d[0] for d in dobs))
                hi_append(max(d[0] for d in dobs))
            else:
                lo_append(_NO_YEAR_LO)
                hi_append(_NO_YEAR_HI)
            documents = entry.get("documents")
            docs = tuple((n, d.get("issuer")) for d in documents if (n := normalise_number(d.get("number")))) \
                if documents else ()
            docs_append(docs)
            loose_or_single = False
            entry_keys: set[str] | None = None
            seen_tokens: set[str] = set()
            for form in forms:
                tokens = form.tokens
                sks = [skeleton(t) for t in tokens]
                form_keys_ = _entry_keys(tokens, joined, pairs, with_initial, sks, form.particles)
                if entry_keys is None:
                    entry_keys = form_keys_
                else:
                    entry_keys |= form_keys_
                seen_tokens.update(tokens)
                if form.loose or len(tokens) == 1:
                    loose_or_single = True
                # one person per (name, birth dates): the same person on two partners' lists once
                name = name_key(tokens)
                person = hash((name, listed_key))
                if person not in name_seen:
                    name_seen.add(person)
                    name_counts[name] += 1
            if entry_keys is None:
                entry_keys = set()
            token_counts.update(seen_tokens)
            person = hash((frozenset(seen_tokens), listed_key))
            if person not in people_seen:
                # one listed person (same name tokens and birth dates) counts once, however many
                # partners list them: the same person on five lists does not make a surname common
                people_seen.add(person)
                token_people.update(seen_tokens)
            for f in forms:
                if not f.loose and 2 <= len(f.tokens) <= _MAX_WHOLE_TOKENS:
                    # the whole name's coarse key, queried only by travellers written in a loose
                    # script (their names come as syllables or consonants: 贝拉克·奥巴马 is
                    # BEI LA KE AO BA MA, coarse BLGBM like BARACK OBAMA)
                    entry_keys.add(whole_coarse_key(f.tokens))
            if loose_or_single:
                # consonant-poor scripts and one-word names: also the coarse keys, so spellings whose
                # consonants differ by class (TERCH/TERC, BALAKE/BARACK) are still retrieved
                for f in forms:
                    if f.loose or len(f.tokens) == 1:
                        entry_keys |= coarse_keys(f.tokens)
            if use_docs and docs:
                entry_keys.update(["D|" + number for number, _ in docs])
            keys_extend(map(hash, entry_keys))
            count_append(len(entry_keys))
        del people_seen, name_seen
        n_postings = len(keys)
        key_array = np.frombuffer(keys, dtype=np.int64) if n_postings else np.zeros(0, dtype=np.int64)
        order = np.argsort(key_array, kind="stable")
        sorted_keys = key_array[order]
        del key_array, keys
        # the entry of each posting (postings were appended entry by entry)
        if n_postings:
            owners = np.repeat(np.arange(len(key_counts), dtype=np.int32), np.frombuffer(key_counts, dtype=np.int32))
            self._ids = owners[order]
            del owners
        else:
            self._ids = np.zeros(0, dtype=np.int32)
        del order, key_counts
        # CSR layout: each distinct key once, with where its postings start; a lookup is one
        # binary search over the distinct keys (fewer than the postings: less memory to touch)
        # instead of a left and a right search over every posting
        if sorted_keys.size:
            change = np.empty(sorted_keys.size, dtype=np.bool_)
            change[0] = True
            np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
            first = np.flatnonzero(change)
            del change
        else:
            first = np.zeros(0, dtype=np.int64)
        self._keys = sorted_keys[first]
        self._starts = np.append(first, sorted_keys.size).astype(np.int64)
        del sorted_keys
        self.year_lo = np.frombuffer(year_lo, dtype=np.int16).copy() if len(year_lo) else np.zeros(0, np.int16)
        self.year_hi = np.frombuffer(year_hi, dtype=np.int16).copy() if len(year_hi) else np.zeros(0, np.int16)
        if n_postings:
            # within a block, postings in order of the entry's earliest listed birth year (entries
            # without a date first), then list position: the entries near a traveller's birth year
            # are then one short run of a big block (the compiled look-up reads only that run)
            within = np.repeat(np.arange(first.size, dtype=np.int64) << 17, np.diff(self._starts))
            within += self.year_lo[self._ids]
            within += 32768
            within = np.argsort(within, kind="stable")
            self._ids = self._ids[within]
            del within
        del first
        self.name_people = {name: n for name, n in name_counts.items() if n >= 3}
        del name_counts
        limit = max(50, int(len(entries) * 0.002))
        self.common = frozenset(t for t, n in token_counts.items() if n > limit and not is_particle(t))
        self.token_counts = token_counts
        #: per token, how many different listed people (name tokens + birth dates) carry it
        self.token_people = token_people

    def people_named(self, tokens: tuple[str, ...]) -> int:
        """Different listed people with exactly this name (token set), 0 when fewer than 3."""
        return self.name_people.get(name_key(tokens), 0)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def postings(self) -> int:
        return int(self._ids.size)

    def query_keys(self, forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]]) -> set[str]:
        keys: set[str] = set()
        for form in forms:
            keys |= form_keys(form, self.rules, expand_nicknames=True)
            if self.rules.get("key_with_initial", True):
                keys |= second_letter_keys(form.tokens, form.particles)
            keys |= coarse_keys(form.tokens)
            if form.loose:
                keys.add(whole_coarse_key(form.tokens))
        if self.rules.get("document_number", True):
            keys.update("D|" + number for number, _ in documents if number)
        return keys

    def candidates(self, forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]] = (),
                   birth_year: int | None = None, year_window: int | None = None) -> list[int]:
        """Entry positions sharing at least one key with the traveller, most shared keys first.

        With ``birth_year`` and ``year_window``, name-key hits whose listed birth years all lie more
        than ``year_window`` years away are dropped before ranking and the cap (entries without a
        date of birth stay): the caller passes the window beyond which the date penalty alone
        keeps a candidate under its cut-off, so a block of 300 ``JOSE GARCIA`` entries shrinks to
        the few born near the traveller, the cap never cuts the real one, and big blocks stay
        usable (their size limit is applied after the filter)."""
        keys = self.query_keys(forms, documents)
        if not keys or not self._keys.size:
            return []
        # document hits are never cut by the candidate cap: a listed document must always be scored
        doc_keys = [k for k in keys if k[0] == "D"]
        by_document = self._lookup(doc_keys) if doc_keys else []
        name_keys = [k for k in keys if k[0] != "D"]
        if birth_year is not None and year_window is not None:
            names = self._lookup(name_keys, birth_year, year_window)
            if len(names) > 1:
                # small blocks skipped the birth-year filter above (cheaper per block to score them);
                # one vectorised pass over the final list drops them before any Python work
                found = np.array(names, dtype=np.int32)
                near = (self.year_lo[found] <= birth_year + year_window) & (self.year_hi[found] >= birth_year - year_window)
                if not near.all():
                    names = found[near].tolist()
            elif names and not self.year_lo[names[0]] <= birth_year + year_window or \
                    names and not self.year_hi[names[0]] >= birth_year - year_window:
                names = []
        else:
            names = self._lookup(name_keys)
        if not by_document:
            return names
        seen = set(by_document)
        return by_document + [p for p in names if p not in seen]

    def _lookup(self, keys: list[str], birth_year: int | None = None, year_window: int = 0) -> list[int]:
        if not keys:
            return []
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        slot = np.searchsorted(self._keys, hashes)
        slot[slot == self._keys.size] = 0  # past the end: any slot, the equality test rejects it
        present = self._keys[slot] == hashes
        lo = np.where(present, self._starts[slot], 0)
        hi = np.where(present, self._starts[slot + 1], 0)
        blocks = []
        for i in np.nonzero(hi > lo)[0].tolist():
            found = self._ids[lo[i]:hi[i]]
            limit = self.max_initial_block if keys[i][0] == "I" else self.max_block
            if birth_year is not None and found.size > 8:
                near = (self.year_lo[found] <= birth_year + year_window) & (self.year_hi[found] >= birth_year - year_window)
                found = found[near]
            if 0 < found.size <= limit:
                blocks.append(found)
        if not blocks:
            return []
        if len(blocks) == 1:
            # list order (a block's postings are in birth-year order)
            return np.sort(blocks[0])[: self.max_candidates].tolist()
        unique, counts = np.unique(np.concatenate(blocks), return_counts=True)
        # most shared keys first, then list order: a total order, so which entries the cap keeps
        # never depends on sort internals (the compiled lookup in ``accelerate`` keeps the same)
        order = np.lexsort((unique, -counts))[: self.max_candidates]
        return unique[order].tolist()
