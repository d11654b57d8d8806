"""How a flag reads to an analyst: the traveller beside the watchlist entry, and the explanation.

Flag records come from ``pipelines.flags.reader.read_flags`` shaped by ``schemas/risk_flag.avsc``.
These functions accept the traveller and the entry either as flat fields on the flag
(``surname``, ``entry_names``...), as nested dicts (``traveller``, ``entry``) or as JSON text
(``traveller_json``, ``entry_json``), so the review keeps working while that schema evolves.
Fields a unit may not see are simply absent and show as blank; nothing here unmasks anything.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

__all__ = [
    "COMPARED_FIELDS",
    "traveller_of",
    "entry_of",
    "values_of",
    "compare_values",
    "side_by_side",
    "explanation_lines",
    "traveller_label",
    "cleared_identity",
]

#: (label, traveller field names, entry field names): the rows of the side-by-side view.
COMPARED_FIELDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Surname", ("surname",), ("surname", "surnames")),
    ("Given names", ("given_names", "given_name"), ("given_names", "given_name")),
    ("Names on the list", (), ("names", "aliases", "full_names")),
    ("Date of birth", ("date_of_birth", "dob"), ("date_of_birth", "dates_of_birth", "dob", "dobs")),
    ("Sex", ("sex", "gender"), ("sex", "gender")),
    ("Nationality", ("nationality",), ("nationality", "nationalities")),
    ("Document", ("documents", "document"), ("documents", "document")),
)


def _json_dict(value: Any) -> dict:
    """A dict from a dict or JSON text; anything else gives an empty dict."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _prefixed(flag: Mapping[str, Any], prefix: str) -> dict:
    """Flat fields ``prefix + name`` of the flag, without the prefix."""
    return {key[len(prefix):]: value for key, value in flag.items() if key.startswith(prefix)}


def _documents_from_flat(record: Mapping[str, Any]) -> list[dict]:
    """One document from flat ``document_number`` / ``document_issuer`` style fields."""
    number = record.get("document_number")
    if not number:
        return []
    return [{
        "type": record.get("document_type"),
        "number": number,
        "issuing_state": record.get("document_issuer") or record.get("document_issuing_state"),
    }]


def traveller_of(flag: Mapping[str, Any]) -> dict:
    """The traveller as the unit may see it: nested record, JSON, ``traveller_*`` or flat fields."""
    nested = _json_dict(flag.get("traveller")) or _json_dict(flag.get("traveller_json"))
    if nested:
        person = _json_dict(nested.get("person"))
        record = {**nested, **person}
    else:
        record = {**{k: v for k, v in flag.items() if not k.startswith("entry_")},
                  **_prefixed(flag, "traveller_")}
    if not record.get("documents"):
        record["documents"] = _documents_from_flat(record)
    return record


def entry_of(flag: Mapping[str, Any]) -> dict:
    """The watchlist entry: nested record, JSON or ``entry_*`` fields of the flag."""
    record = _json_dict(flag.get("entry")) or _json_dict(flag.get("entry_json"))
    record = {**_prefixed(flag, "entry_"), **record}
    record.pop("json", None)
    if not record.get("documents"):
        record["documents"] = _documents_from_flat(record)
    record.setdefault("entry_id", flag.get("entry_id"))
    return record


def _as_text(value: Any) -> str:
    """A document dict as 'P 123456789 (CAN)'; anything else as text."""
    if isinstance(value, Mapping):
        number = value.get("number") or value.get("document_number") or ""
        issuer = value.get("issuing_state") or value.get("issuer") or value.get("document_issuer")
        kind = value.get("type") or value.get("document_type")
        text = " ".join(part for part in (kind, number) if part)
        return f"{text} ({issuer})" if issuer else text
    return str(value).strip()


def values_of(record: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """Every non-empty value under any of ``names``, lists flattened, in order, without repeats."""
    found: list[str] = []
    for name in names:
        value = record.get(name)
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if item is None or item == "":
                continue
            text = _as_text(item)
            if text and text not in found:
                found.append(text)
    return found


def compare_values(left: list[str], right: list[str]) -> str:
    """'same' when any value agrees (case-blind), 'different' when none does, '' if one is blank."""
    if not left or not right:
        return ""
    folded = {value.casefold().strip() for value in right}
    return "same" if any(value.casefold().strip() in folded for value in left) else "different"


def side_by_side(flag: Mapping[str, Any]) -> list[dict]:
    """Rows of label, traveller values, entry values and whether they agree exactly.

    Exact agreement only: the scored comparison (fuzzy names, year-of-birth tolerance) is in the
    explanation lines, which say what the screening engine actually concluded.
    """
    traveller, entry = traveller_of(flag), entry_of(flag)
    rows = []
    for label, traveller_names, entry_names in COMPARED_FIELDS:
        mine, theirs = values_of(traveller, traveller_names), values_of(entry, entry_names)
        if not mine and not theirs:
            continue
        rows.append({"label": label, "traveller": mine, "entry": theirs,
                     "agreement": compare_values(mine, theirs)})
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
    """'SURNAME, Given names' for lists; blank parts are left out."""
    traveller = traveller_of(flag)
    surname = str(traveller.get("surname") or "").strip()
    given = str(traveller.get("given_names") or traveller.get("given_name") or "").strip()
    return ", ".join(part for part in (surname, given) if part) or "(name withheld)"


def cleared_identity(flag: Mapping[str, Any]) -> dict:
    """What the cleared-traveller list keeps: name, date of birth, first document, the entry."""
    traveller = traveller_of(flag)
    documents = traveller.get("documents") or []
    first = documents[0] if documents and isinstance(documents[0], Mapping) else {}
    return {
        "surname": traveller.get("surname"),
        "given_names": traveller.get("given_names") or traveller.get("given_name"),
        "date_of_birth": traveller.get("date_of_birth") or traveller.get("dob"),
        "document_number": first.get("number") or first.get("document_number"),
        "document_issuer": first.get("issuing_state") or first.get("issuer") or first.get("document_issuer"),
        "entry_id": flag.get("entry_id"),
        "list_id": flag.get("list_id"),
    }
