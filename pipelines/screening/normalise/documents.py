"""Travel documents as their own evidence: number + issuing state.

A document number is unique only within its issuing state, so agreement needs both (INTERPOL
SLTD matches exactly this way). Numbers are compared in MRZ form: upper case, only A-Z and 0-9,
filler ``<`` and separators removed. A different number is *not* evidence against a match (people
hold several passports); only agreement counts.
"""

from __future__ import annotations

import re

from pipelines.screening.normalise.countries import to_alpha3

__all__ = ["normalise_number", "compare_document", "LOST_STOLEN"]

#: The list category of lost and stolen travel documents (INTERPOL SLTD and national lists): its
#: entries are matched on the document alone.
LOST_STOLEN = "LOST_STOLEN_DOCUMENT"

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


def normalise_number(number: str | None) -> str:
    """'ab-123 456<' -> 'AB123456'."""
    return _NOT_ALNUM.sub("", (number or "").upper())


def compare_document(number_a: str, issuer_a: str | None, number_b: str, issuer_b: str | None) -> str:
    """'agree' (number and issuer), 'agree_issuer_missing' (number agrees, an issuer is unknown),
    'issuer_differs' (same number, another state's document) or 'differ'."""
    if not number_a or number_a != number_b or len(number_a) < 5:
        return "differ"
    a, b = to_alpha3(issuer_a), to_alpha3(issuer_b)
    if a and b:
        return "agree" if a == b else "issuer_differs"
    return "agree_issuer_missing"
