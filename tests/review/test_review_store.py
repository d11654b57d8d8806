"""Review store: flags round-trip, append-only dispositions, mandatory notes, the access log."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import pytest
from review_factories import NOW, make_entry, make_flag, sample_flags

from pipelines.review.store import (ReviewError, ReviewStore, check_analyst, database_url,
                                    normalise_disposition)

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "risk_flag.avsc"


def test_test_flags_match_the_risk_flag_schema():
    schema = fastavro.parse_schema(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for flag in sample_flags():
        assert fastavro.validate(flag, schema, raise_errors=True)


def test_flags_round_trip(store):
    flags = sample_flags()
    assert store.add_flags(flags, source_file="f.avro") == {"added": 6, "updated": 0, "unchanged": 0}
    for flag in flags:
        assert store.get_flag(flag["flag_id"]) == flag
    assert store.flag_ids() == sorted(flag["flag_id"] for flag in flags)


def test_reingesting_replaces_and_never_duplicates(store):
    store.add_flags(sample_flags())
    assert store.add_flags(sample_flags()) == {"added": 0, "updated": 0, "unchanged": 6}
    changed = make_flag("p1", severity="TOP", score=0.99)
    assert store.add_flags([changed]) == {"added": 0, "updated": 1, "unchanged": 0}
    assert store.get_flag("p1")["score"] == 0.99
    assert len(store.review_rows()) == 6


def test_unknown_flag_is_an_error(store):
    with pytest.raises(ReviewError, match="no flag with id 'nope'"):
        store.get_flag("nope")
    with pytest.raises(ReviewError, match="no flag"):
        store.record_disposition("nope", "false-positive", "why", "ana")


def test_status_moves_from_new_to_in_progress_to_reviewed(store):
    store.add_flags([make_flag("f1")])
    assert store.review_rows()[0]["status"] == "NEW"
    store.view_flag("f1", "ana")
    assert store.review_rows()[0]["status"] == "IN_PROGRESS"
    store.record_disposition("f1", "refer-secondary", "documents need a look", "ana")
    row = store.review_rows()[0]
    assert row["status"] == "REVIEWED"
    assert row["disposition"]["disposition"] == "REFER_SECONDARY"


def test_dispositions_are_append_only_and_the_latest_supersedes(store):
    store.add_flags([make_flag("f1")])
    first = store.record_disposition("f1", "confirmed-match", "photo and DOB agree", "ana")
    second = store.record_disposition("f1", "false-positive", "secondary found a different person", "ben")
    history = store.disposition_history("f1")
    assert [d["disposition_id"] for d in history] == [first["disposition_id"], second["disposition_id"]]
    assert history[0]["note"] == "photo and DOB agree"
    assert second["supersedes"] == first["disposition_id"]
    assert store.current_disposition("f1")["analyst"] == "ben"
    assert store.review_rows()[0]["disposition"]["disposition"] == "FALSE_POSITIVE"


@pytest.mark.parametrize("note", ["", "   ", None, "\n\t"])
def test_a_disposition_needs_a_note(store, note):
    store.add_flags([make_flag("f1")])
    with pytest.raises(ReviewError, match="note is required"):
        store.record_disposition("f1", "false-positive", note, "ana")
    assert store.disposition_history("f1") == []
    assert store.cleared_travellers() == []
    assert [e for e in store.access_log() if e["action"] == "DECIDE"] == []


@pytest.mark.parametrize("analyst", ["", " ", None, "a b", "<script>", "x" * 65])
def test_a_disposition_needs_a_plain_analyst_id(store, analyst):
    store.add_flags([make_flag("f1")])
    with pytest.raises(ReviewError, match="analyst id is required"):
        store.record_disposition("f1", "false-positive", "why", analyst)


def test_disposition_names_are_forgiving_but_closed():
    assert normalise_disposition("false-positive") == "FALSE_POSITIVE"
    assert normalise_disposition("Confirmed match") == "CONFIRMED_MATCH"
    assert normalise_disposition("refer to secondary") == "REFER_SECONDARY"
    with pytest.raises(ReviewError, match="unknown disposition"):
        normalise_disposition("deny boarding")


def test_views_and_decisions_are_logged_with_analyst_and_time(store):
    store.add_flags([make_flag("f1"), make_flag("f2")])
    store.view_flag("f1", "ana")
    store.record_disposition("f1", "false-positive", "different DOB on passport scan", "ana")
    store.view_flag("f2", "ben")
    log = store.access_log()
    assert [(e["analyst"], e["action"], e["flag_id"]) for e in log] == [
        ("ben", "VIEW", "f2"), ("ana", "DECIDE", "f1"), ("ana", "VIEW", "f1")]
    assert all(e["at_utc"] == "2026-11-23T12:00:00Z" for e in log)
    assert "FALSE_POSITIVE: different DOB" in log[1]["detail"]
    assert [e["action"] for e in store.access_log(flag_id="f2")] == ["VIEW"]


def test_watchlist_entries_are_kept_for_display(store):
    store.add_entries([make_entry("E1"), make_entry("E1", sex="F")])
    assert store.get_entry("USA-LOOKOUT", "E1")["sex"] == "F"
    assert store.get_entry("USA-LOOKOUT", "E2") is None


def test_database_urls():
    assert database_url("review.sqlite") == "sqlite:///review.sqlite"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert check_analyst(" ana.b@jpau-yvr ") == "ana.b@jpau-yvr"


def test_a_store_reopened_from_its_file_keeps_everything(tmp_path):
    path = str(tmp_path / "review.sqlite")
    first = ReviewStore(path, clock=lambda: NOW)
    first.add_flags([make_flag("f1")])
    first.record_disposition("f1", "false-positive", "cleared at the desk", "ana")
    first.close()
    again = ReviewStore(path, clock=lambda: NOW)
    assert again.current_disposition("f1")["note"] == "cleared at the desk"
    assert len(again.cleared_travellers()) == 1
    again.close()
