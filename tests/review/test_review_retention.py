"""The review database follows the retention schedule of rules/: names masked, then everything,
except where a confirmed match keeps the record."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from review_factories import NOW, make_flag

from pipelines.cli import main
from pipelines.review.retention import MASK, apply_retention, schedule_for, traveller_field
from pipelines.review.store import ReviewStore
from pipelines.sharing.rules import load_rules


def _departed(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def store(tmp_path):
    review_store = ReviewStore(str(tmp_path / "r.sqlite"), clock=lambda: NOW)
    review_store.add_flags([
        make_flag("fresh", departure_utc=_departed(-1)),
        make_flag("old4d", departure_utc=_departed(4)),
        make_flag("match", departure_utc=_departed(4)),
        make_flag("cleared", departure_utc=_departed(4), surname="ROE", given_names="RICHARD"),
        make_flag("ancient", departure_utc=_departed(4 * 365)),
    ])
    review_store.record_disposition("match", "confirmed-match", "listed person", "ana")
    review_store.record_disposition("cleared", "false-positive", "other person", "ana")
    yield review_store
    review_store.close()


def test_schedule_of_a_can_usa_unit_is_the_strictest_of_both_arrangements():
    schedule = schedule_for(["CAN", "USA"], load_rules())
    assert schedule.arrangements == ("CAN-USA", "USA-CAN")
    assert schedule.due(71) == (set(), False)
    names, whole = schedule.due(73)
    assert {"surname", "given_names"} <= names and not whole
    assert schedule.due(3.6 * 365 * 24)[1] is True
    assert schedule.flagged_exception
    assert traveller_field("person.documents[].number") == "document_number"
    assert traveller_field("travellers[].surname") == "surname"
    assert traveller_field("remarks[].text") is None


def test_names_masked_after_72_hours_all_after_the_period_confirmed_matches_kept(store):
    counts = apply_retention(store, load_rules(), NOW)
    assert counts == {"flags": 5, "masked": 2, "depersonalised": 1, "exempt": 1, "unchanged": 1,
                      "no_schedule": 0}
    old = store.get_flag("old4d")
    assert old["traveller"]["surname"] == MASK and old["traveller"]["given_names"] == MASK
    assert old["traveller"]["date_of_birth"] == "1980-02-29"  # masked only at 2 years
    assert "DOE" not in old["explanation"] and "JOHN" not in old["explanation"]
    assert store.get_flag("fresh")["traveller"]["surname"] == "DOE"
    assert store.get_flag("match")["traveller"]["surname"] == "DOE"  # tied to a confirmed match
    ancient = store.get_flag("ancient")
    assert set(ancient["traveller"].values()) <= {MASK, None}
    assert "1980" not in ancient["explanation"]
    cleared = store.cleared_travellers()[0]
    assert (cleared["surname"], cleared["given_names"], cleared["date_of_birth"]) == (MASK, MASK, "1980-02-29")
    assert store.disposition_history("ancient") == [] and store.disposition_history("match")  # audit trail kept
    entries = [e for e in store.access_log() if e["action"] == "RETENTION"]
    assert len(entries) == 3 and all("surname" in e["detail"] or "depersonalised" in e["detail"] for e in entries)
    # Idempotent, and a re-ingest of the same flag never brings the traveller back.
    assert apply_retention(store, load_rules(), NOW)["masked"] == 0
    store.add_flags([make_flag("old4d", departure_utc=_departed(4))])
    assert store.get_flag("old4d")["traveller"]["surname"] == MASK


def test_cli_dry_run_changes_nothing(store, capsys):
    db = store.url.replace("sqlite:///", "")
    before = json.dumps(store.get_flag("old4d"))
    assert main(["review", "retention", "--db", db, "--now", NOW.isoformat(), "--dry-run"]) == 0
    assert "2 would be partly masked, 1 would be fully depersonalised, 1 kept" in capsys.readouterr().out
    assert json.dumps(store.get_flag("old4d")) == before
    assert main(["review", "retention", "--db", db, "--now", NOW.isoformat()]) == 0
    assert store.get_flag("old4d")["traveller"]["surname"] == MASK
