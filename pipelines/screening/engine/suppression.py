"""Cleared and trusted travellers: stop the same innocent person alerting again and again.

* **Cleared list (redress).** After review finds a traveller is *not* the listed person, the
  analyst records the traveller's identity (name, date of birth, optionally a document or a
  redress number) with the entries they were cleared against (none = all). A later candidate for
  the same identity against those entries is kept for audit but marked ``suppressed_by``.
* **Trusted travellers (NEXUS/SENTRI-like)**, keyed by document number + issuing state. A vetted
  traveller presenting that document *with the vetted name* has person-list candidates
  suppressed. A document hit on a lost/stolen list is never suppressed: a trusted traveller's
  stolen passport in someone else's hands must still alert, which is also why the name must agree.

Identity agreement here is deliberately strict (same name tokens in any order, same date of
birth): suppression must never hide a different person. The lists are read by
:mod:`pipelines.screening.lists.cleared`.
"""

from __future__ import annotations

from typing import Iterable

from pipelines.screening.lists.cleared import ClearedRecord, TrustedRecord
from pipelines.screening.normalise.documents import LOST_STOLEN

__all__ = ["Suppressor"]


class Suppressor:
    """Answers "is this candidate a known false alert?" with the suppressing record's id."""

    def __init__(self, cleared: Iterable[ClearedRecord] = (), trusted: Iterable[TrustedRecord] = ()):
        self._cleared: dict[frozenset[str], list[ClearedRecord]] = {}
        for record in cleared:
            self._cleared.setdefault(record.name_tokens, []).append(record)
        self._trusted = {(t.document_number, t.document_issuer): t for t in trusted}

    def __bool__(self) -> bool:
        return bool(self._cleared or self._trusted)

    def check(self, traveller, entry: dict, tokens: frozenset[str]) -> str | None:
        """``suppressed_by`` text for a candidate, or None."""
        for record in self._cleared.get(tokens, ()):
            if record.entry_ids and entry["entry_id"] not in record.entry_ids:
                continue
            same_dob = record.date_of_birth and record.date_of_birth == traveller.date_of_birth
            same_doc = record.document_number and any(n == record.document_number for n, _ in traveller.documents)
            if same_dob or same_doc:
                return f"cleared:{record.cleared_id}"
        if entry.get("category") == LOST_STOLEN:
            return None
        for number, issuer in traveller.documents:
            record = self._trusted.get((number, issuer))
            if record and record.name_tokens == tokens and (
                    not record.date_of_birth or not traveller.date_of_birth or record.date_of_birth == traveller.date_of_birth):
                return f"trusted:{record.program}:{record.trusted_id}"
        return None
