"""What a new user sees from ``paxshare run``: duplicates processed once and counted, inputs that
match nothing named, skipped stages said, no staging left behind, private folders."""

from __future__ import annotations

import glob
import json
import os
import stat

import pytest

from pipelines.cli import main as paxshare
from tests.spine.factories import avro_bytes, manifest, person, pnr
from tests.spine.test_spine_pipeline import read_avro_folder as _read


def _run(*args) -> int:
    return paxshare(["run", *map(str, args), "--quiet", "--", "--runner=DirectRunner"])


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory):
    """The same file twice, a resend under another name, and a file whose Avro block repeats."""
    folder = tmp_path_factory.mktemp("dup")
    records = [manifest("M1"), manifest("M2", persons=[person(1), person(2)])]
    (folder / "a.avro").write_bytes(avro_bytes("api_manifest", records))
    (folder / "a-resent.avro").write_bytes(avro_bytes("api_manifest", records))
    (folder / "p.avro").write_bytes(avro_bytes("pnr", [pnr("Q7XK2M"), pnr("Q7XK2M")]))  # a duplicated record
    out = folder / "out"
    assert _run(folder / "a.avro", folder / "a-resent.avro", folder / "p.avro", folder / "a.avro", "--output", out) == 0
    return out


def test_duplicates_are_processed_once_and_counted(duplicated):
    report = json.loads((duplicated / "report" / "run_report.json").read_text())
    totals = report["totals"]
    assert report["reconciled"]
    assert totals["persons_valid"] == 5 and totals["persons_duplicate"] == 5 and totals["persons_in"] == 10
    assert totals["pnrs_valid"] == 1 and totals["pnrs_duplicate"] == 1 and totals["pnrs_in"] == 2
    assert totals["persons_in"] == totals["persons_valid"] + totals["persons_rejected"] + totals["persons_duplicate"]
    ids = [t["traveller_id"] for t in _read(f"{duplicated}/valid/api_travellers/*.avro")]
    assert sorted(ids) == ["M1/P001", "M1/P002", "M1/P003", "M2/P001", "M2/P002"]  # stable ids, once each
    assert len(_read(f"{duplicated}/valid/pnr/*.avro")) == 1


def test_a_run_without_screening_flags_or_sharing_says_so(duplicated, capsys):
    report = json.loads((duplicated / "report" / "run_report.json").read_text())
    assert set(report["not_run"]) == {"screening", "flags", "sharing"}


def test_no_staging_is_left_and_folders_are_private(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.avro").write_bytes(avro_bytes("api_manifest", [manifest("M1")]))
    out = tmp_path / "out"
    (out / "valid" / "api_travellers" / ".temp-killed-run").mkdir(parents=True)   # what a killed run left
    (out / "valid" / "api_travellers" / ".temp-killed-run" / "x.avro").write_bytes(b"plaintext records")
    old = os.umask(0)
    try:
        assert _run(folder, "--output", out) == 0
    finally:
        os.umask(old)
    assert not glob.glob(f"{out}/**/.temp*", recursive=True)
    for sub in ("", "valid/api_travellers", "dead_letter", "report"):
        assert stat.S_IMODE((out / sub).stat().st_mode) == 0o700, sub


@pytest.mark.parametrize("make", ["missing", "empty-folder", "typo-among-several"])
def test_an_input_that_matches_no_file_is_an_error_naming_it(tmp_path, capsys, make):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.avro").write_bytes(avro_bytes("api_manifest", [manifest("M1")]))
    (folder / "p.avro").write_bytes(avro_bytes("pnr", [pnr("Q7XK2M")]))
    if make == "missing":
        inputs = [tmp_path / "nowhere"]
    elif make == "empty-folder":
        (tmp_path / "empty").mkdir()
        inputs = [tmp_path / "empty"]
    else:
        inputs = [folder / "a.avro", folder / "pnr.avro"]  # p.avro mistyped
    assert _run(*inputs, "--output", tmp_path / "out") == 2
    error = capsys.readouterr().err
    assert str(inputs[-1]) in error and "matches no file" in error
    assert not (tmp_path / "out" / "report" / "run_report.json").exists()


@pytest.mark.parametrize("mode,refused", [("multi_threading", True), ("in_memory", False)])
def test_the_direct_runner_mode_that_loses_records_is_refused_before_anything_is_cleared(tmp_path, capsys, mode,
                                                                                          refused):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.avro").write_bytes(avro_bytes("api_manifest", [manifest("M1")]))
    previous = tmp_path / "out" / "valid" / "api_travellers"
    previous.mkdir(parents=True)
    (previous / "kept.avro").write_bytes(b"a previous run's output")
    code = paxshare(["run", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--quiet", "--",
                     "--runner=DirectRunner", f"--direct_running_mode={mode}"])
    error = capsys.readouterr().err
    if refused:
        assert code == 2 and "multi_threading loses records" in error and "multi_processing" in error
        assert (previous / "kept.avro").exists()  # refused before the previous outputs were cleared
    else:
        assert code == 0 and not (previous / "kept.avro").exists()
