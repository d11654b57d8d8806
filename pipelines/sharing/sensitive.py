"""The sensitive-data filter: the first thing applied to every record, before scope or allow-list.

EU PNR Directive art. 13 and EU-US 2012 art. 6 forbid processing data that reveal racial or
ethnic origin, political opinions, religion or beliefs, trade-union membership, health, sex life
or orientation. In a PNR they hide in special service requests (religious and medical meals,
assistance codes) and in free text (general remarks, OSI, IFT, SSR text, history lines). This
module removes them from a record so that no later rule, allow-list mistake or treatment can
send them: an arrangement that lists ``ssrs[].code`` still never sends ``MOML``.

Two policies for free text, chosen per arrangement:

- ``screen``: drop each remark, history line or SSR text that contains a sensitive term or code;
- ``drop``: drop all free text whatever it says (the safer default).

The code and term lists are partly *unverified* (see ``/work/shared/domain.md``): MEDA, BLND and
DEAF and the wheelchair variants are plausible IATA assistance codes, not checked against the
IATA SSR manual. Arrangements may add codes and terms; they can never remove the defaults.
"""

from __future__ import annotations

import re
from typing import Iterable

#: Religious or belief-revealing meal codes (domain.md: MOML, KSML, HNML, VJML, AVML).
RELIGIOUS_MEAL_CODES = frozenset({"MOML", "KSML", "HNML", "VJML", "AVML", "VGML", "VLML", "RVML"})
#: Medical or diet meal codes that reveal health (DBML, GFML, LSML from domain.md; the rest unverified).
MEDICAL_MEAL_CODES = frozenset({"DBML", "GFML", "LSML", "LCML", "LFML", "NLML", "BLML", "SFML"})
#: Assistance codes that reveal health or disability (WCHR from domain.md; the rest unverified).
ASSISTANCE_CODES = frozenset({
    "WCHR", "WCHS", "WCHC", "WCBD", "WCBW", "WCMP", "WCOB", "MEDA", "BLND", "DEAF", "DPNA",
    "STCR", "OXYG", "MAAS", "PPOC", "POCS",
})
DEFAULT_SENSITIVE_SSR_CODES = RELIGIOUS_MEAL_CODES | MEDICAL_MEAL_CODES | ASSISTANCE_CODES

#: Word stems that reveal a special category in free text; matched at the start of a word,
#: case-insensitively (``DIABET`` catches DIABETIC and DIABETES).
DEFAULT_SENSITIVE_TERMS = (
    # religion or beliefs
    "MUSLIM", "MOSLEM", "ISLAM", "HALAL", "KOSHER", "JEWISH", "JUDAI", "HINDU", "JAIN", "SIKH",
    "BUDDHI", "CHRISTIAN", "CATHOLIC", "PROTESTANT", "MORMON", "RELIGIO", "MOSQUE", "SYNAGOGUE",
    "CHURCH", "PRAYER", "RAMADAN", "PILGRIM", "HAJJ", "UMRAH",
    # health
    "MEDICAL", "MEDIC", "DIABET", "INSULIN", "WHEELCHAIR", "DISAB", "BLIND", "DEAF", "OXYGEN",
    "STRETCHER", "PREGNAN", "HIV", "CANCER", "DIALYSIS", "ILLNESS", "SICK", "HEALTH", "ALLERG",
    "EPILEP", "DEMENTIA", "AUTIS", "PSYCH", "GLUTEN", "COELIAC", "CELIAC",
    # ethnic origin, politics, unions, sex life
    "ETHNIC", "RACIAL", "TRIBE", "POLITIC", "PARTY MEMBER", "TRADE UNION", "UNION MEMBER",
    "GAY", "LESBIAN", "BISEXUAL", "TRANSGENDER", "SEXUAL",
)

FREE_TEXT_POLICIES = ("screen", "drop")


class SensitiveFilter:
    """Removes sensitive SSRs and free text from source records; immutable and reusable."""

    def __init__(self, extra_codes: Iterable[str] = (), extra_terms: Iterable[str] = (), free_text: str = "drop"):
        if free_text not in FREE_TEXT_POLICIES:
            raise ValueError(f"free_text must be one of {FREE_TEXT_POLICIES}, not {free_text!r}")
        self.codes = frozenset(DEFAULT_SENSITIVE_SSR_CODES | {c.strip().upper() for c in extra_codes})
        self.terms = tuple(DEFAULT_SENSITIVE_TERMS) + tuple(t.strip().upper() for t in extra_terms)
        self.free_text = free_text
        stems = "|".join(re.escape(t) for t in sorted(set(self.terms), key=len, reverse=True))
        codes = "|".join(sorted(self.codes))
        # A term matches at a word start; a code only as a whole word ("SSR MOML", "KSML REQ").
        self._pattern = re.compile(rf"(?<![A-Z0-9])(?:(?:{stems})|(?:{codes})(?![A-Z0-9]))", re.IGNORECASE)

    def is_sensitive_text(self, text: str | None) -> bool:
        """True when ``text`` holds a sensitive term or code."""
        return bool(text) and self._pattern.search(text) is not None

    def key(self) -> tuple:
        return (self.codes, self.terms, self.free_text)

    def apply_pnr(self, pnr: dict) -> dict:
        """A shallow copy of ``pnr`` with sensitive SSRs and free text removed."""
        out = dict(pnr)
        screen = self.free_text == "screen"
        ssrs = []
        for ssr in pnr.get("ssrs") or ():
            code = (ssr.get("code") or "").strip().upper()
            if code in self.codes:
                continue
            text = ssr.get("text")
            if text:
                if screen and self.is_sensitive_text(text):
                    continue  # the whole request is tainted, not just its text
                if not screen:
                    ssr = dict(ssr, text=None)
            ssrs.append(ssr)
        out["ssrs"] = ssrs
        if screen:
            out["remarks"] = [r for r in pnr.get("remarks") or () if not self.is_sensitive_text(r.get("text"))]
            out["history"] = [h for h in pnr.get("history") or () if not self.is_sensitive_text(h.get("text"))]
        else:
            out["remarks"] = []
            out["history"] = []
        return out

    def apply_api(self, traveller: dict) -> dict:
        """API data carry no free text or SSRs; returned unchanged (kept for symmetry)."""
        return traveller
