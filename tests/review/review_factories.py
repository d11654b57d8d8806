"""Test data for the review tests: risk flags shaped by schemas/risk_flag.avsc, watchlist entries."""

from __future__ import annotations

from datetime import datetime, timezone

#: The moment every review test runs at (flags depart around it).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

UNIT_FIELDS = ["role", "surname", "given_names", "date_of_birth", "sex", "nationality",
               "document_type", "document_number", "document_issuing_state", "document_expiry_date"]


def make_flag(flag_id: str, *, severity: str = "HIGH", departure_utc: str | None = "2026-11-23T15:00:00Z",
              score: float = 0.9, flight_key: str = "AC0871/2026-11-23", surname: str = "DOE",
              given_names: str = "JOHN", entry_id: str = "E1", **overrides) -> dict:
    """A RiskFlag record as pipelines.flags.reader.read_flags returns it."""
    traveller = {name: None for name in (
        "role", "surname", "given_names", "date_of_birth", "sex", "nationality", "residence_country",
        "place_of_birth", "address", "document_type", "document_number", "document_issuing_state",
        "document_expiry_date", "embarkation_airport", "debarkation_airport", "seat", "pnr_locator")}
    traveller.update(role="PASSENGER", surname=surname, given_names=given_names, date_of_birth="1980-02-29",
                     sex="M", nationality="CAN", document_type="P", document_number="AB123456",
                     document_issuing_state="CAN", document_expiry_date="2030-01-01")
    traveller.update(overrides.pop("traveller", {}))
    flag = {
        "schema_version": 1,
        "flag_id": flag_id,
        "unit_id": "jpau-yvr",
        "candidate_id": f"cand-{flag_id}",
        "traveller_id": f"MSG1/{flag_id}",
        "flight_key": flight_key,
        "departure_utc": departure_utc,
        "origin_airport": "YVR",
        "destination_airport": "SEA",
        "traveller": traveller,
        "disclosed_fields": list(UNIT_FIELDS),
        "entry_id": entry_id,
        "list_id": "USA-LOOKOUT",
        "list_owner": "USA",
        "category": "LOOKOUT",
        "severity": severity,
        "score": score,
        "threshold": 0.8,
        "explanation": "name: DOE JOHN vs DOE JON: 0.93 (Jaro-Winkler)\ndate_of_birth: 1980-02-29 vs 1980: year agrees",
        "run_id": "run-1",
        "rules_version": "2026.1",
        "created_utc": "2026-11-23T10:00:00Z",
        "withdrawn": None,
    }
    flag.update(overrides)
    return flag


def make_entry(entry_id: str = "E1", **overrides) -> dict:
    """A WatchlistEntry record (schemas/watchlist_entry.avsc)."""
    entry = {
        "schema_version": 1, "entry_id": entry_id, "list_id": "USA-LOOKOUT", "list_owner": "USA",
        "category": "LOOKOUT", "severity": "HIGH",
        "names": [{"full_name": None, "surname": "DOE", "given_names": "JON", "kind": "PRIMARY",
                   "quality": "GOOD", "script": None},
                  {"full_name": None, "surname": "DOE", "given_names": "JOHN", "kind": "ALIAS",
                   "quality": "LOW", "script": None}],
        "dates_of_birth": ["1980"], "sex": "M", "nationalities": ["USA"],
        "documents": [{"type": "P", "number": "X9999999", "issuer": "USA"}],
        "receivers": ["CAN"], "remarks": None,
    }
    entry.update(overrides)
    return entry


def sample_flags() -> list[dict]:
    """Six flags whose priority order is known: ids sort as p1 < p2 < ... in review order."""
    return [
        make_flag("p5", severity="NORMAL", departure_utc="2026-11-23T13:00:00Z", flight_key="WS0100/2026-11-23"),
        make_flag("p3", severity="HIGH", departure_utc="2026-11-23T14:00:00Z", flight_key="AC0871/2026-11-23",
                  surname="ROE", given_names="RICHARD", entry_id="E2"),
        make_flag("p1", severity="TOP", departure_utc="2026-11-24T09:00:00Z", flight_key="UA0200/2026-11-24",
                  surname="POE", given_names="EDGAR", entry_id="E3", category="TERRORISM"),
        make_flag("p4", severity="HIGH", departure_utc="2026-11-23T10:00:00Z", flight_key="AC0100/2026-11-23",
                  surname="LOE", given_names="ANNA", entry_id="E4"),
        make_flag("p2", severity="HIGH", departure_utc="2026-11-23T12:30:00Z", flight_key="AC0873/2026-11-23",
                  score=0.81, surname="MOE", given_names="MARY", entry_id="E5"),
        make_flag("p6", severity="NORMAL", departure_utc=None, flight_key="XX0001/2026-11-23",
                  surname="KOE", given_names="KARL", entry_id="E6"),
    ]
