"""Real-format EDIFACT samples, converted, then validated by the pipeline.

Everything converts and decodes; the run reconciles; the only rejections are the defects the
sample messages really carry (each one named below with the segment that shows it)."""

from __future__ import annotations

import glob
import json

import fastavro

from pipelines.cli import main as paxshare

#: (file stem, person id suffix) -> the reason, with the evidence in the source message.
EXPECTED_REJECTIONS = {
    ("flight1", "P0001"): {("MISSING", "documents[0].type")},        # DOC++433419360 (blank type)
    ("flight1", "P0003"): {("MISSING", "documents[0].issuing_state")},  # LOC+91+ (blank issuer)
    ("flight1", "P0007"): {("DOCUMENT_EXPIRED", "documents[0].expiry_date")},  # expiry before 2020-01-19
    ("flight1", "P0008"): {("DOCUMENT_EXPIRED", "documents[0].expiry_date")},
    ("flight1", "P0009"): {("DOCUMENT_EXPIRED", "documents[0].expiry_date")},
    ("flight1", "P0010"): {("DOCUMENT_EXPIRED", "documents[0].expiry_date")},
    ("apisMessage", "ABC123"): {("MISSING", "nationality"), ("MISSING", "documents")},  # no NAT, no DOC
    ("apisMessage", "TYL009"): {("MISSING", "nationality"), ("MISSING", "documents")},
}


def test_converted_samples_run_through_the_pipeline(shared_data, tmp_path, capsys):
    samples = sorted(glob.glob(str(shared_data / "edifact" / "*.txt")) + glob.glob(str(shared_data / "edifact" / "*.edi")))
    samples = [s for s in samples if not s.endswith(("SOURCES.txt", "LICENSE-GTAS.txt"))]
    converted, output = tmp_path / "converted", tmp_path / "out"
    paxshare(["convert", *samples, "--out", str(converted), "--quiet"])
    assert not glob.glob(str(converted / "dead_letter" / "*.avro")), "a real-format sample failed to convert"

    assert paxshare(["run", str(converted / "api"), str(converted / "pnr"), "--output", str(output),
                     "--quiet"]) == 0
    report = json.loads((output / "report" / "run_report.json").read_text())
    assert report["reconciled"] and report["totals"]["files_rejected"] == 0
    assert report["totals"]["pnrs_in"] == report["totals"]["pnrs_valid"] >= 10
    assert report["totals"]["manifests_rejected"] == 0

    rejected = {}
    for path in glob.glob(str(output / "dead_letter" / "*.avro")):
        with open(path, "rb") as handle:
            for letter in fastavro.reader(handle):
                stem = letter["source_file"].rsplit("/", 1)[-1].removesuffix(".avro")
                rejected[(stem, letter["record_key"].rsplit("/", 1)[-1])] = {
                    (r["code"], r["field"]) for r in letter["reasons"]}
    assert rejected == EXPECTED_REJECTIONS
    assert report["totals"]["persons_valid"] == report["totals"]["persons_in"] - len(EXPECTED_REJECTIONS)
