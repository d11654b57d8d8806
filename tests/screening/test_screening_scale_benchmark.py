"""The national-scale quality benchmark, scaled down to 100k entries (benchmarks/screening_scale.py
runs it at 10k, 100k and 1M): candidate generation must not lose a planted match that scores
above its threshold when scored directly, whatever the list's size."""

from collections import Counter

import pytest

from pipelines.generate.watchlist_scale import VARIANTS, ScaleWorld
from pipelines.screening.engine.score import Screener
from pipelines.screening.lists.watchlist import traveller_from_api
from pipelines.screening.normalise.dates import parse_date
from pipelines.screening.normalise.names import name_form


@pytest.fixture(scope="module")
def world_and_screener():
    world = ScaleWorld(seed=15, per_variant=12, travellers=3000)
    entries, people = world.entries(100_000)
    return world, entries, people, Screener(entries)


def test_the_list_looks_like_a_national_list(world_and_screener):
    world, entries, _, _ = world_and_screener
    persons = [e for e in entries if e["category"] != "LOST_STOLEN_DOCUMENT"]
    dates = Counter("none" if not e["dates_of_birth"] else "year" if len(e["dates_of_birth"][0]) == 4 else "full"
                    for e in persons)
    assert 0.07 < dates["none"] / len(persons) < 0.13 and 0.12 < dates["year"] / len(persons) < 0.18
    assert 0.03 < (len(entries) - len(persons)) / len(entries) < 0.07
    names = Counter(frozenset((n.get("full_name") or f"{n['given_names']} {n['surname']}").split())
                    for e in persons for n in e["names"][:1])
    assert names.most_common(1)[0][1] >= 20  # namesakes by the dozen at 100k
    assert any(n.get("script") for e in persons for n in e["names"])
    assert sum(1 for e in persons if e["names"][0]["full_name"]) > len(persons) // 10
    # a prefix of the bigger list, with every planted entry in it
    smaller, _ = world.entries(10_000)
    planted = {e["entry_id"] for _, e, _ in world.planted()}
    assert planted <= {e["entry_id"] for e in smaller}
    assert [e for e in smaller if e["entry_id"] not in planted] == \
        [e for e in entries if e["entry_id"] not in planted][:len(smaller) - len(planted)]


def test_no_planted_match_is_lost_by_candidate_generation(world_and_screener):
    world, entries, _, screener = world_and_screener
    position = {e["entry_id"]: p for p, e in enumerate(entries)}
    lost, by_variant = [], Counter()
    planted = world.planted()
    travellers = [traveller_from_api(record) for record, _, _ in planted]
    found = screener.screen_many(travellers, min_score=screener.lowest_threshold)
    for traveller, (_, entry, variant), candidates in zip(travellers, planted, found):
        form = name_form(traveller.surname, traveller.given_names, traveller.full_name)
        direct = screener._score(traveller, form, parse_date(traveller.date_of_birth), traveller.nationality,
                                 position[entry["entry_id"]], 0.0, None)
        alerted = any(c.entry_id == entry["entry_id"] and c.alert for c in candidates)
        by_variant[variant] += alerted
        if direct.score >= direct.threshold and not alerted:
            lost.append((variant, traveller.given_names, traveller.surname, entry["entry_id"]))
    assert not lost
    for variant in ("exact", "document_only", "document_typo"):
        assert by_variant[variant] == world.per_variant
    assert set(by_variant) <= set(VARIANTS)
