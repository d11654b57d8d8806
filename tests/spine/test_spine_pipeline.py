"""The batch pipeline on the DirectRunner: bad files among good ones, dead letters, the report."""

from __future__ import annotations

import glob
import io
import json
from pathlib import Path

import fastavro
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines import schemas
from pipelines.batch import build_pipeline, expand_inputs
from pipelines.options import PaxshareOptions
from tests.spine.factories import avro_bytes, manifest, person, pnr


def read_avro_folder(pattern: str) -> list[dict]:
    records = []
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as handle:
            records.extend(fastavro.reader(handle))
    return records


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "api-good.avro").write_bytes(avro_bytes("api_manifest", [
        manifest("M1"),
        manifest("M2", persons=[person(1), person(2, nationality="ZZZ")]),
        manifest("M3", declared_passenger_count=7),
    ]))
    next_day = manifest("M4")
    next_day["flight"]["legs"][0]["departure_local"] = "2026-11-24T07:00"
    (folder / "api-next-day.avro").write_bytes(avro_bytes("api_manifest", [next_day]))
    (folder / "pnr.avro").write_bytes(avro_bytes("pnr", [pnr("Q7XK2M"), pnr(None)]))
    (folder / "notes.avro").write_bytes(b"this is not avro at all")
    buffer = io.BytesIO()
    fastavro.writer(buffer, schemas.load("api_manifest"),
                    [manifest(f"T{i}", persons=[person(j) for j in range(50)], declared_passenger_count=50)
                     for i in range(3)], sync_interval=2000, metadata=schemas.file_metadata("api_manifest"))
    (folder / "api-cut.avro").write_bytes(buffer.getvalue()[:-200])
    return folder


def options(inputs: Path, output: Path) -> PaxshareOptions:
    return PipelineOptions([f"--input={inputs}", f"--output={output}", "--run_id=test-run",
                            "--runner=DirectRunner"]).view_as(PaxshareOptions)


def test_pipeline_outputs(inputs: Path, tmp_path: Path):
    output = tmp_path / "out"
    with TestPipeline(options=options(inputs, output)) as pipeline:
        result = build_pipeline(pipeline, options(inputs, output))
        assert_that(result["travellers"] | "Ids" >> _map(lambda t: t["traveller_id"]),
                    equal_to(["M1/P001", "M1/P002", "M1/P003", "M2/P001", "M4/P001", "M4/P002", "M4/P003"]
                             + [f"T{i}/P{j:03d}" for i in range(2) for j in range(50)]),
                    label="valid travellers")
        assert_that(result["dead_letters"] | "Keys" >> _map(lambda d: (d["kind"], d["record_key"])),
                    equal_to([("API_PERSON", "M2/P002"), ("API_MANIFEST", "M3"), ("PNR", "PNR-1"),
                              ("FILE", None), ("FILE", None)]),
                    label="dead letters")

    travellers = read_avro_folder(f"{output}/valid/api_travellers/*.avro")
    assert len(travellers) == 107
    by_date = {Path(p).name.split("-0")[0] for p in glob.glob(f"{output}/valid/api_travellers/*.avro")}
    assert by_date == {"flight_date=2026-11-23", "flight_date=2026-11-24"}
    letters = read_avro_folder(f"{output}/dead_letter/*.avro")
    files = {Path(d["source_file"]).name: d for d in letters if d["kind"] == "FILE"}
    assert files["notes.avro"]["reasons"][0]["code"] == "NOT_AVRO"
    assert files["api-cut.avro"]["reasons"][0]["code"] == "TRUNCATED"
    assert read_avro_folder(f"{output}/valid/pnr/*.avro")[0]["record_locator"] == "Q7XK2M"

    report = json.loads((output / "report" / "run_report.json").read_text())
    assert report["reconciled"] is True
    assert report["timing"]["seconds"] > 0 and report["timing"]["started_utc"]  # written once, by the pipeline
    totals = report["totals"]
    assert totals["persons_in"] == totals["persons_valid"] + totals["persons_rejected"]
    assert totals["files_rejected"] == 1 and totals["files_partly_read"] == 1
    assert report["rejection_reasons"]["NOT_AVRO"] == 1
    assert report["rejection_reasons"]["COUNT_MISMATCH"] == 1
    good = report["files"][str(inputs / "api-good.avro")]
    assert (good["persons_in"], good["persons_valid"], good["persons_rejected"]) == (8, 4, 4)


def test_folder_inputs_expand_to_avro_files(tmp_path: Path):
    assert expand_inputs([str(tmp_path)]) == [f"{tmp_path}/**.avro"]
    assert expand_inputs(["gs://bucket/api/*.avro"]) == ["gs://bucket/api/*.avro"]
    assert expand_inputs(["gs://bucket/api/"]) == ["gs://bucket/api/**.avro"]


def _map(fn):
    import apache_beam as beam
    return beam.Map(fn)


def test_run_command_passes_unknown_options_to_beam_and_uses_no_environment(inputs: Path, tmp_path: Path,
                                                                             capsys, monkeypatch):
    import os

    from pipelines.cli import main

    monkeypatch.delenv("PAXSHARE_QUIET", raising=False)
    output = tmp_path / "cli-out"
    # --direct_num_workers is Beam's, not paxshare's: it reaches PipelineOptions untouched
    status = main(["run", str(inputs), "--output", str(output), "--quiet", "--run-id", "cli",
                   "--runner=DirectRunner", "--direct_num_workers=1"])
    assert status == 0
    captured = capsys.readouterr()
    assert "[paxshare] read" not in captured.err and "RECONCILED" in captured.out
    assert "PAXSHARE_QUIET" not in os.environ
    report = json.loads((output / "report" / "run_report.json").read_text())
    assert report["run_id"] == "cli" and report["timing"]["seconds"] > 0


def test_pipeline_options_keep_beam_options_and_set_paxshare_ones():
    import argparse

    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    from pipelines.cli import add_arguments, pipeline_options

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args, unknown = parser.parse_known_args(["in/", "--output", "o", "--runner=DirectRunner",
                                             "--direct_num_workers=3", "--watchlists", "w.csv"])
    args.beam_args = unknown
    options = pipeline_options(args, input=["in/"])
    assert options.view_as(StandardOptions).runner == "DirectRunner"
    assert options.view_as(DirectOptions).direct_num_workers == 3
    paxshare = options.view_as(PaxshareOptions)
    assert (paxshare.input, paxshare.output, paxshare.watchlists) == (["in/"], "o", ["w.csv"])
