"""Scoring a traveller against the candidate entries, with an explanation per field.

The score starts from the best name comparison over the entry's spellings (0..1, see
:mod:`pipelines.screening.compare`) and is then moved by the other fields, each only when both
sides have it (a missing field is no evidence either way):

* date of birth: agreement adds a little, disagreement by years takes a lot away; partial dates,
  01-01 placeholders and day/month swaps count as (weaker) agreement;
* sex: disagreement takes away (agreement says little: half of everyone agrees);
* nationality: agreement adds a little; disagreement takes a little away (dual nationals exist);
* a document number agreeing with the same issuing state lifts the score to a high floor: it is
  near-proof of identity whatever the name spelling.

Entries on a ``LOST_STOLEN_DOCUMENT`` list are matched on the document alone (INTERPOL SLTD
practice): number + issuing state is a hit whoever carries it.

Every number comes from :class:`pipelines.screening.settings.Settings`. The result is a
:class:`Candidate` with ``score`` in [0, 1], the category's ``threshold``, ``alert`` (score at or
above threshold and not suppressed) and ``explanation``: one line per compared field.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.fuzz import token_set_ratio

from pipelines.screening.compare import compare_names
from pipelines.screening.countries import to_alpha3
from pipelines.screening.dates import DOB_LEVELS, compare_dob, parse_date
from pipelines.screening.documents import compare_document
from pipelines.screening.index import CandidateIndex, skeleton_text
from pipelines.screening.names import name_form
from pipelines.screening.settings import Settings, default_settings
from pipelines.screening.suppression import Suppressor
from pipelines.screening.watchlist import Traveller

__all__ = ["Candidate", "Screener", "LOST_STOLEN"]

LOST_STOLEN = "LOST_STOLEN_DOCUMENT"
_DOB_ORDER = ["exact", "day_month_swap", "partial_agree", "placeholder_agree", "month_differs",
              "year_off_by_one", "year_off_2_3", "year_far", "missing"]


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
    def alert(self) -> bool:
        return self.score >= self.threshold and self.suppressed_by is None

    @property
    def entry_id(self) -> str:
        return self.entry["entry_id"]


class Screener:
    """Screens travellers against watchlist entries.

    Build once (the index is the expensive part), then call :meth:`screen` per traveller::

        screener = Screener(read_watchlists(paths), load_settings())
        for candidate in screener.screen(traveller):
            ...
    """

    def __init__(self, entries: list[dict], settings: Settings | None = None, suppressor: Suppressor | None = None):
        self.settings = settings or default_settings()
        self.index = CandidateIndex(entries, self.settings.blocking)
        self.suppressor = suppressor or Suppressor()
        self._name_params = dict(self.settings.name)
        self._dob = self.settings.dob
        self._best_dob_bonus = max(0.0, *self._dob.values())
        self._best_nat_bonus = max(0.0, self.settings.nationality["agree"])
        self._precheck = float(self.settings.blocking.get("precheck_min_ratio", 70))

    def screen(self, traveller: Traveller, min_score: float | None = None) -> list[Candidate]:
        """Candidates for one traveller with score >= ``min_score`` (default: the settings' floor),
        best first. Suppressed candidates are included, marked."""
        floor = self.settings.floor if min_score is None else min_score
        form = name_form(traveller.surname, traveller.given_names, traveller.full_name)
        forms = (form,) if form else ()
        positions = self.index.candidates(forms, traveller.documents)
        if not positions:
            return []
        dob = parse_date(traveller.date_of_birth)
        out = []
        identity = frozenset(form.tokens) if form else frozenset()
        text = skeleton_text(form) if form and not form.loose else None
        doc_numbers = {number for number, _ in traveller.documents}
        for position in positions:
            if text is not None and not self._worth_scoring(text, position, doc_numbers):
                continue
            candidate = self._score(traveller, form, dob, position, floor)
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

    # ------------------------------------------------------------------------------------
    def _worth_scoring(self, text: str, position: int, doc_numbers: set[str]) -> bool:
        """Cheap pre-check (C speed) before the full comparison: some spelling of the entry must
        share enough consonants with the traveller's name in any token order (rapidfuzz
        token_set_ratio over consonant skeletons, so extra/missing tokens and swaps pass). Entries written in a script
        without vowels, and document agreements, always go to full scoring."""
        index = self.index
        if doc_numbers and any(number in doc_numbers for number, _ in index.docs[position]):
            return True
        texts = index.texts[position]
        if texts is None:
            return True
        return any(token_set_ratio(text, other, score_cutoff=self._precheck) for other in texts)

    def _score(self, traveller: Traveller, form, dob, position: int, floor: float) -> Candidate | None:
        index = self.index
        entry = index.entries[position]
        category = entry.get("category") or ""
        threshold = self.settings.threshold(category)
        lines: list[str] = []
        doc_level, doc_text = self._documents(traveller, index.docs[position])
        if category == LOST_STOLEN:
            score = {"agree": 1.0, "agree_issuer_missing": self.settings.document["issuer_missing_floor"]}.get(doc_level, 0.0)
            if score < floor:
                return None
            lines.append(f"document: {doc_text} (listed as {category.lower().replace('_', ' ')}; the document alone decides)")
            return Candidate(traveller.traveller_id, entry, round(score, 4), threshold, "\n".join(lines))
        best = None
        if form:
            for entry_form in index.forms[position]:
                result = compare_names(form, entry_form, self._name_params, index.common)
                if best is None or result.score > best.score:
                    best = result
        name_score = best.score if best else 0.0
        doc_floor = {"agree": self.settings.document["agree_floor"],
                     "agree_issuer_missing": self.settings.document["issuer_missing_floor"]}.get(doc_level)
        if doc_floor is None and name_score + self._best_dob_bonus + self._best_nat_bonus < floor:
            return None  # cannot reach the floor whatever the other fields say
        lines.append(best.text if best else "name: not on both sides")
        score = name_score
        # date of birth
        level = "missing"
        if dob is not None and index.dobs[position]:
            level = min((compare_dob(dob, d) for d in index.dobs[position]), key=_DOB_ORDER.index)
        adjust = self._dob.get(level, 0.0)
        if level != "missing":
            listed = "|".join(entry.get("dates_of_birth") or [])
            lines.append(f"date_of_birth: {DOB_LEVELS[level]} ({traveller.date_of_birth} vs {listed}) {adjust:+.2f}")
            score += adjust
        # sex
        t_sex, e_sex = traveller.sex, entry.get("sex")
        if t_sex in ("M", "F") and e_sex in ("M", "F"):
            key = "agree" if t_sex == e_sex else "differ"
            score += self.settings.sex[key]
            lines.append(f"sex: {'agrees' if key == 'agree' else 'differs'} ({t_sex} vs {e_sex}) {self.settings.sex[key]:+.2f}")
        # nationality
        nats = [to_alpha3(n) for n in entry.get("nationalities") or []]
        if traveller.nationality and nats:
            key = "agree" if traveller.nationality in nats else "differ"
            score += self.settings.nationality[key]
            lines.append(f"nationality: {'agrees' if key == 'agree' else 'differs'} ({traveller.nationality} vs "
                         f"{'|'.join(n for n in nats if n)}) {self.settings.nationality[key]:+.2f}")
        score = min(1.0, max(0.0, score))
        if doc_floor is not None:
            score = max(score, doc_floor)
            lines.append(f"document: {doc_text} -> score at least {doc_floor:.2f}")
        elif doc_level == "issuer_differs":
            lines.append(f"document: {doc_text}")
        if score < floor:
            return None
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
