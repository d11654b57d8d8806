"""Small entries and travellers for screening tests."""

from __future__ import annotations

from pipelines.screening.lists.watchlist import Traveller


def make_entry(entry_id="E1", surname=None, given=None, full=None, aliases=(), dobs=(), sex=None, nats=(),
               docs=(), category="LOOKOUT", list_id="TEST", owner="USA", low_aliases=()):
    names = []
    if surname or given or full:
        names.append({"full_name": full, "surname": surname, "given_names": given, "kind": "PRIMARY",
                      "quality": "GOOD", "script": None})
    names += [{"full_name": a, "surname": None, "given_names": None, "kind": "ALIAS", "quality": "GOOD", "script": None}
              for a in aliases]
    names += [{"full_name": a, "surname": None, "given_names": None, "kind": "ALIAS", "quality": "LOW", "script": None}
              for a in low_aliases]
    return {"schema_version": 1, "entry_id": entry_id, "list_id": list_id, "list_owner": owner, "category": category,
            "severity": "HIGH", "names": names, "dates_of_birth": list(dobs), "sex": sex, "nationalities": list(nats),
            "documents": [{"type": "P", "number": n, "issuer": i} for n, i in docs], "receivers": ["USA", "CAN"],
            "remarks": None}


def traveller(surname=None, given=None, full=None, dob=None, sex=None, nat=None, docs=(), tid="T1"):
    return Traveller(traveller_id=tid, surname=surname, given_names=given, full_name=full, date_of_birth=dob,
                     sex=sex, nationality=nat, documents=tuple(docs))



#: planted variants whose listed date agrees only weakly (a year, a 01-01 placeholder, day and
#: month swapped): for a common name thousands of namesakes agree as well, so the planted match is a
#: reviewable candidate (score at most weakly_corroborated_common_name_cap), not an alert
WEAK_DATE_VARIANTS = ("partial_dob", "placeholder_dob", "day_month_swap")


def unfound_planted(screener, travellers, truth) -> list[dict]:
    """Planted truth rows (``plant.plant_watchlists``) the screener misses: not alerting, and for a
    weak-date variant not even a reviewable candidate explained as such."""
    found = {t.traveller_id: {c.entry_id: c for c in candidates}
             for t, candidates in zip(travellers, screener.screen_many(travellers))}
    missed = []
    for row in truth:
        candidate = found[row["record_key"]].get(row["entry_id"])
        if candidate is not None and (candidate.alert or (
                row["variant"] in WEAK_DATE_VARIANTS and candidate.score <= 0.77
                and "common name (" in candidate.explanation)):
            continue
        missed.append(row)
    return missed
