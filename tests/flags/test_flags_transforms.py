"""RaiseFlags on the DirectRunner: files per unit, routing, suppression, metrics, and re-runs."""

from __future__ import annotations

import logging

import apache_beam as beam
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from flag_samples import candidate
from pipelines import crypto
from pipelines.flags.reader import read_flags
from pipelines.flags.transforms import METRICS_NAMESPACE, RaiseFlags

CANDIDATES = [
    candidate((("YUL", "MIA"),), person_id="1"),               # both units
    candidate((("YVR", "NRT"),), person_id="2"),               # Vancouver only
    candidate((("MEX", "MIA"),), person_id="3", list_owner="CAN"),  # Miami only
    candidate((("YUL", "MIA"),), person_id="4", suppressed_by="NEXUS-9"),
    candidate((("LHR", "CDG"),), person_id="5"),               # no unit
]


def _run(keys_dir, out, run_id="run-1"):
    pipeline = test_pipeline.TestPipeline(argv=["--runner=DirectRunner"])
    result = (
        pipeline
        | beam.Create(CANDIDATES)
        | RaiseFlags(None, str(keys_dir), str(out), run_id, rules_version="t", created_utc="2026-11-23T00:00:00Z")
    )
    assert_that(result["files"] | beam.Map(lambda f: (f["unit_id"], f["flags"])),
                equal_to([("jpau-yvr", 2), ("jpau-mia", 2)]), label="files")
    assert_that(result["flags"] | beam.Map(lambda f: (f["unit_id"], f["traveller_id"])),
                equal_to([("jpau-yvr", "MSG1/1"), ("jpau-mia", "MSG1/1"), ("jpau-yvr", "MSG1/2"),
                          ("jpau-mia", "MSG1/3")]), label="flags")
    assert_that(result["suppressed"], equal_to(["cand-4-E1"]), label="suppressed")
    outcome = pipeline.run()
    outcome.wait_until_finish()
    return outcome


def _counter(outcome, name):
    query = outcome.metrics().query(beam.metrics.MetricsFilter().with_namespace(METRICS_NAMESPACE).with_name(name))
    return sum(counter.committed for counter in query["counters"])


def test_raise_flags_writes_one_sealed_file_per_unit(keys_dir, keyring, trusted, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    outcome = _run(keys_dir, tmp_path)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["flags/jpau-mia/flags-run-1.sealed", "flags/jpau-yvr/flags-run-1.sealed"]
    yvr = read_flags(tmp_path / files[1], keyring, trusted)
    mia = read_flags(tmp_path / files[0], keyring, trusted)
    assert sorted(f["traveller_id"] for f in yvr) == ["MSG1/1", "MSG1/2"]
    assert sorted(f["traveller_id"] for f in mia) == ["MSG1/1", "MSG1/3"]
    assert all(f["traveller"]["seat"] is None for f in yvr) and all(f["traveller"]["seat"] for f in mia)
    assert _counter(outcome, "flags.jpau-yvr") == 2 and _counter(outcome, "suppressed") == 1
    assert _counter(outcome, "unrouted") == 1 and _counter(outcome, "candidates") == 5
    # No private key material in anything logged during the run.
    logged = caplog.text
    for path in keys_dir.glob("*.key.json"):
        for line in path.read_text().splitlines():
            if len(line.strip()) > 40 and "-----" not in line:
                assert line.strip().strip('",')[:40] not in logged


def test_rerun_replaces_files_and_keeps_flag_ids(keys_dir, keyring, trusted, tmp_path):
    _run(keys_dir, tmp_path)
    first = {f["flag_id"] for f in read_flags(tmp_path / "flags/jpau-yvr/flags-run-1.sealed", keyring, trusted)}
    _run(keys_dir, tmp_path)
    files = sorted(p.name for p in (tmp_path / "flags" / "jpau-yvr").iterdir())
    assert files == ["flags-run-1.sealed"]
    again = {f["flag_id"] for f in read_flags(tmp_path / "flags/jpau-yvr/flags-run-1.sealed", keyring, trusted)}
    assert first == again and len(first) == 2


def test_missing_keys_fail_naming_the_folder(tmp_path):
    empty = tmp_path / "nokeys"
    empty.mkdir()
    with pytest.raises(Exception, match="no public key for"):
        _run(empty, tmp_path / "out")


def test_transform_pickles_no_private_key(keys_dir, tmp_path):
    import pickle

    transform = RaiseFlags(None, str(keys_dir), str(tmp_path), "run-1")
    blob = pickle.dumps(transform)
    assert b"PRIVATE" not in blob and crypto.private_key_file_name("pipeline-signing").encode() not in blob
