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
* ``E`` one-edit keys of a rare token (:func:`keycodes.deletion_keys`): the token and every
  string one letter shorter, on both sides, so a single typo (substitution, insertion,
  deletion, two letters swapped) in the distinctive token is found even when the other tokens
  are common given names whose blocks are too big to read (``MARIA KOWALSZYK`` finds
  ``MARIA KOWALCZYK``). The list keys only rare tokens; travellers query every token.
* ``D`` document number alone: lost/stolen documents and listed persons' documents; ``X`` its
  one-edit neighbourhood (:func:`keycodes.document_keys`), so a number keyed with one character
  wrong, added, dropped or two swapped is still retrieved (the score still needs the number to
  agree exactly to count the document).
* ``C`` coarse keys: the whole name's :func:`~pipelines.screening.normalise.names.coarse` key
  and unordered pairs of tokens' coarse keys, on entries written in a loose script or of one
  word, queried by every traveller (``BARACK OBAMA`` finds ``巴拉克奥巴马``); ``W`` the whole
  name's coarse key on Latin entries of 2-4 tokens, queried only by travellers written in a
  loose script (``贝拉克·奥巴马`` finds ``BARACK OBAMA``).

At query time given names also try their nickname variants (``BILL`` queries as ``WILLIAM``),
a token with a Latvian nominative -S its stem (``LAVROVS`` as ``LAVROV``), and the ``I`` keys
are also asked with each token's second letter (``ARCHEL`` finds ``RACHEL``): query-side only,
so the index does not grow.
A key shared by more than ``max_block_size`` entries is skipped (it says nothing); a key with
initial, weaker by design, already above ``max_initial_block_size`` (``SMITH`` + ``J`` in a big
list), unless the traveller's birth year can split it (:meth:`CandidateIndex.candidates`). At
most ``max_candidates`` entries, the most likely by a cheap score (keys shared, then date-of-birth
agreement), are scored; what the cap drops is counted.

The rules are written once, in :mod:`pipelines.screening.engine.compiled.keycodes`
(:class:`~pipelines.screening.engine.compiled.keycodes.KeyBatch` gathers a spelling's parts, one
compiled kernel combines them into keys): the build makes the list's keys with it, the look-up
(both engines') the travellers'. A key is a 64-bit code, the key's kind mixed with the Python
hashes of its parts; :func:`spelled_keys` spells the same keys out (``P|ABDL|RHMN``) for
explanations, diagnostics and tests, and :func:`keycodes.code_of` maps such a string back to
its code. The distinct codes are one sorted
numpy array with where each one's postings start (CSR layout; 4 bytes a posting plus 16 bytes a
distinct key, about half as many keys as postings): compact enough for a million entries in well
under the memory budget, built once per worker (DoFn ``setup``). Python's string hash is salted
per process, so an index is shared between processes only by fork: ``paxshare screen --workers``
builds once and forks its workers, and :func:`parallel_build` makes the blocking arrays in a
forked process while the build goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from array import array
from collections import Counter
from typing import Iterable

import numpy as np

from pipelines.screening.engine.settings import BlockingSettings, blocking_settings
from pipelines.screening.engine.tables import LOOKUP_STATS, read_only
from pipelines.screening.normalise.dates import parse_date
from pipelines.screening.normalise.documents import normalise_number
from pipelines.screening.normalise.names import NameForm, is_particle, name_form
from pipelines.screening.engine.compiled.lookup import NO_YEAR_HI, NO_YEAR_LO, CandidateLookup
from pipelines.screening.engine.compiled.keycodes import (KeyBatch, deletion_keys, document_keys, documents_codes,
                                                          forget_list_edit_keys)

__all__ = ["CandidateIndex", "alternates", "blocking_arrays", "can_fork", "entry_forms", "entry_keys", "parallel_build",
           "query_keys", "spelled_keys", "LOOKUP_STATS", "new_lookup_stats"]


def entry_forms(entry: dict, seen: dict | None = None) -> tuple[NameForm, ...]:
    """Every name spelling of an entry as a :class:`NameForm` (primary first). ``seen``: the
    forms made so far in this build, by written name, so the same written name on many entries
    is normalised once and all of them share one :class:`NameForm` (a third of a million-entry
    list repeats a name; ``name_form``'s own cache is too small to hold a whole list)."""
    forms = []
    for name in entry.get("names") or []:
        for written in alternates(name.get("surname"), name.get("given_names"), name.get("full_name")):
            written += (name.get("quality") == "LOW",)
            form = seen.get(written) if seen is not None else None
            if form is None:
                form = name_form(*written)
                if seen is not None:
                    seen[written] = form
            if form:
                forms.append(form)
    return tuple(forms)


#: most spellings one listed name field with alternates yields (their product is bounded)
MAX_ALTERNATES = 8
_ALTERNATE_MARKS = (";", "/")


def alternates(surname: str | None, given: str | None, full: str | None) -> list[tuple]:
    """A listed name's written forms: lists put several alternates in one field, separated by
    ``;`` or ``/`` (``HASSAN/HASAN``, ``ALI HASSAN; ALI HASAN``); each alternate is a spelling of
    its own, combined with the other fields (at most :data:`MAX_ALTERNATES`). A field without
    either mark is one form, as written. List side only: a traveller's ``SMITH/JOHN`` is the
    airline's surname/given-name format, not alternates."""
    fields = (surname, given, full)
    if not any(f and (";" in f or "/" in f) for f in fields):
        return [fields]
    options = []
    for field in fields:
        if field and (";" in field or "/" in field):
            parts = [p.strip() for p in field.replace(";", "/").split("/")]
            options.append([p for p in parts if p] or [None])
        else:
            options.append([field])
    return list(itertools.islice(itertools.product(*options), MAX_ALTERNATES))


def entry_keys(forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]],
               rules: BlockingSettings | dict | None = None) -> set[str]:
    """Every key of a list entry, spelled out (``P|ABDL|RHMN``): the keys whose codes the build
    indexes (module docstring; :func:`spelled_keys`)."""
    return spelled_keys(forms, documents, rules, query=False)


def query_keys(forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]],
               rules: BlockingSettings | dict | None = None) -> set[str]:
    """Every key a traveller's spellings and documents look up, spelled out."""
    return spelled_keys(forms, documents, rules, query=True)


def spelled_keys(forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]],
                 rules: BlockingSettings | dict | None, query: bool) -> set[str]:
    """The keys of one entry (``query=False``) or one traveller's look-up, as readable strings, for
    explanations, diagnostics and tests. They come from the same rules, the same code, as the
    codes the index stores and the look-up asks (:class:`KeyBatch` spells the name keys it makes;
    the one-edit and document keys are :func:`keycodes.deletion_keys` and
    :func:`keycodes.document_keys`, whose codes are those of these strings):
    ``{code_of(k) for k in keys}`` are the codes."""
    rules = blocking_settings(rules)
    forms = tuple(forms)
    batch = KeyBatch(rules, query=query, spelled=True)
    batch.add(forms)
    keys = batch.keys()[0]
    for form in forms:
        if not form.loose:
            keys |= deletion_keys(form.tokens, form.particles, query, rules)
    if rules.document_number:
        keys.update(key for number, _ in documents for key in document_keys(number, rules.document_one_edit))
    return keys


def new_lookup_stats() -> dict[str, int]:
    return dict.fromkeys(LOOKUP_STATS, 0)


def people_carrying(unit: str, tokens: tuple[str, ...], token_people) -> int:
    """How many listed people carry a name part (``token_people``: per token); a unit joined from
    several tokens (``ABDUL RAHMAN`` -> ``ABDULRAHMAN``) is as rare as its rarest part."""
    if unit in tokens:
        return token_people.get(unit, 0)
    return min((token_people.get(t, 0) for t in tokens if t in unit), default=0)


def name_key(tokens: tuple[str, ...]) -> int:
    """Order-free hash of a name's non-particle tokens (``JOSE GARCIA`` = ``GARCIA JOSE``)."""
    return hash(frozenset(t for t in tokens if not is_particle(t)))


def blocking_arrays(forms: list[tuple[NameForm, ...]], docs: list[tuple], rules: BlockingSettings,
                    year_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The index's blocking arrays from every entry's spellings and normalised documents: the
    distinct key codes sorted, where each one's postings start, and the postings (entry
    positions; within a block in order of the entry's earliest listed birth year, ``year_lo``,
    then list position)."""
    # every entry's keys (its spellings', its documents'), made in one compiled call (keycodes:
    # the codes of the string keys the module docstring lists), entry after entry
    batch = KeyBatch(rules, query=False)
    for entry_forms_, entry_docs in zip(forms, docs):
        batch.add(entry_forms_, documents_codes(entry_docs, rules))
    key_array, key_counts = batch.codes()
    del batch
    forget_list_edit_keys()
    n_postings = key_array.size
    order = np.argsort(key_array, kind="stable")
    sorted_keys = key_array[order]
    del key_array
    # the entry of each posting (postings were appended entry by entry)
    if n_postings:
        owners = np.repeat(np.arange(key_counts.size, dtype=np.int32), key_counts)
        ids = owners[order]
        del owners
    else:
        ids = np.zeros(0, dtype=np.int32)
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
    keys = sorted_keys[first]
    starts = np.append(first, sorted_keys.size).astype(np.int64)
    del sorted_keys
    if n_postings:
        # within a block, postings in order of the entry's earliest listed birth year (entries
        # without a date first), then list position: the entries near a traveller's birth year
        # are then one short run of a big block (the compiled look-up reads only that run)
        within = np.repeat(np.arange(first.size, dtype=np.int64) << 17, np.diff(starts))
        within += year_lo[ids]
        within += 32768
        within = np.argsort(within, kind="stable")
        ids = ids[within]
        del within
    return keys, starts, ids


class _Parallel(threading.local):
    """Whether indexes built now make their blocking arrays in a forked process (see
    :func:`parallel_build`), and those still being made."""

    active = False
    min_entries = 50_000

    def __init__(self):
        self.pending: list = []


_parallel = _Parallel()


def can_fork() -> bool:
    """Whether this platform starts processes by fork, which a process built before it can share
    with (copy-on-write pages, the same string-hash salt)."""
    import multiprocessing
    return "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def parallel_build(min_entries: int = 50_000):
    """Indexes (of at least ``min_entries`` entries) built inside make their blocking arrays (key
    codes, sorting: a third of a big list's build) in a forked process, while this one goes on
    with the rest of the build (counting, the compiled pre-scoring's name tables): on two cores a
    million-entry build takes the longer of the two instead of their sum. The same arrays, so the
    same candidates. Leaving the block waits for them, so the index is whole after it.

    For a process that builds before it forks its workers (``paxshare screen --workers``, the
    benchmarks); not inside a Beam worker, whose other threads a fork would copy mid-step.
    Python's string hash, which the key codes use, is salted per process: a forked child has its
    parent's salt, so its codes are the parent's."""
    previous = (_parallel.active, _parallel.min_entries)
    _parallel.active, _parallel.min_entries = True, min_entries
    try:
        yield
    finally:
        _parallel.active, _parallel.min_entries = previous
        while _parallel.pending:
            _parallel.pending.pop().lookup.ready()  # waits for the arrays


def _send_arrays(conn, forms, docs, rules, year_lo) -> None:
    try:
        arrays = blocking_arrays(forms, docs, rules, year_lo)
        conn.send([(a.dtype.str, a.shape) for a in arrays])
        for array in arrays:
            conn.send_bytes(memoryview(np.ascontiguousarray(array)).cast("B"))
    except BaseException as error:  # the parent raises it
        conn.send(error)
    finally:
        conn.close()


class _KeysAside:
    """:func:`blocking_arrays` made in a forked process; :meth:`result` receives them."""

    def __init__(self, forms, docs, rules, year_lo):
        import multiprocessing
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(target=_send_arrays, args=(child, forms, docs, rules, year_lo), daemon=True)
        self._process.start()
        child.close()

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        try:
            header = self._conn.recv()
            if isinstance(header, BaseException):
                raise header
            # read-only views of the received bytes (the index never writes them): no second copy
            # of ~250 MB at a million entries while the build is at its largest
            arrays = tuple(np.frombuffer(self._conn.recv_bytes(), dtype=dtype).reshape(shape)
                           for dtype, shape in header)
        except EOFError:
            raise RuntimeError("the process making the blocking index died") from None
        finally:
            self._conn.close()
            self._process.join()
        return arrays


class CandidateIndex:
    """Blocking index over watchlist entries plus the per-entry data scoring needs, all computed
    once at build so screening a traveller does no per-entry preparation.

    ``entries`` are WatchlistEntry dicts; ``forms[i]`` their name spellings, ``dobs[i]`` parsed
    dates of birth, ``docs[i]`` normalised
    documents, ``year_lo``/``year_hi`` the span of listed birth years (numpy, for filtering big
    blocks by birth year without touching Python objects), ``common`` tokens frequent in this
    list (weighted down when scoring)."""

    def __init__(self, entries: list[dict], rules: BlockingSettings | dict | None = None):
        #: the settings' ``blocking`` section (a mapping of some keys: overlaid on the packaged
        #: defaults, which live in one place)
        self.rules = blocking_settings(rules)
        self.entries = entries
        self.max_block = self.rules.max_block_size
        self.max_candidates = self.rules.max_candidates
        self.max_initial_block = self.rules.max_initial_block_size
        year_lo = array("h")
        year_hi = array("h")
        self.forms: list[tuple[NameForm, ...]] = []
        self.dobs: list[tuple] = []
        self.docs: list[tuple[tuple[str, str | None], ...]] = []
        # every entry's distinct tokens, and every listed person's, counted in one go at the end
        entry_tokens: list[str] = []
        person_tokens: list[str] = []
        people_seen: set[int] = set()
        # how many different people (name + birth dates) carry each full name, kept for names
        # carried by 3 or more: a name many listed people share is common in the population too,
        # and alone it identifies nobody (counted in the same pass)
        name_counts: Counter[int] = Counter()
        name_seen: set[int] = set()
        no_dobs: tuple = ()
        forms_append = self.forms.append
        dobs_append, docs_append = self.dobs.append, self.docs.append
        lo_append, hi_append = year_lo.append, year_hi.append
        written_names: dict[tuple, NameForm] = {}
        for entry in entries:
            forms = entry_forms(entry, written_names)
            forms_append(forms)
            listed = entry.get("dates_of_birth")
            listed_key = tuple(listed) if listed else ()
            dobs = tuple(d for d in map(parse_date, listed) if d) if listed else no_dobs
            dobs_append(dobs)
            if dobs:
                lo_append(min(d[0] for d in dobs))
                hi_append(max(d[0] for d in dobs))
            else:
                lo_append(NO_YEAR_LO)
                hi_append(NO_YEAR_HI)
            documents = entry.get("documents")
            docs = tuple((n, d.get("issuer")) for d in documents if (n := normalise_number(d.get("number")))) \
                if documents else ()
            docs_append(docs)
            seen_tokens: set[str] = set()
            for form in forms:
                tokens = form.tokens
                seen_tokens.update(tokens)
                # one person per (name, birth dates): the same person on two partners' lists once
                name = name_key(tokens)
                person = hash((name, listed_key))
                if person not in name_seen:
                    name_seen.add(person)
                    name_counts[name] += 1
            entry_tokens.extend(seen_tokens)
            person = hash((frozenset(seen_tokens), listed_key))
            if person not in people_seen:
                # one listed person (same name tokens and birth dates) counts once, however many
                # partners list them: the same person on five lists does not make a surname common
                people_seen.add(person)
                person_tokens.extend(seen_tokens)
        del people_seen, name_seen, written_names
        self.year_lo = np.frombuffer(year_lo, dtype=np.int16).copy() if len(year_lo) else np.zeros(0, np.int16)
        self.year_hi = np.frombuffer(year_hi, dtype=np.int16).copy() if len(year_hi) else np.zeros(0, np.int16)
        # the blocking arrays: made here, or (in a parallel_build, for a big list) in a forked
        # process while this one goes on with the rest of the build (the counts below, the compiled
        # pre-scoring's name tables); the look-up waits for them when first used
        self._pending = None
        if _parallel.active and len(entries) >= _parallel.min_entries and can_fork():
            self._pending = _KeysAside(self.forms, self.docs, self.rules, self.year_lo)
            _parallel.pending.append(self)
        else:
            self._keys, self._starts, self._ids = map(read_only, blocking_arrays(self.forms, self.docs, self.rules,
                                                                                 self.year_lo))
        token_counts, token_people = Counter(entry_tokens), Counter(person_tokens)
        del entry_tokens, person_tokens
        self.name_people = {name: n for name, n in name_counts.items() if n >= 3}
        del name_counts
        limit = max(50, int(len(entries) * 0.002))
        self.common = frozenset(t for t, n in token_counts.items() if n > limit and not is_particle(t))
        del token_counts  # entries per token: only the common ones are kept (one Counter less)
        #: per token, how many different listed people (name tokens + birth dates) carry it
        self.token_people = token_people
        #: candidate generation over the blocking arrays (the one routine both engines call); it
        #: asks for them (:meth:`blocks`) when first used, so a build whose arrays are made aside
        #: goes on meanwhile
        self.lookup = CandidateLookup(self.blocks, read_only(self.year_lo), read_only(self.year_hi), self.dobs,
                                      self.rules)
        if self._pending is None:
            self.lookup.ready()

    def people_named(self, tokens: tuple[str, ...]) -> int:
        """Different listed people with exactly this name (token set), 0 when fewer than 3."""
        return self.name_people.get(name_key(tokens), 0)

    def __len__(self) -> int:
        return len(self.entries)

    def blocks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The blocking arrays: sorted key codes (one per block), block starts (block ``i`` holds
        ``postings[starts[i]:starts[i + 1]]``) and postings (entry positions)."""
        if self._pending is not None:  # made in another process: wait for them
            self._keys, self._starts, self._ids = map(read_only, self._pending.result())
            self._pending = None
        return self._keys, self._starts, self._ids

    @property
    def postings(self) -> int:
        return int(self.blocks()[2].size)

    def query_keys(self, forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]]) -> set[str]:
        """The keys a traveller looks up in this index, spelled out (:func:`query_keys`)."""
        return query_keys(forms, documents, self.rules)

    def document_codes(self, documents: Iterable[tuple[str, str | None]]) -> list[int]:
        """The codes of the ``D`` and ``X`` keys of normalised documents (none when document keys
        are off)."""
        return documents_codes(documents, self.rules)

    def candidates(self, forms: Iterable[NameForm], documents: Iterable[tuple[str, str | None]] = (),
                   dob: tuple | None = None, year_window: int | None = None, dob_adjust=None,
                   missing_value: float = 0.0) -> list[int]:
        """Entry positions sharing at least one key with the traveller, most likely first: the
        one candidate-generation routine (:class:`~.compiled.lookup.CandidateLookup`, which the
        compiled pre-scoring calls for whole batches), for one traveller.

        ``dob``: the traveller's parsed date of birth. With it, a block over its size limit is
        narrowed by birth year instead of dropped (entries within a year, then of the same year:
        a common name's block splits the way keys of name + year would, without indexing every
        name once per year); with ``year_window`` too, name hits whose listed birth years all lie
        more than ``year_window`` years away are dropped (entries without a date stay): the
        caller passes the window beyond which the date penalty alone keeps a candidate under its
        cut-off.

        The cap (``max_candidates``) keeps the most likely entries: the most keys shared (how
        much of the name agrees), then the cheap score (with ``dob`` and ``dob_adjust``, the
        adjustment per ``DOB_ORDER`` level: the entry's best listed date's; ``missing_value`` for
        an entry without one), then list position. Namesakes share the same keys, so among them
        the date decides. Document hits come first and are never cut. What the cap and the block
        limits give up is counted in :attr:`stats`."""
        positions, _, _ = self.lookup.find([(tuple(forms), tuple(documents), dob, year_window, missing_value)],
                                           dob_adjust)
        return positions.tolist()

    @property
    def stats(self) -> dict[str, int]:
        """What candidate generation gave up so far (:data:`LOOKUP_STATS`), both engines' look-ups."""
        return dict(zip(LOOKUP_STATS, self.lookup.stats.tolist()))
