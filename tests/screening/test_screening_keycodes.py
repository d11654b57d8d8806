"""Blocking keys made in compiled code (``keycodes``) are exactly the codes of the keys it spells
out (``index.entry_keys`` for the list side, ``CandidateIndex.query_keys`` for travellers), and
the rules make the keys their docstrings promise."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pipelines.screening.engine.index import CandidateIndex, entry_forms, entry_keys
from pipelines.screening.engine.settings import blocking_settings
from pipelines.screening.engine.compiled.keycodes import KeyBatch, _code, _code_py, code_of, is_initial
from pipelines.screening.normalise.names import PARTICLES, NameForm, name_form
from pipelines.generate.synthetic import fake_entries

_WORDS = ["ABDUL", "RAHMAN", "MOHAMMED", "AL", "BIN", "DE", "LA", "CRUZ", "XI", "JIN", "PING", "OSAMA",
          "USAMA", "SMITH", "JOHN", "A", "VAN", "DER", "BERG", "SCHMIDT", "TCHAIKOVSKY", "KIM", "LEE", "AAA",
          "WILLIAM", "BILL", "LAVROVS", "SERGEJS", "KATHERINE", "AHMED", "HH", "JJAMES"]
_WRITTEN = ["巴拉克奥巴马", "Владимир Путин", "DE LA CRUZ MARIA", "MADONNA", "AL ASSAD BASHAR", "محمد بن سلمان",
            "习近平", "김정은", "ヤマダ タロウ", "A B C D E F G H I", "JOSE DE LA CRUZ Y DEL VALLE GARCIA"]


def _random_form(rng: random.Random) -> NameForm:
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 9])
    words = _WORDS + sorted(PARTICLES)[:10]
    tokens = tuple(rng.choice(words) for _ in range(n))
    particles = ()
    if rng.random() < 0.2 and tokens[0] in PARTICLES:
        particles = (False,) + tuple(t in PARTICLES for t in tokens[1:])  # a given-name particle (VAN DUC)
    return NameForm(tokens=tokens, surname=(False,) * (n - 1) + (True,), loose=rng.random() < 0.15,
                    particles=particles)


def _groups(codes: np.ndarray, counts: np.ndarray) -> list[set[int]]:
    ends = np.cumsum(counts)
    return [set(codes[end - count:end].tolist()) for end, count in zip(ends, counts)]


@pytest.mark.parametrize("joined", [True, False])
@pytest.mark.parametrize("pairs", [True, False])
@pytest.mark.parametrize("with_initial", [True, False])
@pytest.mark.parametrize("documents", [True, False])
@pytest.mark.parametrize("edits", [True, False])
def test_list_side_codes_are_the_string_rules(joined, pairs, with_initial, documents, edits):
    rules = blocking_settings({"joined_tokens": joined, "token_pairs": pairs, "key_with_initial": with_initial,
                               "document_number": documents, "document_one_edit": edits,
                               "deletion_neighbourhood": edits})
    rng = random.Random(f"{joined}{pairs}{with_initial}{documents}{edits}")
    batch, expected = KeyBatch(rules, query=False), []
    index = CandidateIndex([], rules)
    for _ in range(300):
        forms = [_random_form(rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        docs = [(f"X{rng.randrange(10 ** rng.choice([3, 6, 8]))}", "USA") for _ in range(rng.choice([0, 0, 1, 2]))]
        batch.add(forms, index.document_codes(docs))
        expected.append(entry_keys(forms, docs, rules))
    codes, counts = batch.codes()
    assert counts.sum() == codes.size
    for got, keys in zip(_groups(codes, counts), expected):
        assert got == {code_of(k) for k in keys}
        assert len(got) == len(keys)  # no two keys share a code


def test_list_side_codes_on_real_names():
    """As the build makes them: entries sharing a written name share its NameForm, gathered once."""
    rules = blocking_settings()
    entries = list(fake_entries(3000, seed=11))
    batch, written = KeyBatch(rules, query=False), {}
    for entry in entries:
        batch.add(entry_forms(entry, written))
    assert len(batch._gathered) < sum(len(entry_forms(e)) for e in entries)  # some spellings shared
    codes, counts = batch.codes()
    for got, entry in zip(_groups(codes, counts), entries):
        assert got == {code_of(k) for k in entry_keys(entry_forms(entry), (), rules)}


@pytest.mark.parametrize("with_initial", [True, False])
def test_query_codes_are_the_string_rules(with_initial):
    rules = blocking_settings({"key_with_initial": with_initial})
    index = CandidateIndex([], rules)
    rng = random.Random(with_initial)
    forms = [_random_form(rng) for _ in range(600)]
    forms += [name_form(None, None, text) for text in _WRITTEN]
    forms += [f for e in fake_entries(1500, seed=12) for f in entry_forms(e)]
    batch = KeyBatch(rules, query=True)
    for form in forms:
        batch.add((form,))
    codes, counts = batch.codes()
    for got, form in zip(_groups(codes, counts), forms):
        keys = index.query_keys((form,), ())
        assert got == {code_of(k) for k in keys}, form.tokens


def test_compiled_mixing_equals_python_mixing():
    rng = random.Random(5)
    edge = [0, 1, -1, 2**63 - 1, -2**63, hash("MHMD"), hash("")]
    values = edge + [rng.randrange(-2**63, 2**63) for _ in range(500)]
    for kind in range(1, 10):
        for a, b in zip(values, reversed(values)):
            assert _code(kind, a, b) == _code_py(kind, a, b)


def test_the_lowest_bit_marks_keys_with_initial():
    keys = ["I|MHMD|A", "I|SMT|J", "P|MHMD|SMT", "S|MDN", "C|BLG", "C|BLG|BM", "W|BLGBM", "D|X123"]
    assert [int(is_initial(code_of(k))) for k in keys] == [1, 1, 0, 0, 0, 0, 0, 0]
    # the unordered kinds do not depend on the order of their parts; I keys do
    assert code_of("P|MHMD|SMT") == code_of("P|SMT|MHMD")
    assert code_of("C|BLG|BM") == code_of("C|BM|BLG")
    assert code_of("I|MHMD|A") != code_of("I|A|MHMD")


@pytest.mark.parametrize("documents", [True, False])
def test_document_codes_are_the_codes_of_the_document_keys(documents):
    index = CandidateIndex([], {"document_number": documents})
    docs = [("X1234567", "USA"), ("", "CAN"), ("AB99", None)]
    assert sorted(index.document_codes(docs)) == sorted(code_of(k) for k in index.query_keys((), docs))
    assert bool(index.document_codes(docs)) == documents


def test_the_key_rules_make_the_keys_they_state():
    """A few keys spelled out by hand from the rules (index docstring), list and traveller side."""
    from pipelines.screening.engine.index import query_keys
    from pipelines.screening.normalise.names import coarse, joined_skeleton, skeleton
    rules = blocking_settings()
    listed = name_form("RAHMAN", "ABDUL")
    keys = entry_keys([listed], [("X1234567", "USA")], rules)
    a, r = skeleton("ABDUL"), skeleton("RAHMAN")
    assert "P|" + "|".join(sorted((a, r))) in keys  # token pair
    assert f"I|{a}|R" in keys and f"I|{r}|A" in keys  # key with the other token's initial
    assert "S|" + joined_skeleton("ABDULRAHMAN") in keys  # the whole name run together
    assert "W|" + coarse("ABDULRAHMAN") in keys  # queried by loose-script travellers only
    assert "D|X1234567" in keys and "X|X123457" in keys  # the document and its one-edit neighbours
    assert not any(k.startswith("C|") for k in keys)  # Latin, two tokens: no coarse keys listed
    asked = query_keys([name_form("SMITH", "BILL")], [], rules)
    assert f"I|{skeleton('WILLIAM')}|S" in asked  # nickname alternatives, query side only
    assert f"I|{skeleton('SMITH')}|I" in asked  # second-letter key (BILL: I)
    assert any(k.startswith("C|") for k in asked) and not any(k.startswith("W|") for k in asked)
    assert not entry_keys([name_form("SMITH", "BILL")], [], blocking_settings({"token_pairs": False})) & \
        {k for k in asked if k.startswith("P|")}


def test_one_part_codes_made_from_their_parts_are_those_of_the_spelled_keys():
    from pipelines.screening.engine.compiled.keycodes import (deletion_codes, deletion_keys, document_key_codes,
                                                              document_keys, kind_codes)
    rules = blocking_settings()
    for number in ("X1234567", "AB99", "123456"):
        for one_edit in (True, False):
            assert document_key_codes(number, one_edit) == tuple(code_of(k) for k in document_keys(number, one_edit))
    form = name_form("KOWALCZYK", "MARIA")
    for query in (True, False):
        assert sorted(deletion_codes(form.tokens, form.particles, query, rules)) == \
            sorted(code_of(k) for k in deletion_keys(form.tokens, form.particles, query, rules))
    assert kind_codes("E", ("ABC", "AB")) == [code_of("E|ABC"), code_of("E|AB")] and kind_codes("X", ()) == []
