"""Small hand-made records for the spine's tests (the generator has its own tests)."""

from __future__ import annotations

import copy
import io

from pipelines.io.avro_files import write_records


def person(index: int, **changes) -> dict:
    record = {
        "person_id": f"P{index:03d}", "role": "PASSENGER", "surname": "TREMBLAY", "given_names": "MARIE CLAIRE",
        "date_of_birth": "1984-03-09", "sex": "F", "nationality": "CAN", "residence_country": "CAN",
        "place_of_birth": None, "address": None, "embarkation_airport": "YVR", "debarkation_airport": "MIA",
        "documents": [{"type": "P", "number": f"AB{index:06d}", "issuing_state": "CAN",
                       "expiry_date": "2031-05-01", "issue_date": "2021-05-01", "mrz_line": None}],
        "seat": "12A", "bag_count": 1, "bag_weight_kg": 20.5, "bag_tags": [], "pnr_locator": "Q7XK2M",
        "unique_passenger_reference": None, "verified": True, "crew_role": None,
    }
    record.update(changes)
    return record


def manifest(message_id: str = "AC-0001", persons: list[dict] | None = None, **changes) -> dict:
    persons = [person(i) for i in range(1, 4)] if persons is None else persons
    record = {
        "schema_version": 3, "message_id": message_id, "sender": "AC", "sender_contact": None,
        "message_type": "PASSENGER_LIST", "message_function": "ORIGINAL", "transaction_reference": None,
        "prepared_utc": None,
        "flight": {"carrier": "AC", "number": "1890", "operating_carrier": None, "in_transit": False,
                   "legs": [{"departure_airport": "YVR", "departure_local": "2026-11-23T08:15",
                             "departure_utc": "2026-11-23T16:15Z", "arrival_airport": "MIA",
                             "arrival_local": "2026-11-23T16:40", "arrival_utc": "2026-11-23T21:40Z"}]},
        "declared_passenger_count": sum(p["role"] == "PASSENGER" for p in persons), "declared_crew_count": None,
        "persons": persons, "warnings": [], "source_format": "tests", "list_part": None,
    }
    record.update(copy.deepcopy(changes))
    return record


def pnr(locator: str = "Q7XK2M", **changes) -> dict:
    record = {
        "schema_version": 1, "message_id": "PNR-1", "sender": "AC", "push_type": "FULL",
        "record_locator": locator, "creation_date": "2026-10-01", "last_modified_utc": None,
        "booking_office": None, "travel_agency": None,
        "flights": [{"carrier": "AC", "number": "1890", "departure_airport": "YVR",
                     "departure_local": "2026-11-23T08:15", "arrival_airport": "MIA",
                     "arrival_local": "2026-11-23T16:40", "operating_carrier": None, "operating_number": None,
                     "booking_class": "Y", "status": "HK"}],
        "travellers": [{"traveller_ref": "1", "surname": "TREMBLAY", "given_names": "MARIE CLAIRE",
                        "traveller_type": "A", "infant_of": None, "date_of_birth": "1984-03-09", "sex": "F",
                        "nationality": "CAN", "documents": [], "addresses": []}],
        "contacts": [], "payments": [], "frequent_flyer": [], "travel_status": [], "split_from": None,
        "split_into": [], "remarks": [], "tickets": [], "seats": [], "bags": [], "party_size": 1, "ssrs": [],
        "history": [], "warnings": [], "source_format": "tests",
    }
    record.update(changes)
    return record


def avro_bytes(schema_name: str, records: list[dict]) -> bytes:
    buffer = io.BytesIO()
    write_records(buffer, schema_name, records)
    return buffer.getvalue()
