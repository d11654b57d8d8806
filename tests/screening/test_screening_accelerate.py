"""The compiled pre-scoring must change no result: the Python engine with and without it agrees
candidate for candidate (entry, score, explanation), on synthetic lists, planted lists and edge
cases; and each compiled stage agrees with the Python method it mirrors."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from pipelines.screening.engine.compiled.lookup import compiled_dob_level as _dob_level
from pipelines.screening.normalise.dates import DOB_ORDER, compare_dob, dob_level
from pipelines.generate.plant import plant_watchlists
from pipelines.screening.engine.score import Screener
from pipelines.screening.engine.settings import load_settings
from pipelines.generate.synthetic import fake_entries, fake_manifests, write_fake_manifests
from pipelines.screening.lists.watchlist import Traveller, read_travellers, read_watchlists, traveller_from_api

from screening_helpers import unfound_planted


def _results(screener: Screener, travellers, min_score):
    return [[(c.entry_id, c.score, c.explanation, c.suppressed_by) for c in found]
            for found in screener.screen_many(travellers, min_score)]


def _travellers(n_manifests: int, per: int, seed: int):
    return [traveller_from_api({"traveller_id": f"{m['message_id']}/{p['person_id']}", "person": p})
            for m in fake_manifests(n_manifests, per, seed=seed) for p in m["persons"]]


def test_date_of_birth_levels_compiled_equal_the_python_ones_on_a_grid_of_dates():
    """One definition (dates.dob_level), compiled by numba for the fast path: the compiled code
    gives the Python level on every pair of a grid, and every level but ``missing`` occurs."""
    parts = [(y, m, d) for y in (1979, 1980, 1981, 1983, 1990) for m in (None, 1, 2, 7, 12)
             for d in (None, 1, 2, 7, 12)]
    dates = [(y, m, None if m is None else d) for y, m, d in parts]
    seen = set()
    for a, b in itertools.product(sorted(set(dates), key=str), repeat=2):
        args = (a[0], a[1] or 0, a[2] or 0, b[0], b[1] or 0, b[2] or 0)
        assert _dob_level(*args) == dob_level(*args), (a, b)
        assert DOB_ORDER[_dob_level(*args)] == compare_dob(a, b), (a, b)
        seen.add(compare_dob(a, b))
    assert seen | {"missing"} == set(DOB_ORDER)


@pytest.mark.parametrize("min_score", ["alert", 0.9, None, 0.0])
def test_same_candidates_with_and_without_the_compiled_pre_scoring(min_score):
    entries = list(fake_entries(8000, seed=5))
    travellers = _travellers(10, 60, seed=6)
    fast, reference = Screener(entries), Screener(entries, accelerate=False)
    cut = fast.lowest_threshold if min_score == "alert" else min_score
    assert _results(fast, travellers, cut) == _results(reference, travellers, cut)
    if cut is not None and cut > 0.5:
        assert fast.names_compared < reference.names_compared  # the pre-scoring did something


def test_same_candidates_on_planted_lists_with_original_scripts_and_documents(tmp_path):
    manifest = write_fake_manifests(str(tmp_path / "m.avro"), 10, 40, seed=8)
    summary = plant_watchlists([manifest], str(tmp_path / "out"), seed=4, per_variant=4, fillers=1500)
    entries = read_watchlists([v["avro"] for v in summary["lists"].values()])
    travellers = list(read_travellers(manifest))
    fast, reference = Screener(entries), Screener(entries, accelerate=False)
    for cut in (fast.lowest_threshold, None):
        assert _results(fast, travellers, cut) == _results(reference, travellers, cut)
    truth = [json.loads(line) for line in open(summary["truth"], encoding="utf-8")]
    assert not unfound_planted(fast, travellers, truth)


def _entry(entry_id, surname, given, dob=None, category="LOOKOUT", documents=(), sex=None, nationalities=()):
    return {"entry_id": entry_id, "list_id": "L", "owner": "USA", "category": category, "severity": "HIGH",
            "names": [{"surname": surname, "given_names": given, "full_name": None, "quality": "GOOD"}],
            "dates_of_birth": [dob] if dob else [], "sex": sex, "nationalities": list(nationalities),
            "documents": [{"type": "P", "number": n, "issuer": i} for n, i in documents]}


def test_documents_are_weighed_even_when_document_keys_are_off():
    entries = [_entry("E1", "OTHERNAME", "SOMEONE", "1970-01-02", documents=[("X1234567", "USA")]),
               _entry("E2", "OTHERNAME", "SOMEONE", "1970-01-02", category="LOST_STOLEN_DOCUMENT",
                      documents=[("X1234567", "USA")]),
               _entry("E3", "SMITH", "JOHN", "1985-05-06", sex="M", nationalities=["USA"])]
    # a different birthday and nationality keep the name alone under any threshold: only the
    # document lifts it, also when document keys are off and the entry is found by its name
    traveller = Traveller("T1", surname="OTHERNAME", given_names="SOMEONE", date_of_birth="1970-05-06", sex="M",
                          nationality="CAN", documents=(("X1234567", "USA"),))
    for document_keys in (True, False):
        settings = load_settings(overrides={"blocking": {"document_number": document_keys}})
        fast, reference = Screener(entries, settings), Screener(entries, settings, accelerate=False)
        for cut in (fast.lowest_threshold, None):
            got = _results(fast, [traveller], cut)
            assert got == _results(reference, [traveller], cut)
            assert {"E1", "E2"} <= {entry_id for entry_id, *_ in got[0]}


def test_travellers_without_a_name_or_a_date_and_an_empty_list():
    entries = list(fake_entries(2000, seed=3))
    travellers = [Traveller("T0"), Traveller("T1", full_name="MARIA GARCIA"),
                  Traveller("T2", surname="GARCIA", date_of_birth="1980"),
                  Traveller("T3", documents=(("L123456789", "MEX"),))]
    fast, reference = Screener(entries), Screener(entries, accelerate=False)
    for cut in (fast.lowest_threshold, None):
        assert _results(fast, travellers, cut) == _results(reference, travellers, cut)
    assert Screener([]).screen_many(travellers) == [[], [], [], []]


def test_the_candidate_cap_keeps_the_entries_sharing_most_keys_then_list_order():
    entries = [_entry(f"E{i}", "GARCIA", "JOSE MARIA" if i % 3 == 0 else "JOSE", "1980-01-02") for i in range(120)]
    screener = Screener(entries)
    from pipelines.screening.normalise.names import name_form
    form = name_form("GARCIA", "JOSE MARIA")
    found = screener.index.candidates((form,), ())
    assert len(found) == screener.index.max_candidates
    shared_most = [i for i in range(120) if i % 3 == 0]
    assert found[:len(shared_most)] == shared_most
    assert found[len(shared_most):] == [i for i in range(120) if i % 3][:len(found) - len(shared_most)]
    assert np.all(np.diff(found[len(shared_most):]) > 0)


def test_the_compiled_look_up_returns_the_python_candidates_from_big_blocks_near_a_birth_year():
    """Big blocks are read in birth-year order (undated entries first, then only the run whose
    years can reach the window, widened by the block's widest span of listed years): the same
    candidates, in the same order, as ``CandidateIndex.candidates`` for every window."""
    import random
    rng = random.Random(3)
    dates = [[], ["1961"], ["1975-03"], ["1960-01-01", "1975-03-04"], ["1939-02-03", "1990-12-12"]]
    entries = []
    for i in range(900):
        dobs = rng.choice(dates) if i % 4 == 0 else [f"{rng.randint(1940, 2005)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"]
        entry = _entry(f"E{i}", rng.choice(["GARCIA", "LOPEZ"]), rng.choice(["JOSE", "JOSE MARIA", "MARIA"]))
        entry["dates_of_birth"] = dobs
        entries.append(entry)
    screener = Screener(entries)
    from pipelines.screening.normalise.dates import parse_date
    from pipelines.screening.normalise.names import name_form
    prepared, expected = [], []
    for i, (surname, given) in enumerate(itertools.product(["GARCIA", "LOPEZ"], ["JOSE", "JOSE MARIA", "MARIA"])):
        for year, window in ((1961, 1), (1975, 0), (1939, 3), (2004, 2), (1990, 40), (1800, 1)):
            traveller = Traveller(f"T{i}-{year}", surname=surname, given_names=given, date_of_birth=str(year))
            form = name_form(surname, given)
            prepared.append((traveller, form, parse_date(str(year)), window))
            expected.append(screener.index.candidates((form,), (), parse_date(str(year)), window,
                                                      screener._dob_adjust, screener._missing_prior(form)))
    # a floor below any score: every candidate of the look-up survives the later stages
    assert screener._accelerator.survivors(prepared, -1.0) == expected
    assert any(len(found) == screener.index.max_candidates for found in expected)


def test_a_traveller_written_in_chinese_or_khmer_finds_the_latin_entry():
    from pipelines.screening.normalise.names import name_form
    entries = [_entry("E1", "OBAMA", "BARACK"), _entry("E2", "POT", "POL"), _entry("E3", "SMITH", "JOHN")]
    for accelerate in (True, False):
        screener = Screener(entries, accelerate=accelerate)
        found = screener.screen_many([Traveller("T1", full_name="贝拉克·奥巴马")], min_score=0.5)
        assert [c.entry_id for c in found[0]] == ["E1"] and found[0][0].score >= 0.8
    # retrieved through the whole name's coarse key (how well it then scores is the comparison's job)
    assert screener.index.candidates((name_form(full_name="ប៉ុល ពត"),)) == [1]
    # a Latin traveller does not query it: JOHN SMITH's coarse run-together is nobody's business
    assert "W|" not in "".join(screener.index.query_keys((name_form("SMITH", "JOHN"),), ()))


def test_first_letter_typos_nicknames_and_given_name_particles_are_found():
    """A typo moving the first letter (second-letter query keys), a nickname sharing few consonants
    with the formal name (scored: there is no consonant pre-check any more), a Vietnamese given name VAN (not a
    particle when it opens the given names), a silent final H, Latvian -S endings (SERGEJS LAVROVS):
    found with and without the compiled
    pre-scoring."""
    entries = [_entry("E1", "MARTIN", "ARCHEL"), _entry("E2", "HARRIS", "BETSY"), _entry("E3", "CHAO", "CRISTOBAL"),
               _entry("E4", "NGUYEN", "VAN"), _entry("E5", "SHA", "KAVITA"), _entry("E6", "LAVROV", "SERGEY VIKTOROVICH")]
    for entry in entries:
        entry["dates_of_birth"] = ["1980-05-06"]
    travellers = [Traveller("T1", surname="MARTIN", given_names="RACHEL", date_of_birth="1980-05-06"),
                  Traveller("T2", surname="HARRIS", given_names="ELIZABETH", date_of_birth="1980-05-06"),
                  Traveller("T3", surname="CHAO", given_names="KIT", date_of_birth="1980-05-06"),
                  Traveller("T4", surname="NGUYEN", given_names="VAN DUC", date_of_birth="1980-05-06"),
                  Traveller("T5", surname="SHAH", given_names="KAVITA", date_of_birth="1980-05-06"),
                  Traveller("T6", surname="LAVROVS", given_names="SERGEJS", date_of_birth="1980-05-06")]
    for accelerate in (True, False):
        screener = Screener(entries, accelerate=accelerate)
        found = screener.screen_many(travellers)
        assert [[c.entry_id for c in cs if c.alert] for cs in found] == [["E1"], ["E2"], ["E3"], ["E4"], ["E5"], ["E6"]]


def test_travellers_names_are_forgotten_between_batches_with_results_unchanged():
    """A long-running worker must not grow its name tables (or its cache of names' key codes)
    with every new traveller: past a bound the travellers' spellings are dropped between batches
    (the list's stay)."""
    entries = list(fake_entries(3000, seed=15))
    travellers = _travellers(6, 50, seed=16)
    fast, reference = Screener(entries), Screener(entries, accelerate=False)
    tables = fast._accelerator.names
    list_forms = len(tables)
    fast._accelerator.MAX_TRAVELLER_FORMS = 20
    fast.index.lookup.MAX_CACHED_NAMES = 30  # the key codes' cache is cleared in every batch too
    batches = [travellers[i:i + 40] for i in range(0, len(travellers), 40)]
    for batch in batches + batches:  # the second round meets forgotten names again
        assert _results(fast, batch, fast.lowest_threshold) == _results(reference, batch, reference.lowest_threshold)
        assert len(tables) <= list_forms + 40 + 20
        assert len(fast.index.lookup._key_cache) <= 40
    assert tables.added_since_mark() > 0
    tables.forget_since_mark()
    assert len(tables) == list_forms and tables.added_since_mark() == 0
