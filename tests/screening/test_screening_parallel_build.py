"""``index.parallel_build``: the blocking arrays made in a forked process are the ones a build in
one process makes, so the candidates are too."""

import multiprocessing

import numpy as np
import pytest

from pipelines.generate.watchlist_scale import ScaleWorld
from pipelines.screening.engine.index import CandidateIndex, parallel_build
from pipelines.screening.engine.score import Screener
from pipelines.screening.lists.watchlist import traveller_from_api

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


@pytest.fixture(scope="module")
def world_and_entries():
    world = ScaleWorld(seed=3, per_variant=4, travellers=300)
    entries, _ = world.entries(4000)
    return world, entries


def test_arrays_made_aside_are_the_arrays_made_here(world_and_entries):
    _, entries = world_and_entries
    here = CandidateIndex(entries)
    with parallel_build(min_entries=1):
        aside = CandidateIndex(entries)
        assert aside._pending is not None  # made in the other process while this one went on
    assert aside._pending is None  # waited for on leaving the block
    for mine, theirs in zip(here.blocks(), aside.blocks()):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
        assert not theirs.flags.writeable


def test_a_parallel_build_screens_as_a_build_in_one_process(world_and_entries):
    world, entries = world_and_entries
    travellers = [traveller_from_api(r) for r, _, _ in world.ordinary_travellers()[:300]] + \
        [traveller_from_api(r) for r, _, _ in world.planted()]
    here = Screener(entries)
    with parallel_build(min_entries=1):
        aside = Screener(entries)
    for min_score in (0.5, here.lowest_threshold):
        mine = here.screen_many(travellers, min_score=min_score)
        theirs = aside.screen_many(travellers, min_score=min_score)
        assert [[(c.entry_id, c.score, c.explanation) for c in found] for found in mine] == \
            [[(c.entry_id, c.score, c.explanation) for c in found] for found in theirs]
    assert here.lookup_stats == aside.lookup_stats


def test_small_lists_are_built_in_one_process(world_and_entries):
    _, entries = world_and_entries
    with parallel_build():  # 50,000 entries at least by default
        index = CandidateIndex(entries)
        assert index._pending is None
