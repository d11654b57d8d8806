"""Scoring a traveller against the candidate entries, with an explanation per field.

The score starts from the best name comparison over the entry's spellings (0..1, see
:mod:`pipelines.screening.engine.compare`) and is then moved by the other fields, each only when both
sides have it (a missing field is no evidence either way):

* date of birth: agreement adds a little, disagreement by years takes a lot away; partial dates,
  01-01 placeholders and day/month swaps count as (weaker) agreement;
* sex: disagreement takes away (agreement says little: half of everyone agrees);
* nationality: agreement adds a little; disagreement takes a little away (dual nationals exist);
* a document number agreeing with the same issuing state lifts the score to a high floor: it is
  near-proof of identity whatever the name spelling.

Entries on a ``LOST_STOLEN_DOCUMENT`` list are matched on the document alone (INTERPOL SLTD
practice): number + issuing state is a hit whoever carries it.

Every number comes from :class:`pipelines.screening.engine.settings.Settings`. The result is a
:class:`Candidate` with ``score`` in [0, 1], the category's ``threshold``, ``alert`` (score at or
above threshold and not suppressed) and ``explanation``: one line per compared field.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections import Counter
from dataclasses import dataclass


from pipelines.screening.engine.compare import compare_in, compare_names
from pipelines.screening.normalise.countries import to_alpha3
from pipelines.screening.normalise.dates import DOB_LEVELS, DOB_ORDER, dob_level, parse_date
from pipelines.screening.normalise.documents import LOST_STOLEN, compare_document
from pipelines.screening.engine.index import CandidateIndex, people_carrying
from pipelines.screening.normalise.name_frequency import (joint_share, population_profile, population_share,
                                                          surname_share)
from pipelines.screening.normalise.names import is_particle, name_form, particle_flags, skeleton
from pipelines.screening.engine import spec
from pipelines.screening.engine.settings import Settings, alerts, default_settings
from pipelines.screening.engine.tables import ScoringTables
from pipelines.screening.engine.suppression import Suppressor
from pipelines.screening.lists.watchlist import Traveller

__all__ = ["Candidate", "Screener"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One traveller-entry pair worth reporting."""
    traveller_id: str
    entry: dict
    score: float
    threshold: float
    explanation: str
    suppressed_by: str | None = None

    @property
    def reaches_threshold(self) -> bool:
        """The score reaches the list category's threshold (:func:`alerts`), suppressed or not."""
        return alerts(self.score, self.threshold)

    @property
    def alert(self) -> bool:
        """Reaches its threshold and no cleared or trusted record suppresses it."""
        return self.reaches_threshold and self.suppressed_by is None

    @property
    def entry_id(self) -> str:
        return self.entry["entry_id"]


#: date-of-birth levels that many namesakes reach by chance: weak corroboration (a day/month swap
#: is one other date of the year, as likely by chance as the same date, and rarer as a keying error)
WEAK_DOB_LEVELS = frozenset({"partial_agree", "placeholder_agree", "day_or_month_typo", "month_differs", "year_typo",
                             "year_off_by_one", "day_month_swap"})


#: the population table's coverage of the list's names (:meth:`Screener._table_coverage`) is
#: measured on at most this many entries, and only from this many names with surname fields
_COVERAGE_SAMPLE = 50_000
_COVERAGE_MIN_PEOPLE = 1_000


def best_dob_level(dob: tuple, entry_dobs) -> str:
    """The best date-of-birth level (:data:`DOB_ORDER`) of a traveller's parsed date against an
    entry's listed ones (:func:`~pipelines.screening.normalise.dates.dob_level`, the definition
    the compiled path compiles)."""
    year, month, day = dob[0], dob[1] or 0, dob[2] or 0
    return DOB_ORDER[min(dob_level(year, month, day, d[0], d[1] or 0, d[2] or 0) for d in entry_dobs)]


#: how much rarer than the birth year alone agreeing a date level is by chance, for a random
#: person: at least the same year (partial dates, placeholders, a year-month with another month),
#: within a year either way (3 years), the same year with the month or the day also the same
#: (1/12 + 1/30), a year apart with the same day and month (2 x 1/365), the day and month swapped
#: (one other date of the same year, 1/365); the same date (1/365: only a near name with a nationality
#: that differs is judged by it, see ``Screener._score``)
_DATE_CHANCE_FACTOR = {"partial_agree": 1.0, "placeholder_agree": 1.0, "month_differs": 1.0,
                       "year_off_by_one": 3.0, "day_or_month_typo": 1 / 12 + 1 / 30, "year_typo": 2 / 365,
                       "day_month_swap": 1 / 365, "exact": 1 / 365}


def _identical(best) -> bool:
    """Every part of both names paired exactly (the same name, in any order)."""
    return not best.extra_query and not best.extra_entry and all(level == "exact" for *_, level in best.pairs)


def _strong_parts(best):
    """(traveller's text, list's text, level) of the pairs that agree as a strong part (not as
    initials)."""
    return [(q, e, level) for q, e, sim, level in best.pairs
            if sim >= spec.STRONG_PART and level != "initial" and level != "initials"]


def date_chance(level: str, year_chance: float) -> float:
    """The chance that a random person's listed date of birth agrees with a traveller's at least
    as well as ``level`` (one of :data:`WEAK_DOB_LEVELS`), ``year_chance`` being the chance that
    the birth year alone agrees (births spread over some 50 years: 0.02)."""
    return year_chance * _DATE_CHANCE_FACTOR[level]


def _namesakes(expected: float) -> str:
    """The explanation's words for how common a name is."""
    if expected == float("inf"):
        return " (many listed people carry it)"
    return f" (about {expected:,.0f} people expected to carry it)"


@functools.lru_cache(maxsize=4096)
def alpha3_nationalities(listed: tuple[str, ...]) -> tuple[str, ...]:
    """A listed entry's nationalities as alpha-3 codes, unknown ones left out (few distinct lists
    of nationalities: cached, not stored per entry)."""
    return tuple(n for n in map(to_alpha3, listed) if n)


def common_full_name(index: CandidateIndex, share: float, form) -> bool:
    """Is the traveller's full name carried by many different people on the list (scaled to its
    size, ``common_full_name_share``: a name 1 in 50,000 listed people carry is common in the
    travelling population)?"""
    return index.people_named(form.tokens) >= max(3, len(index) * share)


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector off while the index is built: the build creates millions of
    small objects and no cycles, and each collection would walk all of them again (~12% of the
    build at 300k entries, more at 1M). Restored afterwards, as it was, after ``gc.freeze()``:
    every object alive then (the index: long-lived, acyclic) moves to the permanent generation,
    so no later collection walks it. Without the freeze, the first allocation after the build
    would start a collection of all of them at once (4.6 s at 1M entries), and every full
    collection of a running worker would walk them again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class Screener:
    """Screens travellers against watchlist entries.

    Build once (the index is the expensive part), then call :meth:`screen` per traveller::

        screener = Screener(read_watchlists(paths), load_settings())
        for candidate in screener.screen(traveller):
            ...

    ``accelerate`` (default on) pre-scores candidates in compiled code
    (:mod:`pipelines.screening.engine.compiled.accelerate`) so only entries that can reach ``min_score`` are
    scored here; off, every candidate is scored in Python (the reference the tests compare with).
    """

    def __init__(self, entries: list[dict], settings: Settings | None = None, suppressor: Suppressor | None = None,
                 accelerate: bool = True):
        self.settings = settings or default_settings()
        with _collector_paused():
            self._build(entries, suppressor, accelerate)

    def _build(self, entries: list[dict], suppressor: Suppressor | None, accelerate: bool) -> None:
        self.index = CandidateIndex(entries, self.settings.blocking)
        self.suppressor = suppressor or Suppressor()
        name = self._name_params = self.settings.name
        self._dob = self.settings.dob
        #: the date-of-birth adjustment per level in DOB_ORDER (the candidate cap ranks by it)
        self._dob_adjust = spec.dob_adjustments(self.settings.dob)
        #: each field's level values, as the scoring specification names them
        self._values = {field: spec.level_values(field, values) for field, values in (
            ("date_of_birth", self.settings.dob), ("sex", self.settings.sex),
            ("nationality", self.settings.nationality), ("document", self.settings.document))}
        self._best_dob_bonus = max(0.0, *self._dob.values())
        self._best_nat_bonus = max(0.0, self.settings.nationality.agree)
        #: entries that reached the full name comparison (for benchmarks: the cost per traveller)
        self.names_compared = 0
        self._common_name_share = name.common_full_name_share
        self._uncorroborated = name.uncorroborated_common_name_cap
        self._name_only_cap = name.uncorroborated_name_cap
        self._common_people = float(name.common_name_people)
        self._population = float(name.travelling_population)
        self._weak_date_cap = name.weakly_corroborated_common_name_cap
        self._weak_evidence_people = float(name.weak_evidence_people)
        self._undated_chance = name.undated_name_chance
        self._nat_differs_factor = name.nationality_differs_factor
        # the list's own counts (parts, sounds) stand for the population only on a list big enough
        # to be a broad sample of it; a short list is a few cases, their aliases and spellings
        broad = len(self.index) >= name.population_sample_min_entries
        self._near_undated = name.near_undated_by_namesakes and broad
        self._near_by_sound = name.near_part_by_sound and broad
        self._date_chance_year = name.date_chance_year
        self._listed_name_counts = name.listed_name_counts
        self._common_sounds = name.common_sound_is_not_rare
        self._sound_people = float(name.common_sound_people)
        self._loose_by_traveller = name.loose_name_by_traveller_spelling
        self._list_people = max(1, len(self.index))
        self._coverage: tuple[float, float] | None = None  # _table_coverage, measured when first needed
        #: per entry position: () when a spelling has a rare token, else its spellings' letter counts
        self._weak_cache: dict[int, tuple[int, ...]] = {}
        self._skeletons: Counter | None = None  # _skeleton_people, made when first needed
        self._rare_limit = max(float(name.rare_token_min), len(self.index) * name.rare_token_share)
        # a list's own count says something about the population only when many listed people
        # carry the part (the bar the very-common-token rule uses: 50, or its share of the list)
        self._list_share_min = max(float(name.listed_part_min_people), self._rare_limit)
        self._population_share_min = max(50.0, self._rare_limit)
        # ... and as the population share of a part in the namesake estimates (_expected_namesakes)
        self._estimate_share_min = max(float(name.population_part_min_people), self._rare_limit) if broad \
            else self._population_share_min
        self._near_factor = name.near_part_factor
        self._independent_parts = max(1, name.independent_name_parts)
        self._lock = threading.Lock()
        self._accelerator = None
        if accelerate:
            from pipelines.screening.engine.compiled.accelerate import Accelerator
            self._accelerator = Accelerator(self.scoring_tables())

    def scoring_tables(self) -> ScoringTables:
        """The public, read-only snapshot of this screener's index and settings that the compiled
        path reads (:class:`~pipelines.screening.engine.tables.ScoringTables`)."""
        index = self.index
        return ScoringTables(
            lookup=index.lookup, entries=index.entries, forms=index.forms, docs=index.docs,
            nationalities=[self._nationalities(p) for p in range(len(index))],
            common=index.common, token_people=index.token_people,
            common_full_name=functools.partial(common_full_name, index, self._common_name_share),
            name_params=self._name_params, rare_limit=self._rare_limit,
            dob_adjust=self._dob_adjust,
            sex=(self._values["sex"]["agree"], self._values["sex"]["differ"]),
            nationality=(self._values["nationality"]["agree"], self._values["nationality"]["differ"]),
            uncorroborated_common_name_cap=self._uncorroborated, uncorroborated_name_cap=self._name_only_cap)

    def screen(self, traveller: Traveller, min_score: float | None = None) -> list[Candidate]:
        """Candidates for one traveller with score >= ``min_score`` (default: the settings' floor),
        best first. Suppressed candidates are included, marked.

        The Beam transform asks only for alerting candidates (``min_score`` = the lowest category
        threshold, :attr:`lowest_threshold`); a higher ``min_score`` lets the engine skip more entries
        before scoring them (birth-year filtering of big blocks, field-only upper bounds)."""
        return self.screen_many([traveller], min_score)[0]

    def screen_many(self, travellers: list[Traveller], min_score: float | None = None) -> list[list[Candidate]]:
        """:meth:`screen` for a batch of travellers (one list of candidates per traveller, same
        order): with the compiled pre-scoring (:mod:`pipelines.screening.engine.compiled.accelerate`) a batch is one
        call into compiled code, which leaves only entries that can reach ``min_score`` for the
        exact Python scoring below. The results are the same with or without it."""
        with self._lock:  # one batch at a time: the compiled stage reuses scratch arrays
            return self._screen_many(travellers, min_score)

    def _screen_many(self, travellers: list[Traveller], min_score: float | None) -> list[list[Candidate]]:
        floor = self.settings.floor if min_score is None else min_score
        prepared = []
        for traveller in travellers:
            form = name_form(traveller.surname, traveller.given_names, traveller.full_name)
            dob = parse_date(traveller.date_of_birth)
            window = self._year_window(floor) if dob is not None else None
            prepared.append((traveller, form, dob, window))
        if self._accelerator is not None:
            positions_of = self._accelerator.survivors(prepared, floor)
        else:
            positions_of = [self.index.candidates((form,) if form else (), traveller.documents, dob, window,
                                                  self._dob_adjust, self._missing_prior(form))
                            for traveller, form, dob, window in prepared]
        return [self._screen_positions(traveller, form, dob, positions, floor) if positions else []
                for (traveller, form, dob, _), positions in zip(prepared, positions_of)]

    def _screen_positions(self, traveller: Traveller, form, dob, positions: list[int], floor: float) -> list[Candidate]:
        out = []
        identity = frozenset(form.tokens) if form else frozenset()
        nationality = traveller.nationality
        compared: dict = {}  # namesakes on the list share spellings: each compared once
        for position in positions:
            candidate = self._score(traveller, form, dob, nationality, position, floor, compared)
            if candidate is None:
                continue
            if self.suppressor:
                by = self.suppressor.check(traveller, candidate.entry, identity)
                if by:
                    candidate = Candidate(candidate.traveller_id, candidate.entry, candidate.score, candidate.threshold,
                                          candidate.explanation + f"\nsuppressed: by {by}", by)
            out.append(candidate)
        out.sort(key=lambda c: (-c.score, c.entry["list_id"], c.entry["entry_id"]))
        return out

    def _missing_prior(self, form) -> float:
        """The cheap score by which the candidate cap orders an entry without a date of birth
        among entries sharing as many keys (``CandidateIndex.candidates``; an entry with dates
        counts the date-of-birth adjustment of its best listed one, as the score will): what an
        uncorroborated name can reach when the traveller's full name is common
        (``uncorroborated_common_name_cap`` - 1), else 0. So among namesakes the one born that
        day comes first, then that year, and a common name's undated entries come after a birth
        year one off (a keying error) but before namesakes born years away."""
        return self._uncorroborated - 1.0 if form and self._common_full_name(form) else 0.0

    @property
    def lookup_stats(self) -> dict[str, int]:
        """What candidate generation gave up so far (``index.LOOKUP_STATS``: big blocks narrowed by
        birth year, blocks skipped, look-ups the cap cut, candidates cut), for run reports."""
        return self.index.stats

    @property
    def lowest_threshold(self) -> float:
        """The lowest score that can alert on any category (:attr:`Settings.lowest_threshold`):
        what a caller that only wants alerts passes as ``min_score``."""
        return self.settings.lowest_threshold

    def _year_window(self, min_score: float) -> int | None:
        """Birth years further apart than this cannot reach ``min_score`` even with a perfect name
        (the date penalty alone keeps them under); None when every year difference can."""
        best_other = self._best_nat_bonus + max(0.0, self.settings.sex.agree)
        if 1.0 + self._dob.year_far + best_other >= min_score:
            return None
        if 1.0 + self._dob.year_off_2_3 + best_other >= min_score:
            return 3
        # one year apart the best level is a keying error (year_typo) or a partial date
        # (year_off_by_one); two different full birthdays can be one year apart as well
        best_one_year = max(self._dob.year_typo, self._dob.year_off_by_one, self._dob.different_birthday)
        if 1.0 + best_one_year + best_other >= min_score:
            return 1
        return 0

    # ------------------------------------------------------------------------------------
    def _common_full_name(self, form) -> bool:
        return common_full_name(self.index, self._common_name_share, form)

    def _listed_share(self, token: str, least: float) -> float:
        """A name part's share of the list's people, counted when at least ``least`` listed
        people carry it, else 0."""
        carried = self.index.token_people.get(token, 0)
        return carried / self._list_people if carried >= least else 0.0

    def _expected_namesakes(self, best, listed_only: bool = False) -> float:
        """How many people of the travelling population are expected to carry the name parts this
        comparison agrees on: ``travelling_population`` x the agreeing parts' shares.

        A part's share is its population share (:meth:`_table_share`: the table's, scaled by
        the table's coverage of the list's names), of the list's spelling or of the traveller's,
        the larger (a list spelling in another script is a consonant spelling no table knows; the
        passport spelling is a name); a part joined from several tokens is as rare as its rarest
        token; a part that agrees only by sound, spelling or nickname is ``near_part_factor``
        times as common (the spellings near it agree as well). For a part the table does not
        know, the list's own share (:meth:`_listed_share`, when at least
        ``population_part_min_people`` listed people carry it) may stand for its population
        share; for a part agreeing only by sound or spelling (``near_part_by_sound``) so may the
        list's share of every token with its consonant skeleton. A part the table knows keeps
        the table's share whatever the list's size (a list's count of it took the larger of the
        two on big lists only, so the same name counted as commoner there). One part at a time:
        parts the list carries together are often one person's (a listed person's aliases, a
        family), so two of them are not independent evidence. Only the
        ``independent_name_parts`` rarest parts are combined, within each culture of the table
        (:func:`name_frequency.joint_share`: a given name and a surname of one culture go
        together): given names go together too (``JOSE LUIS``, ``MARIE CLAUDE``), so a third
        part does not make a name a hundred times rarer. Infinite when no part agrees strongly.
        ``listed_only``: only estimates in which the list's own share of a part stands for it (0
        when the list carries no agreeing part often enough to say)."""
        entry_tokens = best._entry.tokens
        loose = best._entry.loose
        # as a population estimate a list's share needs a few carriers (a part no table knows is
        # carried by 5 of a million listed people when ~2,000 travellers carry it)
        least = self._list_share_min if listed_only else self._estimate_share_min
        shares, listed, profiles = [], [], []
        for q_text, e_text, sim, level in best.pairs:
            if sim < 0.7 or level == "initial" or level == "initials" or is_particle(e_text):
                continue
            parts = (e_text,) if e_text in entry_tokens else tuple(t for t in entry_tokens if t in e_text) or (e_text,)
            share, token = min((self._table_share(token), token) for token in parts)
            if " " not in q_text and self._table_share(q_text) > share:
                share, token = self._table_share(q_text), q_text
            profiles.append(population_profile(token))
            factor = 1.0 if level == "exact" else self._near_factor
            shares.append(min(1.0, share * factor))
            # a list spelling in another script is syllables or consonants: the list's count of the
            # traveller's (Latin) spelling says how many listed people carry the name part
            on_list = self._listed_share(q_text, least) if loose and " " not in q_text else \
                min(self._listed_share(token, least) for token in parts)
            if profiles[-1] and not listed_only:
                on_list = 0.0  # the table knows the part: its share does not change with the list's size
            if self._near_by_sound and level != "exact" and not loose and " " not in q_text and " " not in e_text:
                sounding = max(self._skeleton_people(q_text), self._skeleton_people(e_text))
                if sounding >= least:
                    on_list = max(on_list, sounding / self._list_people / factor)
            listed.append(min(1.0, max(share, on_list) * factor))
        if not shares:
            return float("inf")
        best_product = 0.0 if listed_only else self._combined(shares, profiles)
        for i, share in enumerate(listed):
            if share > shares[i]:
                best_product = max(best_product, self._combined(shares[:i] + [share] + shares[i + 1:], profiles))
        return best_product * self._population

    def _table_share(self, token: str) -> float:
        """A name part's population share (:mod:`name_frequency`), its surname and given-name
        shares each scaled by the table's coverage of the list's names (:meth:`_table_coverage`)."""
        share = population_share(token)
        if not share:
            return 0.0
        surname, given = self._table_coverage()
        as_surname = surname_share(token)
        return surname * as_surname + given * (share - as_surname)

    def _table_coverage(self) -> tuple[float, float]:
        """The share of the list's people whose surname the population table lists, and whose
        first given name it lists (names given in surname and given-name fields, Latin script;
        a sample of at most ``_COVERAGE_SAMPLE`` entries spread over the list).

        A frequency table lists the common names, most common first, and its shares are of the
        people whose name it lists: a census table states what share of the population that is
        (the US census of 2010 lists the surnames of about 90%), the generator's tables list the
        surnames of about 55%. A table's share of a part is that coverage times the part's share
        among the names listed; measured on the list, a proportion over thousands of people, it
        is the same on a list of ten thousand entries as on a million. Under
        ``_COVERAGE_MIN_PEOPLE`` such names (a short list of cases, or full names only) the
        table counts as covering everyone."""
        coverage = self._coverage
        if coverage is None:
            forms, counted, surnames, givens = self.index.forms, 0, 0, 0
            step = max(1, len(forms) // _COVERAGE_SAMPLE)
            for position in range(0, len(forms), step):
                form = forms[position][0] if forms[position] else None
                if form is None or form.loose or all(form.surname) or not any(form.surname):
                    continue
                flags = particle_flags(form)
                surname = [t for t, s, p in zip(form.tokens, form.surname, flags) if s and not p]
                given = [t for t, s, p in zip(form.tokens, form.surname, flags) if not s and not p]
                if not surname or not given:
                    continue
                counted += 1
                surnames += all(surname_share(t) > 0.0 for t in surname)
                givens += population_share(given[0]) - surname_share(given[0]) > 0.0
            coverage = (surnames / counted, givens / counted) if counted >= _COVERAGE_MIN_PEOPLE else (1.0, 1.0)
            self._coverage = coverage
        return coverage

    def _combined(self, shares: list[float], profiles: list[dict]) -> float:
        """The share of people carrying every part: the ``independent_name_parts`` rarest parts'
        shares combined as :func:`name_frequency.joint_share` does (within each culture of the
        population table, at least their product)."""
        rarest = sorted(range(len(shares)), key=shares.__getitem__)[:self._independent_parts]
        return joint_share([(shares[i], profiles[i]) for i in rarest])

    def _listed_namesakes(self, form, best) -> float:
        """Different listed people carrying exactly the traveller's name or exactly the entry's
        (:meth:`CandidateIndex.people_named`, counted from 3): the list's own count of a full
        name, which the product of its parts' shares can underestimate by far (a surname common
        in one community, a given name common with it). 0 when fewer than 3 carry either."""
        if not self._listed_name_counts:
            return 0.0
        index = self.index
        return float(max(index.people_named(form.tokens), index.people_named(best._entry.tokens)))

    def _common_name(self, form, best, level: str, nat: int = spec.ABSENT) -> float | None:
        """Is the agreeing name too common to count without a full date (None: no)? Returns the
        expected namesakes in the travelling population (the explanation's figure), the larger of
        the parts' estimate (:meth:`_expected_namesakes`) and the list's own count of people with
        this full name scaled to the population (:meth:`_listed_namesakes`: 3 people named so on
        a million-entry list stand for ~1,200 travellers).

        The Fellegi-Sunter question, asked of the travelling population, not of the list: how
        many people are expected to carry this name *and* a date of birth agreeing at least this
        well (:meth:`namesakes_agreeing`)? The traveller is at best one of them, so when that
        reaches ``weak_evidence_people`` (4: a one-in-four chance at best that the traveller is
        the listed person) the agreement is what namesakes produce, not an identification. The
        size of the list does not enter: a bigger list holds more namesakes, but in the same
        proportion more listed people who travel, so the odds that one alert is right do not
        change with it (a rule counting the list's namesakes made the recall of a year-only
        date fall as the list grew, and the false alerts still grew with it).

        With a date that agrees only weakly (``level`` in :data:`WEAK_DOB_LEVELS`): the expected
        namesakes times the chance that a random person's date agrees at least at this level
        (:func:`date_chance`).

        Without a date (``missing``) every namesake agrees, and the bar stays the one of the
        list's own namesakes (``undated_name_chance`` of a listed namesake who is someone else:
        on a million-entry list 4 people in the travelling population, on a thousand-entry one
        4,000): on short lists of many spellings of few names (``benchmarks/matching_quality.py``'s
        name sets) a population bar made near names of common parts reviewable that other
        matchers find. The old rules stay (every agreeing part a very common token, the full name
        on many listed people: inf; an *identical* name with at least ``common_name_people``
        expected namesakes); a name in another script, or an identical one, is judged by the
        namesakes the list itself shows (a part many listed people carry); on a broad list
        (``population_sample_min_entries``) by every estimate, near Latin names too
        (``near_undated_by_namesakes``), their near parts counted as common as every listed
        spelling that sounds alike (``near_part_by_sound``).

        A nationality that differs makes the namesakes ``nationality_differs_factor`` times as
        many: a listed person rarely travels on another nationality's passport (dual nationals
        do), a namesake often does."""
        expected = max(self._expected_namesakes(best),
                       self._listed_namesakes(form, best) * self._population / self._list_people)
        if nat == spec.DIFFER:
            expected *= self._nat_differs_factor
        if level != "missing":
            people = self.namesakes_agreeing(expected, level, best.common_only)
            return expected if people >= self._weak_evidence_people else None
        if best.common_only or self._common_full_name(form):
            return float("inf")
        identical = _identical(best)
        if identical and expected >= self._common_people:
            return expected
        # namesakes in the population for whom the list is expected to hold undated_name_chance
        # of a listed namesake
        bar = self._undated_chance * self._population / self._list_people
        if not identical and not (best._query.loose or best._entry.loose) and not self._near_undated:
            return None  # a near Latin name: the name-only rule decides (_weak_name_only, _rare_only_by_sound)
        if len(best.pairs) < 2:
            return None  # a one-part name (a mononym against itself): the rules above decide
        # the namesakes the list itself shows: a part many listed people carry (or the full name)
        on_list = max(self._expected_namesakes(best, listed_only=True),
                      self._listed_namesakes(form, best) * self._population / self._list_people)
        if self._near_undated:  # on a broad list: every estimate, near parts by their sound
            on_list = max(on_list, expected)
        return on_list if on_list >= bar else None

    def namesakes_agreeing(self, expected: float, level: str, common_only: bool = False) -> float:
        """People of the travelling population expected to carry a name (``expected``, at least
        ``common_name_people`` when every agreeing part is a very common name) and a date of
        birth agreeing with the traveller's at least as well as ``level``
        (:data:`WEAK_DOB_LEVELS`; by :func:`date_chance`)."""
        if common_only:
            expected = max(expected, self._common_people)
        return expected * date_chance(level, self._date_chance_year)

    def useless_entries(self) -> dict[str, list[str]]:
        """Entries that cannot pin anyone down, per list: no date of birth, no document, no
        nationality, and every name a common one (at least ``common_name_people`` expected to
        carry it in the travelling population; each part's share as in
        :meth:`_expected_namesakes`). Screening reports them to the list's owner: a traveller
        with that name is at most a reviewable candidate, never an alert. Lost/stolen documents
        and entries without a name are left out."""
        out: dict[str, list[str]] = {}
        index, counts, people, least = self.index, self.index.token_people, self._list_people, self._population_share_min
        for position, entry in enumerate(index.entries):
            forms = index.forms[position]
            if not forms or index.dobs[position] or index.docs[position] or entry.get("nationalities") \
                    or entry.get("category") == LOST_STOLEN:
                continue
            common = True
            for form in forms:
                expected = self._population
                for token in form.tokens:
                    if not is_particle(token):
                        carried = counts.get(token, 0)
                        expected *= max(population_share(token), carried / people if carried >= least else 0.0)
                if form.loose or expected < self._common_people:
                    common = False
                    break
            if common:
                out.setdefault(entry.get("list_id") or "", []).append(entry["entry_id"])
        return out

    def _weak_name_only(self, best) -> bool:
        """A name-only match (no date of birth on one side, no document) that is neither the same
        name nor agrees on a rare name part: ``SOFIA ORTIZ`` vs ``SOPHIA JIMENEZ ORTIZ``. Many
        people share such a near-name with a listed person, so it may not alert alone. An identical
        name (every part on both sides agreeing exactly) alerts as before, and so does one agreeing
        on a part carried by few listed people (``rare_token_share`` of the list's entries, at
        least ``rare_token_min``; one person listed by several partners counts once): a rare
        surname is what narrows a name down when no date can."""
        if best._query.loose or best._entry.loose:
            return False  # syllables and abjad spellings as tokens: list frequency says little there
        if not best.extra_query and not best.extra_entry and all(level == "exact" for *_, level in best.pairs):
            return False
        counts, limit = self.index.token_people, self._rare_limit
        entry_tokens = best._entry.tokens
        for _, e_text, sim, level in best.pairs:
            if sim >= spec.STRONG_PART and level != "initial" and level != "initials":
                if people_carrying(e_text, entry_tokens, counts) <= limit:
                    return False
        return True

    def _rare_only_by_sound(self, best) -> bool:
        """A near name-only match whose every rare agreeing part (:meth:`_weak_name_only`) agrees
        only by sound or spelling with a *common* sound (``MEZMIN`` ~ ``MOSMIN``, ``MUNOZ`` ~
        ``MANNEZ``): the rare spelling narrows nothing down when many listed people carry a
        spelling that sounds the same (:meth:`_skeleton_people`). Then the name-only cap applies
        as for a near name with no rare part. Exempt as there: names in loose scripts and
        identical names. Applied after the compiled pre-scoring, which only bounds the score from
        above (it does not know this rule, so it keeps a little more than needed)."""
        if not self._common_sounds or best._query.loose or best._entry.loose or _identical(best):
            return False
        counts, limit = self.index.token_people, self._rare_limit
        entry_tokens = best._entry.tokens
        for q_text, e_text, level in _strong_parts(best):
            if people_carrying(e_text, entry_tokens, counts) <= limit:
                if level == "exact" or max(self._skeleton_people(q_text), self._skeleton_people(e_text)) <= \
                        max(limit, self._sound_people):
                    return False
        return True

    def _loose_name_only(self, best) -> bool:
        """A near name-only match against a name in another script (``RIYA MEHTA`` against
        ``रिया दिव्या मेहता``, ``XUE YANG`` against ``周秀英``) whose agreeing parts are all spelled,
        on the traveller's side, as many listed people spell theirs. The list's own tokens in
        such scripts are syllables or consonant spellings whose counts say little, so
        :meth:`_weak_name_only` leaves them alone; the traveller's passport spelling is an
        ordinary name whose count on the list says as much as any: common when 50 or more listed
        people carry it (a count, as for the population estimate: a small list's shares say
        little). Then the name-only cap applies as for a near name with no rare part. Python
        only, after the compiled pre-scoring (which only bounds the score from above)."""
        if not self._loose_by_traveller or not (best._query.loose or best._entry.loose) or _identical(best):
            return False
        counts, limit = self.index.token_people, self._population_share_min
        query_tokens = best._query.tokens
        return all(people_carrying(q_text, query_tokens, counts) > limit for q_text, _, _ in _strong_parts(best))

    def _skeleton_people(self, text: str) -> int:
        """Listed people carrying a token spelled with ``text``'s consonant skeleton: a part that
        agrees only by sound (``MEZMIN`` ~ ``MOSMIN``) is as rare as every spelling that sounds
        like it, not as its one listed spelling (a rare spelling of a common sound agrees with
        many people by chance)."""
        table = self._skeletons
        if table is None:
            table = self._skeletons = Counter()
            for token, n in self.index.token_people.items():
                table[skeleton(token)] += n
        return table.get(skeleton(text), 0) if " " not in text else 0

    def _surely_weak_name_only(self, form, position: int) -> bool:
        """Before the full comparison: is every possible outcome a weak name-only match (see
        :meth:`_weak_name_only`)? True when no spelling of the entry has a rare token (so no pair
        can agree on one) and none has as many letters as the traveller's name (an identical name,
        every part exactly paired, needs the same letters). Then the name counts at most the
        name-only cap and, with nothing else to add, the entry cannot reach an alert cut-off."""
        cached = self._weak_cache.get(position)
        if cached is None:
            counts, limit = self.index.token_people, self._rare_limit
            forms = self.index.forms[position]
            rare = any(f.loose for f in forms) or any(counts.get(t, 0) <= limit for f in forms for t in f.tokens)
            cached = self._weak_cache[position] = () if rare else tuple({sum(map(len, f.tokens)) for f in forms})
        if cached == () or form.loose:
            return False
        return sum(map(len, form.tokens)) not in cached

    def _nationalities(self, position: int) -> tuple[str, ...]:
        listed = self.index.entries[position].get("nationalities")
        return alpha3_nationalities(tuple(listed)) if listed else ()

    def _score(self, traveller: Traveller, form, dob, nationality, position: int, floor: float,
               compared: dict | None = None) -> Candidate | None:
        """Score one entry. The other fields are compared first (cheap): when even a perfect name
        could not lift the entry to ``floor`` the name comparison is skipped. The explanation is
        built only for a candidate that is kept. ``compared``: this traveller's name comparisons
        so far, by list spelling (a pure function of the two names)."""
        index = self.index
        entry = index.entries[position]
        category = entry.get("category") or ""
        threshold = self.settings.threshold(category)
        entry_docs = index.docs[position]
        doc_level, doc_text = self._documents(traveller, entry_docs) if entry_docs and traveller.documents else ("differ", "")
        if category == LOST_STOLEN:
            floors = {"agree": 1.0, "agree_issuer_missing": self.settings.document.issuer_missing_floor}
            score = floors.get(doc_level, 0.0)
            if score < floor:
                return None
            return Candidate(traveller.traveller_id, entry, round(score, 4), threshold,
                             f"document: {doc_text} (listed as {category.lower().replace('_', ' ')}; the document alone decides)")
        doc_floor = self._values["document"].get(doc_level)
        # fields other than the name: cheap, and they bound what the name can achieve
        entry_dobs = index.dobs[position]
        level = best_dob_level(dob, entry_dobs) if dob is not None and entry_dobs else "missing"
        dob_adjust = self._values["date_of_birth"][level]
        t_sex, e_sex = traveller.sex, entry.get("sex")
        sex = spec.sex_match(spec.SEX_CODES.get(t_sex, 0), spec.SEX_CODES.get(e_sex, 0))
        nats = self._nationalities(position) if nationality else ()
        nat = (spec.AGREE if nationality in nats else spec.DIFFER) if nats else spec.ABSENT
        sex_values, nat_values = self._values["sex"], self._values["nationality"]
        others = spec.field_adjustment(dob_adjust, sex, nat, sex_values["agree"], sex_values["differ"],
                                       nat_values["agree"], nat_values["differ"])
        if doc_floor is None and 1.0 + others < floor:
            return None  # even an identical name could not reach the floor
        if (doc_floor is None and level == "missing" and form
                and max(self._name_only_cap, self._uncorroborated) + others < floor
                and self._surely_weak_name_only(form, position)):
            return None  # a name-only match that the caps keep under the floor whatever the name
        best = None
        self.names_compared += 1
        if form:
            for entry_form in index.forms[position]:
                result = compared.get(entry_form) if compared is not None else None
                if result is None:
                    if self._accelerator is not None:  # its tables hold the list's spellings already
                        result = compare_in(self._accelerator.names, form, entry_form)
                    else:
                        result = compare_names(form, entry_form, self._name_params, index.common)
                    if compared is not None:
                        compared[entry_form] = result
                if best is None or result.score > best.score:
                    best = result
        name_score = best.score if best else 0.0
        common = None
        if best is not None and doc_floor is None and (level == "missing" or level in WEAK_DOB_LEVELS or (
                level == "exact" and nat == spec.DIFFER and self._nat_differs_factor > 1.0 and not _identical(best))):
            # (the same full date counts as corroboration, but for a name that is only near and a
            # nationality that contradicts it: then by the namesakes it leaves, as a weak date)
            common = self._common_name(form, best, level, nat)
        uncorroborated = common is not None and level == "missing"
        weakly_corroborated = common is not None and level != "missing"
        name_only = (not uncorroborated and best is not None and doc_floor is None and level == "missing"
                     and name_score > self._name_only_cap
                     and (self._weak_name_only(best) or self._rare_only_by_sound(best) or self._loose_name_only(best)))
        if uncorroborated:
            # a very common name and nothing that pins the person down (no date of birth on one
            # side, no document): thousands of people carry it, so it stays a candidate for
            # review but should not stop the traveller on its own
            name_score = min(name_score, self._uncorroborated)
        elif name_only:
            name_score = min(name_score, self._name_only_cap)
        score = spec.combine(name_score, others, doc_floor)
        if weakly_corroborated:
            # a common name whose date agrees only partly, by one keying error or swapped (never
            # with a document floor): among its namesakes several will, by chance; a candidate
            # to review, not an alert
            score = min(score, self._weak_date_cap)
        if score < floor:
            return None
        lines = [best.text if best else "name: not on both sides"]
        differs = "" if nat != spec.DIFFER or self._nat_differs_factor == 1.0 or common == float("inf") else \
            f", counted {self._nat_differs_factor:g} times as many as the nationality differs"
        if uncorroborated:
            lines.append(f"common name{_namesakes(common)[:-1]}{differs}), no date of birth or document to compare: "
                         f"name counted at most {self._uncorroborated:.2f}")
        elif weakly_corroborated:
            agreeing = "" if common == float("inf") else \
                f", about {self.namesakes_agreeing(common, level, best.common_only):,.0f} of them with a date of " \
                f"birth agreeing this well"
            how = "the same date of birth but a name that is only near and a nationality that differs" \
                if level == "exact" else \
                "date of birth agrees only partly, by one keying error or with day and month swapped"
            lines.append(f"common name{_namesakes(common)[:-1]}{differs}{agreeing}), {how}, and no document: "
                         f"score counted at most {self._weak_date_cap:.2f}")
        elif name_only:
            lines.append("name not identical and no rare part agrees (or only by sound, with a common sound, or "
                         "only in the traveller's common spelling of a name in another script), "
                         "no date of birth or document to compare: "
                         f"name counted at most {self._name_only_cap:.2f}")
        if level != "missing":
            listed = "|".join(entry.get("dates_of_birth") or [])
            lines.append(f"date_of_birth: {DOB_LEVELS[level]} ({traveller.date_of_birth} vs {listed}) {dob_adjust:+.2f}")
        if sex != spec.ABSENT:
            agree = sex == spec.AGREE
            lines.append(f"sex: {'agrees' if agree else 'differs'} ({t_sex} vs {e_sex}) "
                         f"{sex_values['agree' if agree else 'differ']:+.2f}")
        if nat != spec.ABSENT:
            agree = nat == spec.AGREE
            lines.append(f"nationality: {'agrees' if agree else 'differs'} ({nationality} vs "
                         f"{'|'.join(nats)}) {nat_values['agree' if agree else 'differ']:+.2f}")
        if doc_floor is not None:
            lines.append(f"document: {doc_text} -> score at least {doc_floor:.2f}")
        elif doc_level == "issuer_differs":
            lines.append(f"document: {doc_text}")
        return Candidate(traveller.traveller_id, entry, round(score, 4), threshold, "\n".join(lines))

    @staticmethod
    def _documents(traveller: Traveller, entry_docs) -> tuple[str, str]:
        best, text = "differ", ""
        rank = {"agree": 0, "agree_issuer_missing": 1, "issuer_differs": 2, "differ": 3}
        for number, issuer in traveller.documents:
            for e_number, e_issuer in entry_docs:
                level = compare_document(number, issuer, e_number, e_issuer)
                if rank[level] < rank[best]:
                    best = level
                    words = {"agree": "number and issuing state agree",
                             "agree_issuer_missing": "number agrees, issuing state unknown on one side",
                             "issuer_differs": "same number but another issuing state (no weight)"}[level]
                    text = f"{number} {issuer or '?'} vs {e_number} {e_issuer or '?'}: {words}"
        return best, text
