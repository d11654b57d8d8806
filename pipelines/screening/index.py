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

At query time given names also try their nickname variants (``BILL`` queries as ``WILLIAM``).
A key shared by more than ``max_block_size`` entries is skipped (it says nothing); a key with
initial, weaker by design, already above ``max_initial_block_size`` (``SMITH`` + ``J`` in a big
list). At most ``max_candidates`` entries, those sharing most keys, are scored.

Keys are Python hashes in one sorted numpy array (8 bytes + 4 bytes per posting): compact enough
for a million entries in well under the memory budget, built once per worker (DoFn ``setup``).
Python's string hash is salted per process, so an index is never shared between processes other
than by fork; that is what "built once per worker" means anyway.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from typing import Iterable

import numpy as np

from pipelines.screening.dates import parse_date
from pipelines.screening.documents import normalise_number
from pipelines.screening.names import NameForm, is_particle, name_form, skeleton
from pipelines.screening.nicknames import variants

__all__ = ["CandidateIndex", "entry_forms", "form_keys", "skeleton_text"]


def skeleton_text(form: NameForm) -> str:
    """A name as its tokens' consonant skeletons, for the cheap pre-check before scoring."""
    return " ".join(skeleton(t) for t in form.tokens)

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


def form_keys(form: NameForm, rules: dict, expand_nicknames: bool = False) -> set:
    """Blocking keys of one name spelling (see module docstring)."""
    real = [t for t in form.tokens if not is_particle(t)] or list(form.tokens)
    options: list[set[str]] = []
    for token in real[:_MAX_KEY_TOKENS]:
        alternatives = {skeleton(token)}
        if expand_nicknames:
            alternatives.update(skeleton(v) for v in variants(token))
        options.append(alternatives)
    if rules.get("joined_tokens", True):
        all_tokens = form.tokens
        for i in range(min(len(all_tokens), _MAX_KEY_TOKENS) - 1):
            options.append({skeleton(all_tokens[i] + all_tokens[i + 1])})
            if i + 2 < len(all_tokens) and is_particle(all_tokens[i]) and is_particle(all_tokens[i + 1]):
                options.append({skeleton("".join(all_tokens[i:i + 3]))})  # DE LA CRUZ -> DELACRUZ
    keys: set = set()
    if len(real) == 1:
        keys.update(("S", sk) for sk in options[0])
    elif rules.get("joined_tokens", True) and len(form.tokens) <= 4:
        # the whole name run together: 'XI JIN PING' meets 'XIJINPING'
        keys.add(("S", skeleton("".join(form.tokens))))
    if rules.get("token_pairs", True):
        for first, second in itertools.combinations(options, 2):
            for a in first:
                for b in second:
                    if a != b:
                        keys.add(("P", a, b) if a < b else ("P", b, a))
    if rules.get("key_with_initial", True) and len(real) > 1:
        for i, alternatives in enumerate(options[:min(len(real), _MAX_KEY_TOKENS)]):
            for j, other in enumerate(real[:_MAX_KEY_TOKENS]):
                if i != j:
                    keys.update(("I", sk, other[0]) for sk in alternatives)
    return keys


class CandidateIndex:
    """Blocking index over watchlist entries plus the per-entry data scoring needs.

    ``entries`` are WatchlistEntry dicts; ``forms[i]`` their name spellings, ``dobs[i]`` parsed
    dates of birth, ``common`` tokens frequent in this list (weighted down when scoring)."""

    def __init__(self, entries: list[dict], rules: dict | None = None):
        self.rules = dict(rules or {})
        self.entries = entries
        self.max_block = int(self.rules.get("max_block_size", 5000))
        self.max_candidates = int(self.rules.get("max_candidates", 50))
        self.max_initial_block = int(self.rules.get("max_initial_block_size", 100))
        keys = array("q")
        ids = array("i")
        self.forms: list[tuple[NameForm, ...]] = []
        #: per entry, its spellings as plain strings for the cheap pre-check (None: never pre-check)
        self.texts: list[tuple[str, ...] | None] = []
        self.dobs: list[tuple] = []
        self.docs: list[tuple[tuple[str, str | None], ...]] = []
        token_counts: Counter[str] = Counter()
        use_docs = self.rules.get("document_number", True)
        for idx, entry in enumerate(entries):
            forms = entry_forms(entry)
            self.forms.append(forms)
            self.texts.append(None if any(f.loose for f in forms) else tuple(skeleton_text(f) for f in forms))
            self.dobs.append(tuple(d for d in (parse_date(x) for x in entry.get("dates_of_birth") or []) if d))
            docs = tuple((normalise_number(d.get("number")), d.get("issuer")) for d in entry.get("documents") or []
                         if normalise_number(d.get("number")))
            self.docs.append(docs)
            entry_keys: set = set()
            seen_tokens: set[str] = set()
            for form in forms:
                entry_keys |= form_keys(form, self.rules)
                seen_tokens.update(form.tokens)
            token_counts.update(seen_tokens)
            if use_docs:
                entry_keys.update(("D", number) for number, _ in docs)
            for key in entry_keys:
                keys.append(hash(key))
                ids.append(idx)
        key_array = np.frombuffer(keys, dtype=np.int64) if len(keys) else np.zeros(0, dtype=np.int64)
        id_array = np.frombuffer(ids, dtype=np.int32) if len(ids) else np.zeros(0, dtype=np.int32)
        order = np.argsort(key_array, kind="stable")
        self._keys = key_array[order]
        self._ids = id_array[order]
        del keys, ids, order
        limit = max(50, int(len(entries) * 0.002))
        self.common = frozenset(t for t, n in token_counts.items() if n > limit and not is_particle(t))

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def postings(self) -> int:
        return int(self._keys.size)

    def query_keys(self, forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]]) -> set:
        keys: set = set()
        for form in forms:
            keys |= form_keys(form, self.rules, expand_nicknames=True)
        if self.rules.get("document_number", True):
            keys.update(("D", number) for number, _ in documents if number)
        return keys

    def candidates(self, forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]] = ()) -> list[int]:
        """Entry positions sharing at least one key with the traveller, most shared keys first."""
        keys = self.query_keys(forms, documents)
        if not keys or not self._keys.size:
            return []
        # document hits are never cut by the candidate cap: a listed document must always be scored
        by_document = self._lookup([k for k in keys if k[0] == "D"])
        names = self._lookup([k for k in keys if k[0] != "D"])
        return by_document + [p for p in names if p not in by_document] if by_document else names

    def _lookup(self, keys: list) -> list[int]:
        if not keys:
            return []
        hashes = np.fromiter((hash(k) for k in keys), dtype=np.int64, count=len(keys))
        limits = np.fromiter((self.max_initial_block if k[0] == "I" else self.max_block for k in keys),
                             dtype=np.int64, count=len(keys))
        lo = np.searchsorted(self._keys, hashes, "left")
        hi = np.searchsorted(self._keys, hashes, "right")
        sizes = hi - lo
        hit = np.nonzero((sizes > 0) & (sizes <= limits))[0]
        if not hit.size:
            return []
        if hit.size == 1:
            found = self._ids[lo[hit[0]]:hi[hit[0]]]
            return found[: self.max_candidates].tolist()
        found = np.concatenate([self._ids[lo[i]:hi[i]] for i in hit])
        unique, counts = np.unique(found, return_counts=True)
        if unique.size > self.max_candidates:
            top = np.argpartition(-counts, self.max_candidates)[: self.max_candidates]
            unique, counts = unique[top], counts[top]
        order = np.argsort(-counts, kind="stable")
        return unique[order].tolist()
