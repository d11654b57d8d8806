"""The record-level content hash used to recognise resent messages and duplicated records."""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st

from pipelines.validation.dedupe import record_content_hash
from sharing_samples import pnr, traveller


def test_same_content_from_another_file_is_the_same_record():
    one = traveller()
    two = dict(copy.deepcopy(one), source_file="resent/again.avro")
    assert record_content_hash("api_traveller", one) == record_content_hash("api_traveller", two)
    p1, p2 = pnr(), dict(pnr(), source_format="edifact", warnings=["UNA terminator guessed"])
    assert record_content_hash("pnr", p1) == record_content_hash("pnr", p2)


def test_any_content_change_or_kind_changes_the_hash():
    one = traveller()
    changed = copy.deepcopy(one)
    changed["person"]["documents"][0]["number"] = "L898902D"
    assert record_content_hash("api_traveller", one) != record_content_hash("api_traveller", changed)
    assert record_content_hash("api_traveller", one) != record_content_hash("pnr", one)
    assert record_content_hash("api_traveller", one).startswith("sha256:")


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(["b", "a", "c", "source_file"]), st.integers(), min_size=1))
def test_key_order_does_not_matter(record):
    reordered = dict(reversed(list(record.items())))
    assert record_content_hash("pnr", record) == record_content_hash("pnr", reordered)
