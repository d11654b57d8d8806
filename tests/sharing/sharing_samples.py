"""Small ApiTraveller and Pnr dicts matching the schemas, for the sharing tests.

Used until the generator (pipelines/generate) produces sample data; every builder returns a dict
that fastavro validates against schemas/api_traveller.avsc or schemas/pnr.avsc.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pipelines.sharing.rules import load_rules

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"


def leg(dep, arr, date="2026-11-23"):
    return {"departure_airport": dep, "departure_local": f"{date}T08:00:00", "departure_utc": None,
            "arrival_airport": arr, "arrival_local": f"{date}T11:00:00", "arrival_utc": None}


def traveller(tid="MSG1/1", route=("JFK", "YYZ"), role="PASSENGER", surname="DOE", given="JANE",
              dob="1980-05-17", doc_number="L898902C", locator="ABC123", in_transit=False, date="2026-11-23"):
    legs = [leg(route[i], route[i + 1], date) for i in range(len(route) - 1)]
    return {
        "schema_version": 1, "traveller_id": tid, "message_id": tid.split("/")[0], "sender": "AC",
        "message_type": "PASSENGER_LIST" if "CREW" not in role else "CREW_LIST", "message_function": "ORIGINAL",
        "source_file": "sample.avro", "flight_key": f"AC0871/{date}", "flight_date": date, "carrier": "AC",
        "flight_number": "871", "operating_carrier": None, "in_transit": in_transit, "legs": legs,
        "person": {
            "person_id": tid.split("/")[-1], "role": role, "surname": surname, "given_names": given,
            "date_of_birth": dob, "sex": "F", "nationality": "CAN", "residence_country": "CAN",
            "place_of_birth": "TORONTO", "address": "1 MAIN ST TORONTO", "embarkation_airport": route[0],
            "debarkation_airport": route[-1],
            "documents": [{"type": "P", "number": doc_number, "issuing_state": "CAN", "expiry_date": "2030-01-01",
                           "issue_date": "2020-01-01", "mrz_line": None}],
            "seat": "23A", "bag_count": 1, "bag_weight_kg": 20.5, "bag_tags": ["0014123456"],
            "pnr_locator": locator, "unique_passenger_reference": "UPR1", "verified": True,
            "crew_role": "PILOT" if "CREW" in role else None,
        },
    }


def pnr(locator="ABC123", route=("JFK", "YYZ"), ssrs=(), remarks=(), history=(), date="2026-11-23", message_id="PNRMSG1"):
    return {
        "schema_version": 1, "message_id": message_id, "sender": "AC", "push_type": "FULL",
        "record_locator": locator, "creation_date": "2026-10-01", "last_modified_utc": None,
        "booking_office": "YTOAC0100", "travel_agency": {"name": "AGENCY", "iata_number": "12345678", "agent_id": "A1",
                                                          "city": "TORONTO", "country": "CAN"},
        "flights": [{"carrier": "AC", "number": "871", "departure_airport": route[i],
                     "departure_local": f"{date}T08:00:00", "arrival_airport": route[i + 1],
                     "arrival_local": f"{date}T11:00:00", "operating_carrier": None, "operating_number": None,
                     "booking_class": "Y", "status": "HK"} for i in range(len(route) - 1)],
        "travellers": [{"traveller_ref": "1", "surname": "DOE", "given_names": "JANE MS", "traveller_type": "A",
                        "infant_of": None, "date_of_birth": "1980-05-17", "sex": "F", "nationality": "CAN",
                        "documents": [{"type": "P", "number": "L898902C", "issuing_state": "CAN",
                                       "expiry_date": "2030-01-01", "issue_date": None, "place_of_birth": None,
                                       "applicable_country": None}],
                        "addresses": ["1 MAIN ST TORONTO"]}],
        "contacts": [{"kind": "PHONE", "value": "+14165550123", "traveller_ref": "1"}],
        "payments": [{"method": "CC", "card_type": "VI", "masked_card_number": "XXXXXXXXXXXX1111",
                      "card_holder": "JANE DOE", "amount": 512.0, "currency": "CAD", "billing_address": "1 MAIN ST"}],
        "frequent_flyer": [{"traveller_ref": "1", "airline": "AC", "number": "123456789", "tier": "GOLD"}],
        "travel_status": [], "split_from": None, "split_into": [],
        "remarks": [{"kind": k, "text": t, "traveller_ref": "1"} for k, t in remarks],
        "tickets": [{"traveller_ref": "1", "number": "0142345678901", "issue_date": "2026-10-01", "one_way": False,
                     "fare_amount": 512.0, "currency": "CAD", "fare_calculation": "YTO AC NYC 400.00"}],
        "seats": [{"traveller_ref": "1", "segment": 0, "seat": "23A"}],
        "bags": [{"traveller_ref": "1", "count": 1, "weight_kg": 20.5, "tags": ["0014123456"]}],
        "party_size": 1,
        "ssrs": [{"code": c, "status": "HK", "traveller_ref": "1", "segment": 0, "text": t} for c, t in ssrs],
        "history": [{"time_utc": None, "action": "A", "office": "YTO", "text": t} for t in history],
        "warnings": [], "source_format": "test",
    }


def secrets_for(arrangements):
    return {a.id: secrets.token_bytes(32) for a in arrangements}


def default_arrangements():
    return load_rules(RULES)


def make_keys(folder: Path) -> Path:
    """A keys folder for the sharing pipeline: every partner's recipient key pair, the pipeline's
    signing key pair and each arrangement's pseudonym secret."""
    from pipelines import crypto
    from pipelines.sharing.disclose import SIGNING_KEY_NAME
    from pipelines.sharing.engine import create_secret

    folder.mkdir(parents=True, exist_ok=True)
    for code in ("USA", "CAN", "MEX"):
        key = crypto.generate_recipient_key(code)
        crypto.save_private_key(key, folder / crypto.private_key_file_name(code))
        crypto.save_public_key(key, folder / crypto.public_key_file_name(code))
    signer = crypto.generate_signing_key(SIGNING_KEY_NAME)
    crypto.save_private_key(signer, folder / crypto.private_key_file_name(SIGNING_KEY_NAME))
    crypto.save_public_key(signer, folder / crypto.public_key_file_name(SIGNING_KEY_NAME))
    for a in load_rules(RULES):
        create_secret(folder / a.pseudonym_key)
    return folder
