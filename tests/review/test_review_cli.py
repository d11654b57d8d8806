"""``paxshare review`` on the command line: ingest, list, show, decide, log, export-cleared."""

from __future__ import annotations

import getpass
import json

import pytest
from conftest import add_test_users
from review_factories import NOW, make_entry, sample_flags

from pipelines import crypto
from pipelines.cli import main
from pipelines.flags import records
from pipelines.flags.writer import write_flags_file
from pipelines.review.cleared import read_cleared
from pipelines.review.store import ReviewStore


@pytest.fixture
def db(tmp_path):
    """A review database holding sample_flags() and entry E1."""
    path = tmp_path / "review.sqlite"
    store = ReviewStore(str(path))
    store.add_flags(sample_flags())
    store.add_entries([make_entry("E1")])
    add_test_users(store)
    store.close()
    return str(path)


def review(*argv: str) -> int:
    return main(["review", *argv])


def test_list_prints_the_priority_list(db, capsys):
    assert review("list", "--db", db, "--analyst", "ana", "--show", "all", "--as-of", NOW.isoformat()) == 0
    table, footer = capsys.readouterr().out.split("\n\n")
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["#", "SEVERITY", "DEPARTURE"]
    assert [line.split()[-1] for line in lines[1:]] == ["p1", "p2", "p3", "p4", "p5", "p6"]
    assert "No flag becomes an adverse action without a human disposition" in footer


def test_list_as_json_lines(db, capsys):
    assert review("list", "--db", db, "--analyst", "ana", "--json", "--limit", "2",
                  "--as-of", "2026-11-23T12:00:00Z") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["flag"]["flag_id"] for row in rows] == ["p1", "p2"]
    assert rows[0]["status"] == "NEW"


def test_show_puts_traveller_beside_entry_and_logs_the_view(db, capsys):
    assert review("show", "p5", "--db", db, "--analyst", "ana") == 0
    out = capsys.readouterr().out
    assert "DOE, JOHN" in out and "DOE, JON" in out and "P X9999999 (USA)" in out
    assert "name: DOE JOHN vs DOE JON: 0.93" in out
    assert "Not decided yet. Until an analyst records a disposition, this flag leads to no action." in out
    store = ReviewStore(db)
    assert [(e["analyst"], e["action"]) for e in store.access_log(flag_id="p5")] == [("ana", "VIEW")]
    store.close()


def test_decide_needs_a_note_and_an_analyst(db, capsys):
    with pytest.raises(SystemExit):
        review("decide", "p1", "--db", db, "--analyst", "ana", "--disposition", "false-positive")
    assert review("decide", "p1", "--db", db, "--analyst", "ana", "--disposition", "false-positive",
                  "--note", "  ") == 2
    assert "note is required" in capsys.readouterr().err
    assert review("decide", "p1", "--db", db, "--disposition", "false-positive", "--note", "x") == 2
    assert "analyst id is required" in capsys.readouterr().err


def test_decide_then_export_cleared(db, tmp_path, capsys):
    assert review("decide", "p3", "--db", db, "--analyst", "ana", "--disposition", "false-positive",
                  "--note", "different person: DOB and passport differ") == 0
    assert "recorded False positive for p3" in capsys.readouterr().out
    out = tmp_path / "cleared.json"
    assert review("export-cleared", "--db", db, "--analyst", "ana", "--out", str(out)) == 0
    records_ = read_cleared(out)
    assert [(r["surname"], r["entry_id"], r["analyst"]) for r in records_] == [("ROE", "E2", "ana")]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    capsys.readouterr()
    assert review("log", "--db", db, "--analyst", "ana") == 2  # an analyst does not read the log
    assert "may not audit" in capsys.readouterr().err
    assert review("log", "--db", db, "--analyst", "aud") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1:4] for line in lines[:3]] == [
        ["ana", "cli:" + getpass.getuser(), "REFUSED"],
        ["ana", "cli:" + getpass.getuser(), "EXPORT"],
        ["ana", "cli:" + getpass.getuser(), "DECIDE"]]


def test_show_unknown_flag_fails_cleanly(db, capsys):
    assert review("show", "nope", "--db", db, "--analyst", "ana") == 2
    assert "no flag with id 'nope'" in capsys.readouterr().err


def test_serve_refuses_non_loopback(db, capsys):
    assert review("serve", "--db", db, "--host", "0.0.0.0") == 1
    assert "refusing to listen" in capsys.readouterr().err


def test_ingest_from_sealed_files(tmp_path, capsys):
    keys = tmp_path / "keys"
    keys.mkdir()
    unit = crypto.generate_recipient_key("jpau-yvr.1", name="jpau-yvr")
    signer = crypto.generate_signing_key("pipeline-signing.1", name="pipeline-signing")
    for key in (unit, signer):
        crypto.save_private_key(key, keys / crypto.private_key_file_name(key.key_id))
        crypto.save_public_key(key, keys / crypto.public_key_file_name(key.key_id))
    flag = sample_flags()[0] | {"run_id": "r1", "traveller_id": "MSG1/9", "entry_id": "E1"}
    flag["flag_id"] = records.flag_id("MSG1/9", "E1", "jpau-yvr")
    write_flags_file(tmp_path / "out", [flag], "jpau-yvr", "r1", unit.public_key(), signer)
    db = str(tmp_path / "review.sqlite")
    assert review("ingest", str(tmp_path / "out"), "--db", db, "--analyst", "ana", "--unit", "jpau-yvr",
                  "--keys", str(keys), "--trust", str(keys)) == 0
    assert "1 files: 1 new flags" in capsys.readouterr().out
    store = ReviewStore(db)
    add_test_users(store, ["ana"])
    store.close()
    assert review("list", "--db", db, "--analyst", "ana", "--json") == 0
    assert json.loads(capsys.readouterr().out)["flag"]["flag_id"] == flag["flag_id"]
