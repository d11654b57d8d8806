"""How a flag reads to an analyst: the traveller beside the watchlist entry, and the explanation.

Flags (``schemas/risk_flag.avsc``) carry the traveller as the unit may see it (``traveller``, with
``disclosed_fields`` naming what the unit may see) and only a *reference* to the watchlist entry
(``list_id``, ``entry_id``): the entry stays with its owner. The entry's details come from the
watchlists the unit holds (``WatchlistEntry`` dicts, ``schemas/watchlist_entry.avsc``), loaded into
the review store; when the unit does not hold the list, the entry column says so.

A traveller field the unit may not see reads ``[withheld]``; one it may see but the airline did not
send is blank. Nothing here unmasks anything.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from pipelines.json_values import json_object

__all__ = [
    "WITHHELD",
    "traveller_of",
    "entry_of",
    "side_by_side",
    "explanation_lines",
    "traveller_label",
    "cleared_identity",
    "format_document",
    "format_entry_name",
]


WITHHELD = "[withheld]"




def traveller_of(flag: Mapping[str, Any]) -> dict:
    """The flag's ``traveller`` record (FlagTraveller); flat fields on the flag as a fallback."""
    nested = json_object(flag.get("traveller")) or json_object(flag.get("traveller_json"))
    if nested:
        return {**nested, **json_object(nested.get("person"))}
    return {key: value for key, value in flag.items() if not key.startswith("entry")}


def entry_of(flag: Mapping[str, Any], entry: Mapping[str, Any] | None = None) -> dict:
    """The watchlist entry: the one given, else one carried by the flag (``entry``/``entry_json``)."""
    return dict(entry) if entry else (json_object(flag.get("entry")) or json_object(flag.get("entry_json")))


def format_document(kind: Any, number: Any, issuer: Any) -> str:
    """'P 123456789 (CAN)', leaving out missing parts."""
    text = " ".join(str(part) for part in (kind, number) if part)
    return f"{text} ({issuer})" if issuer and text else text


def format_entry_name(name: Mapping[str, Any]) -> str:
    """'SURNAME, Given' (or the full name), marked when it is an alias or a weak alias."""
    surname, given = (name.get("surname") or "").strip(), (name.get("given_names") or "").strip()
    text = ", ".join(part for part in (surname, given) if part) or (name.get("full_name") or "").strip()
    kind = (name.get("kind") or "").upper()
    if kind == "ALIAS":
        text += " (alias, weak)" if (name.get("quality") or "").upper() == "LOW" else " (alias)"
    return text


def _fold(text: Any) -> str:
    return re.sub(r"[\s\-.,']+", " ", str(text or "")).strip().casefold()


def _document_key(number: Any) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(number or "").upper())


# -- one comparison per row: (label, traveller fields, traveller values, entry values, agreement)


def _name_row(traveller: Mapping, entry: Mapping) -> tuple:
    surname, given = traveller.get("surname"), traveller.get("given_names")
    mine = ", ".join(str(part) for part in (surname, given) if part)
    names = [n for n in entry.get("names") or [] if isinstance(n, Mapping)]
    theirs = [format_entry_name(n) for n in names]
    mine_folded = (_fold(surname), _fold(given))
    same = any((_fold(n.get("surname")), _fold(n.get("given_names"))) == mine_folded for n in names)
    return ("Name", ("surname", "given_names"), [mine] if mine else [], theirs, _agreement(mine, theirs, same))


def _dob_row(traveller: Mapping, entry: Mapping) -> tuple:
    mine = str(traveller.get("date_of_birth") or "")
    theirs = [str(d) for d in entry.get("dates_of_birth") or [] if d]
    exact = mine in theirs
    partial = any(len(d) < 10 and mine.startswith(d) for d in theirs)
    return ("Date of birth", ("date_of_birth",), [mine] if mine else [], theirs,
            "same" if exact else ("consistent" if partial else _agreement(mine, theirs, False)))


def _sex_row(traveller: Mapping, entry: Mapping) -> tuple:
    mine, theirs = str(traveller.get("sex") or ""), str(entry.get("sex") or "")
    return ("Sex", ("sex",), [mine] if mine else [], [theirs] if theirs else [],
            _agreement(mine, [theirs] if theirs else [], mine.upper() == theirs.upper()))


def _nationality_row(traveller: Mapping, entry: Mapping) -> tuple:
    mine = str(traveller.get("nationality") or "")
    theirs = [str(n) for n in entry.get("nationalities") or [] if n]
    return ("Nationality", ("nationality",), [mine] if mine else [], theirs,
            _agreement(mine, theirs, mine.upper() in {n.upper() for n in theirs}))


def _document_row(traveller: Mapping, entry: Mapping) -> tuple:
    number, issuer = traveller.get("document_number"), traveller.get("document_issuing_state")
    mine = format_document(traveller.get("document_type"), number, issuer)
    documents = [d for d in entry.get("documents") or [] if isinstance(d, Mapping)]
    theirs = [format_document(d.get("type"), d.get("number"), d.get("issuer")) for d in documents]
    same = any(_document_key(d.get("number")) == _document_key(number)
               and (not d.get("issuer") or not issuer or str(d["issuer"]).upper() == str(issuer).upper())
               for d in documents)
    return ("Document", ("document_type", "document_number", "document_issuing_state"),
            [mine] if mine else [], theirs, _agreement(mine, theirs, same))


_ROWS: tuple[Callable[[Mapping, Mapping], tuple], ...] = (
    _name_row, _dob_row, _sex_row, _nationality_row, _document_row,
)


def _agreement(mine: str, theirs: list[str], same: bool) -> str:
    if not mine or not theirs:
        return ""
    return "same" if same else "different"


def _withheld(fields: tuple[str, ...], disclosed: set[str] | None) -> bool:
    """True when the unit may see none of the row's traveller fields."""
    return disclosed is not None and not any(field in disclosed for field in fields)


def side_by_side(flag: Mapping[str, Any], entry: Mapping[str, Any] | None = None) -> list[dict]:
    """Rows of label, traveller values, entry values and exact agreement.

    ``agreement`` is 'same', 'different', 'consistent' (a partial date of birth on the list that the
    traveller's date fits) or '' when one side is missing. Exact agreement only: the scored
    comparison (fuzzy names, year tolerance) is in the explanation, which says what screening
    concluded.
    """
    traveller, entry_record = traveller_of(flag), entry_of(flag, entry)
    disclosed = set(flag["disclosed_fields"]) if flag.get("disclosed_fields") else None
    rows = []
    for build in _ROWS:
        label, fields, mine, theirs, agreement = build(traveller, entry_record)
        if _withheld(fields, disclosed):
            mine, agreement = [WITHHELD], ""
        rows.append({"label": label, "traveller": mine, "entry": theirs, "agreement": agreement})
    return rows


def explanation_lines(flag: Mapping[str, Any]) -> list[str]:
    """The screening explanation, one compared field per line."""
    explanation = flag.get("explanation")
    if isinstance(explanation, (list, tuple)):
        lines = [str(line) for line in explanation]
    else:
        lines = str(explanation or "").splitlines()
    return [line.strip() for line in lines if line.strip()]


def traveller_label(flag: Mapping[str, Any]) -> str:
    """'SURNAME, Given names' for lists; '(name withheld)' when the unit may not see it."""
    traveller = traveller_of(flag)
    surname = str(traveller.get("surname") or "").strip()
    given = str(traveller.get("given_names") or "").strip()
    return ", ".join(part for part in (surname, given) if part) or "(name withheld)"


def cleared_identity(flag: Mapping[str, Any]) -> dict:
    """What the cleared-traveller list keeps: name, date of birth, document, and the entry."""
    traveller = traveller_of(flag)
    return {
        "surname": traveller.get("surname"),
        "given_names": traveller.get("given_names"),
        "date_of_birth": traveller.get("date_of_birth"),
        "document_number": traveller.get("document_number"),
        "document_issuer": traveller.get("document_issuing_state") or traveller.get("document_issuer"),
        "entry_id": flag.get("entry_id"),
        "list_id": flag.get("list_id"),
        "traveller_id": flag.get("traveller_id"),
    }
