"""ShareWithPartners on the DirectRunner, the sealed partner files, and retention."""

from __future__ import annotations

import argparse
import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipelines import crypto
from pipelines.sharing import cli_retention, output
from pipelines.sharing.audit import LocalStore, verify
from pipelines.sharing.transforms import DEFAULT_SHARDS, ShareWithPartners
from sharing_samples import RULES, make_keys, pnr, traveller


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory):
    return make_keys(tmp_path_factory.mktemp("keys"))


def _run(keys_dir, out, run_id, travellers, pnrs, flagged):
    with TestPipeline(argv=["--runner=DirectRunner"]) as p:
        api = p | "Api" >> beam.Create(travellers)
        pn = p | "Pnr" >> beam.Create(pnrs)
        flags = p | "Flags" >> beam.Create(flagged)
        result = {"api": api, "pnr": pn} | ShareWithPartners(
            RULES, keys_dir, out, run_id, flagged_traveller_ids=flags, shared_at="2026-11-23T12:00:00Z", provider="USA")
        ids = result["shared"] | beam.Map(lambda r: (r["arrangement_id"], r["data_kind"]))
        assert_that(ids, equal_to([("USA-CAN", "API"), ("USA-CAN", "PNR"), ("USA-MEX", "API"), ("USA-MEX", "API")]))
        merged = result["counts"] | beam.CombinePerKey(_merge)
        assert_that(merged, equal_to([("sharing", {"records shared": 4, "to CAN under USA-CAN": 2,
                                                   "to MEX under USA-MEX": 2})]), label="counts")
        assert_that(result["files"] | beam.Map(lambda path: path.rsplit("/", 1)[-1]),
                    equal_to([name.rsplit("/", 1)[-1] for c in ("CAN", "MEX") for name in _names(c, run_id)]), label="files")


def _merge(dicts):
    total = {}
    for d in dicts:
        for k, v in d.items():
            total[k] = total.get(k, 0) + v
    return total


def _names(code, run_id):
    return [output.file_name(code, run_id, shard, DEFAULT_SHARDS) for shard in range(DEFAULT_SHARDS)]


def _open_all(out, keyring, code, run_id, trusted):
    """Every record sent to ``code`` (all its shards), each file opened as itself."""
    return [r for name in _names(code, run_id) if (out / name).exists()
            for r in output.open_records((out / name).read_bytes(), keyring, code, name, trusted)]


def test_share_with_partners_end_to_end(tmp_path, keys_dir):
    travellers = [
        traveller("M1/1", ("JFK", "YYZ"), locator="FLAG01"),           # flagged: USA-CAN
        traveller("M1/2", ("JFK", "YYZ"), locator="OTHER1"),           # not flagged: nothing
        traveller("M2/1", ("LAX", "MEX")),                             # USA-MEX (all)
        traveller("M2/2", ("ORD", "LAX", "MEX"), surname="ROE"),       # USA-MEX
        traveller("M3/1", ("LHR", "CDG")),                             # out of scope
    ]
    pnrs = [pnr("FLAG01", ("JFK", "YYZ"), ssrs=[("MOML", None)]), pnr("OTHER1", ("JFK", "YYZ"))]
    out = tmp_path / "out"
    _run(keys_dir, out, "run-1", travellers, pnrs, ["M1/1"])

    keyring, trusted = crypto.load_private_keys(keys_dir), crypto.load_verify_keys(keys_dir)
    can = _open_all(out, keyring, "CAN", "run-1", trusted)
    can_name = next(name for name in _names("CAN", "run-1") if output.open_records(
        (out / name).read_bytes(), keyring, "CAN", name, trusted))
    assert sorted(r["data_kind"] for r in can) == ["API", "PNR"]
    assert all(r["flagged"] and r["recipient"] == "CAN" for r in can)
    assert "MOML" not in json.dumps(can)
    with pytest.raises(ValueError):  # a file opens only as itself, for its partner
        output.open_records((out / can_name).read_bytes(), keyring, "MEX", output.file_name("MEX", "run-1"), trusted)

    result = verify(LocalStore(out / "audit"), trusted=trusted)
    assert result.ok and result.entries == 1 + 4 + 1 and result.checkpoints == 1
    entries = [json.loads(line) for line in (out / "audit").glob("*.jsonl").__next__().read_text().splitlines()]
    assert {e["recipient"] for e in entries[1:-1]} == {"CAN", "MEX"}
    assert all(e["fields_sent"] and e["rules_version"] for e in entries[1:-1])
    assert entries[-1]["event"] == "checkpoint" and entries[-1]["checkpoint"]["count"] == 5

    # a re-run replaces the partner files and logs re-sends of the first disclosures, not new ones
    _run(keys_dir, out, "run-1", travellers, pnrs, ["M1/1"])
    assert len(list((out / "partners" / "CAN").iterdir())) == DEFAULT_SHARDS
    assert verify(LocalStore(out / "audit"), trusted=trusted).entries == 12
    second = [json.loads(line) for line in sorted((out / "audit").glob("*.jsonl"))[-1].read_text().splitlines()]
    assert [e["event"] for e in second[1:-1]] == ["resend"] * 4
    assert sorted(e["first_seq"] for e in second[1:-1]) == [2, 3, 4, 5]

    # retention: 72 h after departure USA-CAN names are masked except flagged records (all are);
    # 27 weeks later USA-MEX names are masked; after 5 years everything unflagged is deleted
    def retention(now):
        return cli_retention.main(argparse.Namespace(outputs=str(out), rules=str(RULES), keys=str(keys_dir), now=now,
                                                     audit=None, dry_run=False))
    assert retention("2026-11-30T00:00:00Z") == 0
    mex = _open_all(out, keyring, "MEX", "run-1", trusted)
    assert len(mex) == 2
    assert all(json.loads(r["payload_json"])["person"]["surname"] != "****" for r in mex)
    assert retention("2027-06-01T00:00:00Z") == 0
    mex = _open_all(out, keyring, "MEX", "run-1", trusted)
    assert len(mex) == 2
    assert all(json.loads(r["payload_json"])["person"]["surname"] == "****" for r in mex)
    assert all(r["masked_fields"] == ["person.given_names", "person.surname"] for r in mex)
    assert retention("2032-01-01T00:00:00Z") == 0
    assert _open_all(out, keyring, "MEX", "run-1", trusted) == []  # deleted (a shard that held none stays, empty)
    assert (out / can_name).exists()  # flagged records are exempt
    result = verify(LocalStore(out / "audit"), trusted=trusted)
    assert result.ok
    events = [json.loads(line)["event"] for path in sorted((out / "audit").glob("*.jsonl")) for line in path.read_text().splitlines()]
    assert events.count("mask") == 2 and events.count("delete") == 2


def test_records_false_leaves_out_the_records_but_writes_files_audit_and_counts(tmp_path, keys_dir):
    travellers = [traveller("M2/1", ("LAX", "MEX")), traveller("M2/2", ("ORD", "LAX", "MEX"), surname="ROE")]
    out = tmp_path / "out"
    with TestPipeline(argv=["--runner=DirectRunner"]) as p:
        api = p | "Api" >> beam.Create(travellers)
        result = api | ShareWithPartners(RULES, keys_dir, out, "run-2", shared_at="2026-11-23T12:00:00Z",
                                         provider="USA", records=False, shards=1)
        assert "shared" not in result
        assert_that(result["counts"] | beam.CombinePerKey(_merge),
                    equal_to([("sharing", {"records shared": 2, "to MEX under USA-MEX": 2})]))
    keyring, trusted = crypto.load_private_keys(keys_dir), crypto.load_verify_keys(keys_dir)
    name = output.file_name("MEX", "run-2")  # shards=1: shared-MEX-run-2-00000-of-00001
    assert len(output.open_records((out / name).read_bytes(), keyring, "MEX", name, trusted)) == 2
    assert (out / output.file_name("CAN", "run-2")).exists()  # a partner with nothing still gets its file
    assert verify(LocalStore(out / "audit"), trusted=trusted).entries == 1 + 2 + 1
