"""``paxshare convert`` writes Avro files named after their inputs, dead letters and a summary."""

from __future__ import annotations

import json

import fastavro

from pipelines import cli, schemas

PAXLST = ("UNA:+.? '\nUNB+UNOA:4+ACAPI+USCSAPIS+261123:1200+IC1'\nUNH+M1+PAXLST:D:05B:UN:IATA'\nBGM+745'\n"
          "TDT+20+AC871'\nLOC+125+YYZ'\nDTM+189:2611231930:201'\nLOC+87+IAH'\nDTM+232:2611232215:201'\n"
          "NAD+FL+++DOE:JANE'\nATT+2++F'\nDTM+329:900101'\nCNT+42:1'\nUNT+12+M1'\n"
          "UNH+M2+PAXLST:D:05B:UN:IATA'\nBGM+745'\nNAD+FL+++CUT")


def read(path):
    with open(path, "rb") as handle:
        reader = fastavro.reader(handle)
        return reader.metadata, list(reader)


def test_convert_writes_outputs_per_input(tmp_path, shared_data):
    source = tmp_path / "in" / "cut_off.edi"
    source.parent.mkdir()
    source.write_bytes(PAXLST.encode())
    out = tmp_path / "out"
    status = cli.main(["convert", str(source), str(shared_data / "edifact" / "codeshare.edi"), "--out", str(out),
                       "--quiet"])
    assert status == 0
    metadata, manifests = read(out / "api" / "cut_off.avro")
    assert metadata["paxshare.schema"] == "api_manifest"
    assert [m["message_id"] for m in manifests] == ["ACAPI/IC1/M1"]
    assert manifests[0]["persons"][0]["date_of_birth"] == "1990-01-01"
    _, letters = read(out / "dead_letter" / "cut_off.avro")
    assert [(d["kind"], d["record_key"], d["reasons"][0]["code"]) for d in letters] == [
        ("EDIFACT_MESSAGE", "ACAPI/IC1/M2", "TRUNCATED")]
    assert letters[0]["raw_bytes"].startswith(b"UNH+M2")
    metadata, pnrs = read(out / "pnr" / "codeshare.avro")
    assert metadata["paxshare.schema"] == "pnr" and [p["record_locator"] for p in pnrs] == ["2LS6KP", "X49V9U"]
    assert not (out / "pnr" / "cut_off.avro").exists()
    summary = json.loads((out / "convert_summary.json").read_text())
    assert summary["totals"]["manifests"] == 1 and summary["totals"]["pnrs"] == 2
    assert summary["totals"]["dead_letters"] == 1 and summary["totals"]["persons"] == 1


def test_convert_with_no_input_found(tmp_path, capsys):
    assert cli.main(["convert", str(tmp_path / "nothing*.edi"), "--out", str(tmp_path)]) == 2
    assert "no input found" in capsys.readouterr().err


def test_directory_input_and_stable_rerun(tmp_path, shared_data):
    out = tmp_path / "out"
    args = ["convert", str(shared_data / "edifact"), "--out", str(out), "--quiet"]
    assert cli.main(args) == 0
    first = read(out / "api" / "Test1.avro")[1]
    assert cli.main(args) == 0
    assert read(out / "api" / "Test1.avro")[1] == first
    names = sorted(p.name for p in (out / "api").iterdir())
    assert names == ["Test1.avro", "apisMessage.avro", "flight1.avro", "multiple_flight_leg_apis.avro"]
    # The licence and sources texts are not EDIFACT: each becomes a dead letter, nothing silently dropped.
    assert sorted(p.name for p in (out / "dead_letter").iterdir()) == ["LICENSE-GTAS.avro", "SOURCES.avro"]
    fastavro.validation.validate_many(first, schemas.load("api_manifest"), raise_errors=True)


def test_convert_prints_its_warnings_and_the_counts_agree(tmp_path, shared_data, capsys):
    """It used to say "4 warnings" without showing them, and its total disagreed with the files'."""
    source = tmp_path / "in" / "cut_off.edi"
    source.parent.mkdir()
    source.write_bytes(PAXLST.replace("CNT+42:1", "CNT+42:3").encode())  # a record warning
    out = tmp_path / "out"
    assert cli.main(["convert", str(source), str(shared_data / "edifact" / "codeshare.edi"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "convert_summary.json").read_text())
    per_file = [entry["all_warnings"] for entry in summary["inputs"]]
    assert sum(per_file) == summary["totals"]["all_warnings"] > 0
    assert summary["totals"]["all_warnings"] == summary["totals"]["file_warnings"] + summary["totals"]["record_warnings"]
    for entry in summary["inputs"]:
        assert f"{entry['all_warnings']} warnings" in printed
        for message in [*entry["warnings"], *entry["record_warning_messages"]][:20]:
            assert f"  warning: {message}" in printed
    assert "declares 3 passengers" in printed
    assert f"{summary['totals']['all_warnings']} warnings" in printed.splitlines()[-1]
