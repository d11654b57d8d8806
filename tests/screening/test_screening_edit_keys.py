"""One-edit candidate keys (``E`` for rare name tokens, ``X`` for document numbers): each test
fails with the rule switched off."""

from __future__ import annotations

import random

import pytest

from pipelines.screening.engine.compiled.keycodes import deletion_keys, document_keys, neighbourhood
from pipelines.screening.engine.index import CandidateIndex
from pipelines.screening.engine.score import Screener
from pipelines.screening.engine.settings import blocking_settings, load_settings
from pipelines.screening.normalise.names import name_form

from screening_helpers import make_entry, traveller


def _engines(entries, blocking=None, name=None):
    overrides = {}
    if blocking:
        overrides["blocking"] = blocking
    if name:
        overrides["comparisons"] = {"name": name}
    settings = load_settings(overrides=overrides)
    return Screener(entries, settings), Screener(entries, settings, accelerate=False)


def _crowd(n=3000, seed=1):
    """``n`` undated ``MARIA K...`` entries with random rare surnames: the ``MARIA`` + ``K`` key
    with initial is far over its size limit, and nothing else of a traveller's name is shared."""
    rng = random.Random(seed)
    return [make_entry(f"F{i}", surname="K" + "".join(rng.choice("BDFGHLMNPRTV") for _ in range(7)), given="MARIA")
            for i in range(n)]


def test_one_edit_neighbourhood_is_symmetric_delete():
    assert neighbourhood("ABCD") == ("ABCD", "BCD", "ACD", "ABD", "ABC")
    assert set(neighbourhood("KOWALCZYK")) & set(neighbourhood("KOWALSZYK"))  # substitution
    assert set(neighbourhood("KOWALCZYK")) & set(neighbourhood("KOWLACZYK"))  # two letters swapped
    assert set(neighbourhood("KOWALCZYK")) & set(neighbourhood("KOWALCZYKK"))  # insertion
    assert not set(neighbourhood("KOWALCZYK")) & set(neighbourhood("KOWOLSZYK"))  # two edits


@pytest.mark.parametrize("typo", ["KOWALSZYK", "KOWACLZYK", "KOWALZYK", "KOWALCZYRK"])
def test_a_typo_in_a_rare_surname_next_to_a_common_given_name_is_retrieved(typo):
    entries = _crowd() + [make_entry("HIT", surname="KOWALCZYK", given="MARIA")]
    for on in (True, False):
        for screener in _engines(entries, {"deletion_neighbourhood": on}):
            found = [c.entry_id for c in screener.screen(traveller(typo, "MARIA"), min_score=0.5)]
            assert ("HIT" in found) is on, (on, typo)


def test_the_list_keys_only_rare_tokens_and_travellers_every_token():
    rules = blocking_settings()
    listed = name_form("GARCIA", "MARIA XOCHIQUETZAL")
    keys = deletion_keys(listed.tokens, listed.particles, False, rules)
    assert keys and all("GARC" not in k and "MARI" not in k for k in keys)  # common: not keyed
    asked = name_form("GARCIA", "MARIA")
    assert "E|GARCA" in deletion_keys(asked.tokens, asked.particles, True, rules)
    # a listed misspelling of a common surname is rare, so it is keyed, and found
    entries = _crowd() + [make_entry("HIT", surname="RODRIGEZ", given="MARIA")]
    for screener in _engines(entries):
        assert "HIT" in [c.entry_id for c in screener.screen(traveller("RODRIGUEZ", "MARIA"), min_score=0.5)]


@pytest.mark.parametrize("number", ["X12345678", "X1234567", "X123456789", "X12354678", "Y12345678"])
def test_a_document_number_one_edit_away_is_retrieved(number):
    entries = [make_entry("DOC", full="ANNA SCHMIDT", docs=[("X12345678", "DEU")], category="LOST_STOLEN_DOCUMENT")]
    entries += [make_entry(f"O{i}", full=f"OTHER PERSON{i}", docs=[(f"Z{i:08d}", "DEU")]) for i in range(50)]
    for on in (True, False):
        index = CandidateIndex(entries, {"document_one_edit": on})
        found = index.candidates((), [(number, "DEU")])
        assert (0 in found) is (on or number == "X12345678"), (on, number)
    # two edits away, or a short number: not retrieved
    index = CandidateIndex(entries + [make_entry("SHORT", full="B C", docs=[("A1234", "DEU")])], {})
    assert 0 not in index.candidates((), [("X12354687", "DEU")])
    assert document_keys("A1234", True) == ("D|A1234",)


def test_a_one_edit_document_is_retrieved_but_does_not_count_as_the_document():
    entries = [make_entry("HIT", surname="SCHMIDT", given="ANNA", dobs=["1980-02-03"], docs=[("X12345678", "DEU")])]
    for screener in _engines(entries):
        found = screener.screen(traveller("SCHMIDT", "ANNA", dob="1980-02-03", docs=[("X12345978", "DEU")]))
        assert found[0].entry_id == "HIT" and "document" not in found[0].explanation
