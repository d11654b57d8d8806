"""Name forms sanctions-style lists write that were missed at any list size (issue 15, item 5)."""

from __future__ import annotations

import pytest

from pipelines.screening.engine.index import alternates, entry_forms
from pipelines.screening.engine.score import Screener
from pipelines.screening.normalise.names import name_form

from screening_helpers import make_entry, traveller


@pytest.mark.parametrize("listed", [
    {"full": "MOHAMMED KARIM ZADRAN; MUHAMMAD KAREEM ZADRAN"},
    {"full": "ZADRAN MOHAMMED KARIM / ZADRAN MUHAMMAD KAREEM"},
    {"surname": "ZADRAN", "given": "MOHAMMED KARIM/MUHAMMAD KAREEM"},
])
def test_a_name_field_with_alternates_is_several_spellings(listed):
    entry = make_entry("HIT", **listed, dobs=["1971-03-04"])
    forms = {f.tokens for f in entry_forms(entry)}
    assert len(forms) == 2 and all(len(tokens) == 3 for tokens in forms)
    for accelerate in (True, False):
        found = Screener([entry], accelerate=accelerate).screen(
            traveller("ZADRAN", "MUHAMMAD KAREEM", dob="1971-03-04"))
        assert found[0].entry_id == "HIT" and found[0].score >= 0.99


def test_alternates_are_bounded_and_plain_fields_unchanged():
    assert alternates("SMITH", "JOHN", None) == [("SMITH", "JOHN", None)]
    many = alternates("A/B/C/D", "E/F/G/H", None)
    assert len(many) == 8 and many[0] == ("A", "E", None)


@pytest.mark.parametrize("title", ["MAULAVI", "USTAD", "COLONEL", "GENERAL", "HAJI", "MULLAH", "SHEIKH"])
def test_ranks_and_honorifics_in_the_name_field_are_dropped(title):
    assert name_form(None, None, f"{title} ABDUL QAYUM ZAKIR").tokens == name_form(None, None, "ABDUL QAYUM ZAKIR").tokens
