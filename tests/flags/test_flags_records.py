"""Flag records: allow-listed traveller fields per unit, stable ids, schema conformance."""

from __future__ import annotations

import fastavro
import pytest

from flag_samples import candidate
from pipelines.flags import records


def _flag(units, unit_id, item=None, run_id="run-1"):
    return records.build_flag(item or candidate((("YUL", "MIA"),)), units.unit(unit_id),
                              run_id=run_id, rules_version="test", created_utc="2026-11-23T00:00:00Z")


@pytest.mark.parametrize("unit_id", ["jpau-yvr", "jpau-mia"])
def test_only_allowed_traveller_fields(units, unit_id):
    flag = _flag(units, unit_id)
    allowed = set(units.unit(unit_id).traveller_fields)
    shown = {name for name, value in flag["traveller"].items() if value is not None}
    assert shown == allowed  # the sample traveller has every field
    assert flag["disclosed_fields"] == list(units.unit(unit_id).traveller_fields)
    fastavro.validate(flag, records.schema(), raise_errors=True)


def test_yvr_sees_api_core_only(units):
    flag = _flag(units, "jpau-yvr")
    assert flag["traveller"]["surname"] == "DOE" and flag["traveller"]["document_number"] == "AB123456"
    for withheld in ("seat", "pnr_locator", "address", "residence_country", "place_of_birth"):
        assert flag["traveller"][withheld] is None


def test_withheld_values_are_blanked_out_of_the_explanation(units):
    item = candidate((("YUL", "MIA"),), explanation="seat 12A; pnr XYZ123; surname DOE; addr 1 MAIN ST")
    yvr = _flag(units, "jpau-yvr", item)["explanation"]
    mia = _flag(units, "jpau-mia", item)["explanation"]
    assert "XYZ123" not in yvr and "12A" not in yvr and "MAIN" not in yvr and "DOE" in yvr
    assert "XYZ123" in mia and "12A" in mia and "MAIN" not in mia  # Miami sees seat and PNR, not the address


def test_flag_ids_are_stable_and_differ_per_unit(units):
    first = _flag(units, "jpau-yvr", run_id="run-1")["flag_id"]
    again = _flag(units, "jpau-yvr", run_id="run-2")["flag_id"]
    other_unit = _flag(units, "jpau-mia")["flag_id"]
    other_entry = _flag(units, "jpau-yvr", candidate((("YUL", "MIA"),), entry_id="E2"))["flag_id"]
    assert first == again == records.flag_id("MSG1/1", "E1", "jpau-yvr")
    assert len({first, other_unit, other_entry}) == 3


def test_build_flags_counts_suppressed_and_unrouted(units):
    batch = records.build_flags(
        [candidate((("YUL", "MIA"),)), candidate(person_id="2", suppressed_by="NEXUS-1"),
         candidate((("LHR", "CDG"),), person_id="3")],
        units, run_id="r", created_utc="2026-11-23T00:00:00Z",
    )
    assert (batch.candidates, batch.suppressed, batch.unrouted) == (3, 1, 1)
    assert {unit: len(flags) for unit, flags in batch.by_unit.items()} == {"jpau-mia": 1, "jpau-yvr": 1}


@pytest.mark.parametrize("reason, withdraws", [("SUPERSEDED", True), ("CANCELLED", True), ("REMOVED", False)])
def test_a_person_left_off_a_later_list_keeps_their_flags(reason, withdraws):
    """A change or close-out may name only the persons it adds or changes: leaving a listed
    person off it must not withdraw their flag; a newer record or a cancellation does."""
    withdrawal = {"flight_key": "AC1890/2026-11-23", "traveller_id": "AC-1/P002", "reason": reason,
                  "by_message_id": "AC-2", "message_function": "CHANGE_PASSENGER"}
    assert records.withdraws_flag(withdrawal) is withdraws
