"""Candidate and traveller dicts shaped like schemas/match_candidate.avsc, for the flags tests."""

from __future__ import annotations

import json


def traveller(legs, *, person_id="1", surname="DOE", given_names="JOHN PAUL", date_of_birth="1970-02-03",
              nationality="CAN", document_number="AB123456", seat="12A", pnr_locator="XYZ123"):
    return {
        "traveller_id": f"MSG1/{person_id}",
        "flight_key": "AC0871/2026-11-23",
        "legs": [{"departure_airport": d, "arrival_airport": a} for d, a in legs],
        "person": {
            "person_id": person_id, "role": "PASSENGER", "surname": surname, "given_names": given_names,
            "date_of_birth": date_of_birth, "sex": "M", "nationality": nationality, "residence_country": "CAN",
            "place_of_birth": "TORONTO", "address": "1 MAIN ST", "seat": seat, "pnr_locator": pnr_locator,
            "embarkation_airport": legs[0][0], "debarkation_airport": legs[-1][1],
            "documents": [{"type": "P", "number": document_number, "issuing_state": nationality,
                           "expiry_date": "2030-01-01"}],
        },
    }


def candidate(legs=(("YYZ", "JFK"),), *, person_id="1", entry_id="E1", list_owner="USA", category="TERRORISM",
              severity="HIGH", receivers=("CAN", "USA"), suppressed_by=None, explanation=None, **person):
    record = traveller(list(legs), person_id=person_id, **person)
    return {
        "schema_version": 1,
        "candidate_id": f"cand-{person_id}-{entry_id}",
        "traveller_id": record["traveller_id"],
        "flight_key": record["flight_key"],
        "departure_utc": "2026-11-23T14:00:00Z",
        "entry_id": entry_id,
        "list_id": f"{list_owner}-LIST",
        "list_owner": list_owner,
        "category": category,
        "severity": severity,
        "score": 0.93,
        "threshold": 0.78,
        "explanation": explanation or "surname DOE = DOE\ndate_of_birth 1970-02-03 = 1970-02-03 (exact)",
        "suppressed_by": suppressed_by,
        "receivers": list(receivers),
        "traveller_json": json.dumps(record),
        "entry_json": json.dumps({"entry_id": entry_id, "names": ["JOHN DOE"]}),
    }
