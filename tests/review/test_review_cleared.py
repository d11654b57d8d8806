"""False positives feed the cleared-traveller list that screening reads."""

from __future__ import annotations

import json

import pytest
from review_factories import make_flag

from pipelines.review.cleared import (CLEARED_COLUMNS, FORMAT_NAME, cleared_text, export_cleared,
                                      read_cleared)


def _decided_store(store):
    store.add_flags([make_flag("f1"), make_flag("f2", surname="ROE", entry_id="E2"), make_flag("f3", entry_id="E3")])
    store.record_disposition("f1", "false-positive", "different person, checked DOB", "ana")
    store.record_disposition("f2", "confirmed-match", "same passport number", "ana")
    store.record_disposition("f3", "refer-secondary", "need to see the document", "ben")
    return store


def test_only_false_positives_are_cleared(store):
    rows = _decided_store(store).cleared_travellers()
    assert len(rows) == 1
    row = rows[0]
    assert (row["surname"], row["given_names"], row["date_of_birth"]) == ("DOE", "JOHN", "1980-02-29")
    assert (row["document_number"], row["document_issuer"]) == ("AB123456", "CAN")
    assert (row["entry_id"], row["list_id"], row["flag_id"], row["analyst"]) == ("E1", "USA-LOOKOUT", "f1", "ana")
    assert row["disposition_id"] == store.current_disposition("f1")["disposition_id"]
    assert row["cleared_utc"] == "2026-11-23T12:00:00Z"


def test_a_later_other_disposition_revokes_the_clearance(store):
    _decided_store(store)
    store.record_disposition("f1", "confirmed-match", "new information from the list owner", "ben")
    assert store.cleared_travellers() == []
    revoked = store.cleared_travellers(include_revoked=True)
    assert revoked[0]["revoked_by"] == store.current_disposition("f1")["disposition_id"]
    store.record_disposition("f1", "false-positive", "owner withdrew the information", "ben")
    assert [r["analyst"] for r in store.cleared_travellers()] == ["ben"]


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_export_round_trips_and_is_logged(store, tmp_path, suffix):
    _decided_store(store)
    path = tmp_path / "out" / f"cleared_travellers.{suffix}"
    assert export_cleared(store, path, analyst="ana") == 1
    records = read_cleared(path)
    assert len(records) == 1
    assert set(records[0]) == set(CLEARED_COLUMNS)
    assert records[0]["entry_id"] == "E1"
    assert records[0]["document_number"] == "AB123456"
    assert records[0]["traveller_id"] == "MSG1/f1"
    exports = [e for e in store.access_log() if e["action"] == "EXPORT"]
    assert exports and "1 cleared travellers" in exports[0]["detail"]
    assert not path.with_name(path.name + ".partial").exists()


def test_file_formats_are_as_documented():
    record = {column: None for column in CLEARED_COLUMNS} | {"surname": "DOE", "entry_id": "E1"}
    csv_text = cleared_text([record], "csv")
    assert csv_text.splitlines()[0] == ",".join(CLEARED_COLUMNS)
    assert csv_text.splitlines()[1].startswith("DOE,,")
    document = json.loads(cleared_text([record], "json"))
    assert document["format"] == FORMAT_NAME and document["version"] == 1
    assert document["records"] == [record]


def test_reading_a_foreign_file_fails_clearly(tmp_path):
    wrong = tmp_path / "x.json"
    wrong.write_text(json.dumps({"format": "something else", "records": []}))
    with pytest.raises(ValueError, match="not a paxshare.cleared_travellers file"):
        read_cleared(wrong)
    bad_csv = tmp_path / "x.csv"
    bad_csv.write_text("surname,entry_id\nDOE,E1\n")
    with pytest.raises(ValueError, match="missing columns"):
        read_cleared(bad_csv)
