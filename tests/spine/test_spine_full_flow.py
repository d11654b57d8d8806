"""The whole flow as ``make demo`` runs it: generate, plant watchlists, keys, then one pipeline run
that validates, screens, raises sealed flags to the JPAUs and shares sealed records with partners."""

from __future__ import annotations

import glob
import json

import fastavro

from pipelines import crypto
from pipelines.cli import main as paxshare
from pipelines.flags.reader import read_flags
from pipelines.generate.plant import plant_watchlists


def test_full_flow(tmp_path, capsys):
    generated, output, keys = tmp_path / "gen", tmp_path / "out", tmp_path / "keys"
    assert paxshare(["generate", "--out", str(generated), "--travellers", "2500", "--seed", "5",
                     "--with-native-names"]) == 0
    plant_watchlists(sorted(glob.glob(str(generated / "api" / "*.avro"))), str(generated), seed=5,
                     per_variant=3, fillers=300)
    assert paxshare(["keys", "demo", "--dir", str(keys)]) == 0
    assert paxshare(["rules", "check", "--init-keys", str(keys)]) == 0
    assert paxshare(["run", str(generated / "api"), str(generated / "pnr"), "--output", str(output),
                     "--watchlists", str(generated / "watchlists" / "*.avro"), "--rules", "rules",
                     "--keys", str(keys), "--quiet"]) == 0
    capsys.readouterr()

    report = json.loads((output / "report" / "run_report.json").read_text())
    assert report["reconciled"]
    assert report["stages"]["screening"]["candidates"] > 0
    assert report["stages"]["flags"]["flags"] > 0
    assert report["stages"]["sharing"]["records shared"] > 0

    # Every planted true match among valid travellers is a candidate.
    candidates = []
    for path in glob.glob(str(output / "matches" / "*.avro")):
        with open(path, "rb") as handle:
            candidates.extend(fastavro.reader(handle))
    found = {(c["traveller_id"], c["entry_id"]) for c in candidates}
    truth = [json.loads(line) for line in (generated / "watchlists" / "truth.jsonl").open()]
    # (a planted year-only, 01-01 or swapped date of a common name is a reviewable candidate, not
    # an alert, so the pipeline, which asks for alerts, does not emit it: screening settings
    # weak_evidence_people)
    weak_dates = ("partial_dob", "placeholder_dob", "day_month_swap")
    assert truth and all((t["record_key"], t["entry_id"]) in found for t in truth if t["variant"] not in weak_dates)

    # Flags open only with the unit's own key, and verify against the pipeline's signing key.
    trusted = crypto.load_verify_keys(keys)
    opened = withdrawn = 0
    for path in glob.glob(str(output / "flags" / "*" / "*.sealed")):
        unit = path.split("/")[-2]
        flags = read_flags(path, crypto.load_private_keys(keys), trusted, expect_unit=unit)
        assert all(f["unit_id"] == unit for f in flags)
        opened += sum(not f["withdrawn"] for f in flags)
        withdrawn += sum(bool(f["withdrawn"]) for f in flags)  # sent again: a later list withdrew the traveller
    assert opened == report["stages"]["flags"]["flags"]
    assert withdrawn == report["stages"]["flags"].get("withdrawn", 0)

    # The run's signed checkpoint is in its report and printed; the log verifies against it and
    # against a partner's copy; a second run of the same inputs logs re-sends, not new disclosures.
    assert report["audit"]["checkpoint"]["statement"]["head"] == report["audit"]["head"]
    partner_files = sorted(glob.glob(str(output / "partners" / "*" / "*.sealed")))
    assert partner_files
    assert paxshare(["audit", "verify", str(output / "audit"), "--keys", str(keys),
                     "--checkpoint", str(output / "report" / "run_report.json"),
                     "--partner-file", partner_files[0]]) == 0
    assert not glob.glob(str(output / "**" / ".temp*"), recursive=True)
    assert not (output / ".staging").exists()
