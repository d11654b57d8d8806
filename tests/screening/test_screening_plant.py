import json

from pipelines.generate.plant import VARIANTS, plant_watchlists
from pipelines.screening.engine.score import Screener
from pipelines.generate.synthetic import write_fake_manifests
from pipelines.screening.lists.watchlist import read_travellers, read_watchlists

from screening_helpers import unfound_planted


def test_planted_matches_are_found(tmp_path):
    manifest = write_fake_manifests(str(tmp_path / "m.avro"), 12, 40, seed=2)
    summary = plant_watchlists([manifest], str(tmp_path / "out"), seed=3, per_variant=4, fillers=600)
    assert set(summary["by_variant"]) == set(VARIANTS)
    owners = {entry["list_owner"] for entry in read_watchlists([v["csv"] for v in summary["lists"].values()])}
    assert owners == {"USA", "CAN", "MEX"}
    entries = read_watchlists([v["avro"] for v in summary["lists"].values()])
    truth = [json.loads(line) for line in open(summary["truth"], encoding="utf-8")]
    assert all(row["entry_id"] in {e["entry_id"] for e in entries} for row in truth)
    assert not unfound_planted(Screener(entries), list(read_travellers(manifest)), truth)
    # the same seed gives the same lists
    again = plant_watchlists([manifest], str(tmp_path / "again"), seed=3, per_variant=4, fillers=600)
    assert open(again["truth"]).read() == open(summary["truth"]).read()
