"""The detail view: traveller beside the entry, withheld fields, explanation lines."""

from __future__ import annotations

from review_factories import make_entry, make_flag

from pipelines.review.flag_view import (WITHHELD, cleared_identity, explanation_lines, format_entry_name,
                                        side_by_side, traveller_label)


def _rows(flag, entry=None):
    return {row["label"]: row for row in side_by_side(flag, entry)}


def test_traveller_and_entry_side_by_side():
    rows = _rows(make_flag("f1"), make_entry())
    assert rows["Name"]["traveller"] == ["DOE, JOHN"]
    assert rows["Name"]["entry"] == ["DOE, JON", "DOE, JOHN (alias, weak)"]
    assert rows["Name"]["agreement"] == "same"
    assert rows["Date of birth"] == {"label": "Date of birth", "traveller": ["1980-02-29"], "entry": ["1980"],
                                     "agreement": "consistent"}
    assert rows["Nationality"]["agreement"] == "different"
    assert rows["Sex"]["agreement"] == "same"
    assert rows["Document"]["traveller"] == ["P AB123456 (CAN)"]
    assert rows["Document"]["entry"] == ["P X9999999 (USA)"]
    assert rows["Document"]["agreement"] == "different"


def test_document_numbers_compare_without_punctuation():
    entry = make_entry(documents=[{"type": "P", "number": "ab-123 456", "issuer": "CAN"}])
    assert _rows(make_flag("f1"), entry)["Document"]["agreement"] == "same"


def test_fields_the_unit_may_not_see_read_withheld():
    flag = make_flag("f1", disclosed_fields=["surname", "given_names"],
                     traveller={"date_of_birth": None, "nationality": None, "sex": None, "document_type": None,
                                "document_number": None, "document_issuing_state": None})
    rows = _rows(flag, make_entry())
    assert rows["Date of birth"]["traveller"] == [WITHHELD]
    assert rows["Date of birth"]["agreement"] == ""
    assert rows["Document"]["traveller"] == [WITHHELD]
    assert rows["Name"]["traveller"] == ["DOE, JOHN"]


def test_without_the_entry_the_traveller_still_shows():
    rows = _rows(make_flag("f1"))
    assert rows["Name"]["entry"] == [] and rows["Name"]["agreement"] == ""
    assert rows["Name"]["traveller"] == ["DOE, JOHN"]


def test_explanation_is_one_line_per_field():
    assert explanation_lines(make_flag("f1")) == [
        "name: DOE JOHN vs DOE JON: 0.93 (Jaro-Winkler)", "date_of_birth: 1980-02-29 vs 1980: year agrees"]
    assert explanation_lines(make_flag("f1", explanation="")) == []


def test_labels_and_cleared_identity():
    assert traveller_label(make_flag("f1")) == "DOE, JOHN"
    assert traveller_label(make_flag("f1", traveller={"surname": None, "given_names": None})) == "(name withheld)"
    assert format_entry_name({"full_name": "Ivan Petrov", "kind": "PRIMARY"}) == "Ivan Petrov"
    identity = cleared_identity(make_flag("f1"))
    assert identity["document_issuer"] == "CAN" and identity["entry_id"] == "E1"
