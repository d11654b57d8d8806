"""The sensitive-data filter: the first thing applied to every record, before scope or allow-list.

EU PNR Directive art. 13 and EU-US 2012 art. 6 forbid processing data that reveal racial or
ethnic origin, political opinions, religion or beliefs, trade-union membership, health, sex life
or orientation. In a PNR they hide in special service requests (religious and medical meals,
assistance codes) and in free text (general remarks, OSI, IFT, SSR text, history lines). This
module removes them from a record so that no later rule, allow-list mistake or treatment can
send them: an arrangement that lists ``ssrs[].code`` still never sends ``MOML``.

Free text (remarks, OSI, IFT, history lines, SSR text) is always dropped, whatever it says: the
only policy is ``drop``. A ``screen`` policy that kept remarks holding no listed sensitive word
existed until it was shown to let "chemotherapy appointment", "hearing impaired", "limited mobility
after surgery", "observes Shabbat" and "visually impaired with guide dog" reach a partner: a word
list cannot know every way of writing health, disability, religion, diet, ethnicity or sexual life
in every language an airline agent types, so keeping any remark is a treaty risk the filter cannot
bound. SSR *codes* stay (they are a closed vocabulary): sensitive ones are removed by code.

The code list is partly *unverified*: MOML, KSML, HNML, VJML, AVML, DBML, GFML, LSML and WCHR are
named in the EU PNR Directive guidance and IATA's meal and assistance code tables as cited in the
project's domain notes; MEDA, BLND and DEAF and the wheelchair variants are plausible IATA
assistance codes, not checked against the IATA SSR manual (IATA Passenger Services Conference
Resolutions Manual, Recommended Practice 1708). Arrangements may add codes; they can never remove
the defaults.
"""

from __future__ import annotations

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

FREE_TEXT_POLICIES = ("drop",)

#: Why ``screen`` is gone, for the rules loader's message.
SCREEN_REMOVED = (
    "sensitive.free_text 'screen' was removed: a word list let health and religion through "
    "('chemotherapy appointment', 'observes Shabbat', 'visually impaired with guide dog'), and no "
    "list covers every language and spelling; free text is always dropped (use 'drop')")


class SensitiveFilter:
    """Removes sensitive SSRs and all free text from source records; immutable and reusable."""

    def __init__(self, extra_codes: Iterable[str] = (), free_text: str = "drop"):
        if free_text == "screen":
            raise ValueError(SCREEN_REMOVED)
        if free_text not in FREE_TEXT_POLICIES:
            raise ValueError(f"free_text must be one of {FREE_TEXT_POLICIES}, not {free_text!r}")
        self.codes = frozenset(DEFAULT_SENSITIVE_SSR_CODES | {c.strip().upper() for c in extra_codes})
        self.free_text = free_text

    def key(self) -> tuple:
        return (self.codes, self.free_text)

    def apply_pnr(self, pnr: dict) -> dict:
        """A shallow copy of ``pnr`` without sensitive SSRs, SSR text, remarks or history lines."""
        out = dict(pnr)
        out["ssrs"] = [dict(ssr, text=None) if ssr.get("text") is not None else ssr
                       for ssr in pnr.get("ssrs") or ()
                       if (ssr.get("code") or "").strip().upper() not in self.codes]
        out["remarks"] = []
        out["history"] = []
        return out

    def apply_api(self, traveller: dict) -> dict:
        """API data carry no free text or SSRs; returned unchanged (kept for symmetry)."""
        return traveller
