"""Fixtures for screening tests."""

from __future__ import annotations

import pytest

from pipelines.screening.engine.score import Screener


@pytest.fixture
def screen_one():
    """screen_one(entry, traveller) -> best candidate for that entry or None."""
    def run(entry, person):
        screener = Screener([entry])
        found = [c for c in screener.screen(person, min_score=0.0) if c.entry_id == entry["entry_id"]]
        return found[0] if found else None
    return run
