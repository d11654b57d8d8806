"""The committed sample set in sample_manifests/ is what GENERATED.md says and passes the checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.generate import checker
from tests.generate.conftest import GeneratedSet

SAMPLE = Path(__file__).resolve().parents[2] / "sample_manifests"


@pytest.fixture(scope="module")
def sample() -> GeneratedSet:
    summary = json.loads((SAMPLE / "truth" / "summary.json").read_text())
    return GeneratedSet(SAMPLE, summary)


def test_sample_is_small_and_documented(sample):
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 3 * 1024 * 1024
    text = (SAMPLE / "GENERATED.md").read_text()
    assert "paxshare generate --out sample_manifests" in text
    assert 2500 <= sample.summary["persons"] <= 3500
    assert 150 <= sample.summary["flights"] <= 400
    assert (SAMPLE / "truth" / "persons_native.jsonl").exists()


def test_sample_truth_is_exact(sample):
    index = {(r["kind"], r["file"], r["record_key"]): (r["code"], r["field"]) for r in sample.truth}
    assert len(index) == len(sample.truth) > 0
    for message_id, (file, manifest) in sample.manifests.items():
        expected = index.get(("API_MANIFEST", file, message_id))
        assert checker.manifest_defects(manifest) == ({expected} if expected else set())
        departure = checker.departure_date(manifest)
        for person in manifest["persons"]:
            expected = index.get(("API_PERSON", file, f"{message_id}/{person['person_id']}"))
            assert checker.person_defects(person, departure) == ({expected} if expected else set())
    for file, pnr in sample.pnrs:
        expected = index.get(("PNR", file, pnr["record_locator"] or pnr["message_id"]))
        assert checker.pnr_defects(pnr) == ({expected} if expected else set())
