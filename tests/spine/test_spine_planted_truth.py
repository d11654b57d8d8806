"""Generated data through ``paxshare run``: every planted defect is in the dead letters with its
reason, nothing valid is rejected, and the report reconciles."""

from __future__ import annotations

import json

from pipelines.cli import main as paxshare
from pipelines.generate.truth_check import compare


def test_generated_set_round_trip(tmp_path, capsys):
    generated, output = tmp_path / "gen", tmp_path / "out"
    assert paxshare(["generate", "--out", str(generated), "--travellers", "4000", "--seed", "11",
                     "--invalid-rate", "0.05", "--persons-per-file", "1500"]) == 0
    assert paxshare(["run", str(generated / "api"), str(generated / "pnr"), "--output", str(output),
                     "--quiet"]) == 0
    assert "RECONCILED" in capsys.readouterr().out

    result = compare(str(generated), str(output))
    assert result["planted"] > 100
    assert result["missed"] == [] and result["wrong_reason"] == [] and result["false_rejections"] == []

    report = json.loads((output / "report" / "run_report.json").read_text())
    summary = json.loads((generated / "truth" / "summary.json").read_text())
    assert report["reconciled"] and report["totals"]["files"] >= 3
    assert report["totals"]["persons_in"] == 4000
    assert report["totals"]["pnrs_in"] == summary.get("pnrs", report["totals"]["pnrs_in"])
