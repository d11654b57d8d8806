import json

from pipelines.generate.plant import VARIANTS, plant_watchlists
from pipelines.screening.engine.score import Screener
from pipelines.generate.synthetic import write_fake_manifests
from pipelines.screening.lists.watchlist import read_travellers, read_watchlists


def test_planted_matches_are_found(tmp_path):
    manifest = write_fake_manifests(str(tmp_path / "m.avro"), 12, 40, seed=2)
    summary = plant_watchlists([manifest], str(tmp_path / "out"), seed=3, per_variant=4, fillers=600)
    assert set(summary["by_variant"]) == set(VARIANTS)
    owners = {entry["list_owner"] for entry in read_watchlists([v["csv"] for v in summary["lists"].values()])}
    assert owners == {"USA", "CAN", "MEX"}
    entries = read_watchlists([v["avro"] for v in summary["lists"].values()])
    truth = [json.loads(line) for line in open(summary["truth"], encoding="utf-8")]
    assert all(row["entry_id"] in {e["entry_id"] for e in entries} for row in truth)
    screener = Screener(entries)
    alerts = {}
    for traveller in read_travellers(manifest):
        alerts[traveller.traveller_id] = {c.entry_id for c in screener.screen(traveller) if c.alert}
    missed = [row for row in truth if row["entry_id"] not in alerts[row["record_key"]]]
    assert not missed
    # the same seed gives the same lists
    again = plant_watchlists([manifest], str(tmp_path / "again"), seed=3, per_variant=4, fillers=600)
    assert open(again["truth"]).read() == open(summary["truth"]).read()
