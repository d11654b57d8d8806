"""Index selectivity, common-name handling, syllabic-script keys and the synthetic name pool."""

from collections import Counter

from pipelines.screening.engine.compare import compare_names, token_similarity
from pipelines.screening.normalise.names import coarse, name_form, normalise
from pipelines.screening.engine.score import Screener
from pipelines.screening.engine.settings import load_settings
from pipelines.generate.synthetic import fake_entries

from screening_helpers import make_entry, traveller


def test_coarse_key_folds_what_syllabic_scripts_do_not_tell_apart():
    assert coarse("BARACK") == coarse("BALAKE") == coarse("BEORAK")
    assert coarse("OBAMA") == coarse("AOBAMA")
    assert coarse("BARACK") != coarse("MORALES")


def test_native_chinese_name_is_found_and_scored_against_its_latin_original():
    screener = Screener([make_entry("CN", full="巴拉克奥巴马"), make_entry("OTHER", full="习近平")])
    found = screener.screen(traveller(full="BARACK OBAMA"), min_score=0.0)
    assert [c.entry_id for c in found][:1] == ["CN"]
    assert found[0].score >= 0.8


def test_korean_surname_romanisations_agree():
    for a, b in (("I", "LEE"), ("YI", "LEE"), ("GIM", "KIM"), ("BAK", "PARK"), ("BAG", "PARK")):
        assert token_similarity(a, b)[1] == "phonetic"
    assert compare_names(name_form(full_name="박지성"), name_form("PARK", "JI SEONG")).score >= 0.8


def test_cyrillic_soft_sign_does_not_split_a_name():
    assert normalise("Марчиньский") == "MARCHINSKIY"


def test_big_same_name_block_is_narrowed_by_birth_year_so_the_cap_never_cuts_the_match():
    entries = [make_entry(f"E{i}", surname="GARCIA", given="JOSE", dobs=[f"{1940 + i % 60}-03-0{1 + i % 9}"])
               for i in range(400)]
    entries.append(make_entry("HIT", surname="GARCIA", given="JOSE", dobs=["1977-11-23"]))
    screener = Screener(entries)
    assert len(entries) > screener.index.max_candidates
    found = screener.screen(traveller("GARCIA", "JOSE", dob="1977-11-23"), min_score=screener.lowest_threshold)
    assert "HIT" in [c.entry_id for c in found if c.alert]
    assert all(abs(int(c.entry["dates_of_birth"][0][:4]) - 1977) <= 1 for c in found)


def test_same_name_different_birth_year_does_not_alert():
    screener = Screener([make_entry("E1", surname="KOWALCZYK", given="ZBIGNIEW", dobs=["1950-05-05"])])
    found = screener.screen(traveller("KOWALCZYK", "ZBIGNIEW", dob="1983-02-14"))
    assert not any(c.alert for c in found)


def test_common_name_without_birth_date_does_not_alert_but_with_one_it_does():
    entries = [make_entry("E1", surname="GARCIA", given="JOSE")]
    entries += [make_entry(f"F{i}", surname=f"ZZ{i:03d}QX", given="YB") for i in range(50)]
    screener = Screener(entries)
    alone = screener.screen(traveller("GARCIA", "JOSE", dob="1977-11-23"))
    assert alone and not alone[0].alert and "common name" in alone[0].explanation
    entries[0]["dates_of_birth"] = ["1977-11-23"]
    assert Screener(entries).screen(traveller("GARCIA", "JOSE", dob="1977-11-23"))[0].alert


def test_full_name_carried_by_many_listed_people_needs_corroboration():
    entries = [make_entry(f"E{i}", surname="VEKSELBERG", given="VIKTOR", dobs=[f"19{50 + i}-01-02"]) for i in range(4)]
    entries.append(make_entry("NODOB", surname="VEKSELBERG", given="VIKTOR"))
    screener = Screener(entries)
    found = {c.entry_id: c for c in screener.screen(traveller("VEKSELBERG", "VIKTOR", dob="1990-06-06"))}
    assert "NODOB" in found and not found["NODOB"].alert


def test_explanation_is_built_for_kept_candidates():
    screener = Screener([make_entry("E1", surname="KARIMOV", given="RUSTAM", dobs=["1970-01-02"])])
    found = screener.screen(traveller("KARIMOV", "RUSTAM", dob="1970-01-02"))
    assert found[0].explanation.startswith("name 1.00") and "date_of_birth" in found[0].explanation


def test_synthetic_pool_has_a_long_tail_and_a_realistic_head():
    entries = [e for e in fake_entries(5000, seed=3) if e["names"]]
    surnames = Counter(e["names"][0]["surname"] for e in entries)
    full = Counter((e["names"][0]["given_names"], e["names"][0]["surname"]) for e in entries)
    assert len(surnames) > 1500
    assert surnames.most_common(1)[0][1] / len(entries) < 0.05
    assert full.most_common(1)[0][1] / len(entries) < 0.01


def _namesakes(n, hit_dob, other_dobs):
    """``n`` JOSE GARCIA namesakes (dates from ``other_dobs`` in turn), and the listed person."""
    entries = [make_entry(f"E{i:04d}", surname="GARCIA", given="JOSE", dobs=other_dobs[i % len(other_dobs)])
               for i in range(n)]
    entries.insert(n // 2, make_entry("HIT", surname="GARCIA", given="JOSE", dobs=[hit_dob]))
    return entries


def _both_engines(entries, settings=None):
    from pipelines.screening.engine.settings import load_settings
    settings = load_settings(overrides=settings or {})
    return Screener(entries, settings), Screener(entries, settings, accelerate=False)


def test_the_cap_keeps_the_namesake_born_that_day_whatever_the_list_order():
    # 300 namesakes: undated, year-only the same year, other birthdays that year, other years;
    # at the floor (no birth-year window) every one of them is a candidate: the cap keeps 50
    others = [[], ["1977"], ["1977-02-03"], ["1976-05-05"], ["1990-01-02"], ["1955-07-08"]]
    entries = _namesakes(300, "1977-11-23", others)
    for screener in _both_engines(entries):
        found = screener.screen(traveller("GARCIA", "JOSE", dob="1977-11-23"))
        assert found[0].entry_id == "HIT" and found[0].alert
        assert screener.lookup_stats["lookups_capped"] == 1
        assert screener.lookup_stats["candidates_cut"] == 301 - screener.index.max_candidates
        # the least likely went: namesakes born years away
        kept = {tuple(c.entry["dates_of_birth"]) for c in screener.screen(traveller("GARCIA", "JOSE", dob="1977-11-23"))}
        assert ("1955-07-08",) not in kept and ("1977",) in kept


def test_a_block_over_its_size_limit_is_narrowed_by_birth_year_not_dropped():
    others = [[]] + [[f"{1940 + i}-03-04"] for i in range(60)]
    entries = _namesakes(600, "1977-11-23", others)
    fast, reference = _both_engines(entries, {"blocking": {"max_block_size": 40, "max_initial_block_size": 40}})
    for cut in (None, fast.lowest_threshold):
        results = []
        for screener in (fast, reference):
            found = screener.screen(traveller("GARCIA", "JOSE", dob="1977-11-23"), min_score=cut)
            assert "HIT" in [c.entry_id for c in found if c.alert]
            # the undated namesakes (one in 61) are too many for the limit: only the dated ones
            # within a year are read
            assert all(c.entry["dates_of_birth"] and abs(int(c.entry["dates_of_birth"][0][:4]) - 1977) <= 1
                       for c in found)
            assert screener.lookup_stats["blocks_narrowed"] > 0
            results.append([(c.entry_id, c.score, c.explanation) for c in found])
        assert results[0] == results[1]
    # without a birth year nothing can split the block: it is skipped, and counted
    for screener in (fast, reference):
        assert screener.screen(traveller("GARCIA", "JOSE")) == []
        assert screener.lookup_stats["blocks_skipped"] > 0


def test_a_common_name_needs_a_full_date_whatever_the_size_of_the_list():
    from pipelines.screening.normalise.name_frequency import population_share
    assert population_share("JOHNSON") > population_share("LESPEZ") == 0.0
    entries = [make_entry("YEAR", surname="JOHNSON", given="JAMES", dobs=["1987"]),
               make_entry("FULL", surname="JOHNSON", given="JAMES", dobs=["1987-04-24"]),
               make_entry("RARE", surname="XOCHIQUETZAL", given="ITZEL", dobs=["1987"])]
    # thousands of JAMES JOHNSONs are born in 1987: the year agreeing does not single the
    # traveller out, on a three-entry list as on a national one; the full date does
    for screener in _both_engines(entries):
        found = {c.entry_id: c for c in screener.screen(traveller("JOHNSON", "JAMES", dob="1987-04-24"))}
        assert found["FULL"].alert and not found["YEAR"].alert and found["YEAR"].score == 0.77
        explanation = found["YEAR"].explanation
        assert "common name (about" in explanation and "with a date of birth agreeing this well" in explanation
        assert "date of birth agrees only partly" in explanation
        rare = screener.screen(traveller("XOCHIQUETZAL", "ITZEL", dob="1987-04-24"))
        assert rare[0].entry_id == "RARE" and rare[0].alert
    # the bar is a setting: as many people as JAMES JOHNSONs born in a year, and the year alerts
    loose = Screener(entries, load_settings(overrides={"comparisons": {"name": {"weak_evidence_people": 1e9}}}))
    assert {c.entry_id: c for c in loose.screen(traveller("JOHNSON", "JAMES", dob="1987-04-24"))}["YEAR"].alert


def test_a_day_month_swap_of_a_common_name_is_weak_evidence():
    # one other date of the year agrees as often by chance as the same date: JAMES JOHNSON has
    # a dozen namesakes born on it; a rare name with the swapped date still alerts
    entries = [make_entry("SWAP", surname="JOHNSON", given="JAMES", dobs=["1987-04-12"]),
               make_entry("RARE", surname="XOCHIQUETZAL", given="ITZEL", dobs=["1987-04-12"])]
    for screener in _both_engines(entries):
        found = {c.entry_id: c for c in screener.screen(traveller("JOHNSON", "JAMES", dob="1987-12-04"))}
        assert not found["SWAP"].alert and "day and month swapped" in found["SWAP"].explanation
        rare = screener.screen(traveller("XOCHIQUETZAL", "ITZEL", dob="1987-12-04"))
        assert rare[0].entry_id == "RARE" and rare[0].alert


def test_a_nationality_that_differs_counts_namesakes_several_times():
    # 4 of 40 listed people carry the name, on a travelling population of 1,000: 100 namesakes,
    # 2 born in the year (< 4): the year-only entry alerts. A listed person rarely travels on
    # another nationality's passport, a namesake often does: with the nationality differing the
    # namesakes count 5 times (10 >= 4), a reviewable candidate
    rare = ("QUOBLANTEZ", "ZYRNAVEL")
    entries = [make_entry(f"D{i}", surname=rare[0], given=rare[1], dobs=[f"{1930 + 2 * i}-05-06"]) for i in range(3)]
    entries.append(make_entry("YEAR", surname=rare[0], given=rare[1], dobs=["1987"], nats=["FRA"]))
    entries += [make_entry(f"F{i}", full=f"FILLER{i} PERSON{i}") for i in range(36)]
    for screener in _both_engines(entries, {"comparisons": {"name": {"travelling_population": 1000}}}):
        agree = {c.entry_id: c for c in screener.screen(traveller(*rare, dob="1987-04-24", nat="FRA"))}
        assert agree["YEAR"].alert
        differ = {c.entry_id: c for c in screener.screen(traveller(*rare, dob="1987-04-24", nat="DEU"))}
        assert not differ["YEAR"].alert and differ["YEAR"].score == 0.77
        assert "counted 5 times as many as the nationality differs" in differ["YEAR"].explanation


def test_an_undated_name_several_listed_people_carry_does_not_alert_alone():
    # three different people (other dates) carry the name: on a list of this size that stands for
    # many travellers, whatever a population table says of its parts
    rare = ("QUOBLANTEZ", "ZYRNAVEL")
    entries = [make_entry(f"D{i}", surname=rare[0], given=rare[1], dobs=[f"19{50 + i}-01-02"]) for i in range(3)]
    entries.append(make_entry("NODOB", surname=rare[0], given=rare[1]))
    entries += [make_entry(f"F{i}", full=f"FILLER{i} PERSON{i}") for i in range(40)]
    # the older rule (a name on a share of the list's people) set so that it cannot fire here
    older_off = {"common_full_name_share": 0.5}
    for screener in _both_engines(entries, {"comparisons": {"name": older_off}}):
        found = {c.entry_id: c for c in screener.screen(traveller(*rare))}
        assert not found["NODOB"].alert and "common name (about" in found["NODOB"].explanation
    # one listed person with the name: it still alerts without a date
    alone = [e for e in entries if not e["entry_id"].startswith("D")]
    for screener in _both_engines(alone, {"comparisons": {"name": older_off}}):
        assert {c.entry_id: c for c in screener.screen(traveller(*rare))}["NODOB"].alert


def test_a_weak_date_counts_by_how_often_namesakes_reach_it_by_chance():
    # every listed person carries the name, on a travelling population of 1,000: 1,000 namesakes,
    # 20 of them born in the year (>= 4), 2.3 with a full date one keying error away (< 4)
    rare = ("QUOBLANTEZ", "ZYRNAVEL")
    entries = [make_entry(f"D{i}", surname=rare[0], given=rare[1], dobs=[f"{1930 + 2 * i}-05-06"]) for i in range(10)]
    entries += [make_entry("YEAR", surname=rare[0], given=rare[1], dobs=["1991"]),
                make_entry("TYPO", surname=rare[0], given=rare[1], dobs=["1991-07-08"])]
    small_world = {"comparisons": {"name": {"travelling_population": 1000}}}
    for screener in _both_engines(entries, small_world):
        found = {c.entry_id: c for c in screener.screen(traveller(*rare, dob="1991-07-18"))}
        assert not found["YEAR"].alert and "agrees only partly" in found["YEAR"].explanation
        assert "about 20 of them with a date of birth agreeing this well" in found["YEAR"].explanation
        assert found["TYPO"].alert
    # a bar of 30 people: the year alerts too
    wide = {"comparisons": {"name": {"travelling_population": 1000, "weak_evidence_people": 30}}}
    for screener in _both_engines(entries, wide):
        assert {c.entry_id: c for c in screener.screen(traveller(*rare, dob="1991-07-18"))}["YEAR"].alert


def test_a_rare_spelling_of_a_common_sound_is_not_a_rare_part():
    # MOSMIN is carried by one listed person, but 60 carry MOZMAN/MASMAN/MESMEN, spellings of its
    # sound (more than common_sound_people, set to 50 here); GUADALUPE is common on the list
    entries = [make_entry("HIT", surname="MOSMIN", given="GUADALUPE")]
    entries += [make_entry(f"S{i}", surname=["MOZMAN", "MASMAN", "MESMEN"][i % 3], given="GUADALUPE",
                           dobs=[f"19{40 + i}-01-02"]) for i in range(60)]
    entries += [make_entry(f"F{i}", full=f"FILLER{i} PERSON{i}") for i in range(40)]
    # (the namesake estimate of near undated names, which also counts sounds, off: this is the
    # name-only rule's own test)
    settings = {"rare_token_min": 3, "rare_token_share": 0.0, "common_sound_is_not_rare": True, "common_sound_people": 50,
                "near_undated_by_namesakes": False}
    for screener in _both_engines(entries, {"comparisons": {"name": settings}}):
        found = {c.entry_id: c for c in screener.screen(traveller("MEZMIN", "MARIA GUADALUPE"))}
        assert not found["HIT"].alert and "only by sound" in found["HIT"].explanation
    # on by default; off, the rare spelling alerts without a date
    off = load_settings(overrides={"comparisons": {"name": dict(settings, common_sound_is_not_rare=False)}})
    assert {c.entry_id: c for c in Screener(entries, off).screen(traveller("MEZMIN", "MARIA GUADALUPE"))}["HIT"].alert
    for screener in _both_engines(entries, {"comparisons": {"name": settings}}):
        found = {c.entry_id: c for c in screener.screen(traveller("MOSMIN", "MARIA GUADALUPE"))}
        assert found["HIT"].alert


def test_an_undated_name_whose_part_many_listed_people_carry_does_not_alert_alone():
    # MARY is a common given name and 40 listed people carry ROMILAX: a traveller named MARY
    # ROMILAX meets a listed namesake who is someone else about 40 x 0.03 times; the population
    # table knows neither part's rarity (ROMILAX is in no table)
    entries = [make_entry(f"R{i}", surname="ROMILAX", given=g, dobs=[f"19{40 + i}-03-04"])
               for i, g in enumerate(["ANNA", "PETER", "JOHN", "LUCIA", "OMAR"] * 8)]
    entries.append(make_entry("NODOB", surname="ROMILAX", given="MARY"))
    entries += [make_entry(f"F{i}", full=f"FILLER{i} PERSON{i}") for i in range(40)]
    for screener in _both_engines(entries):
        found = {c.entry_id: c for c in screener.screen(traveller("ROMILAX", "MARY"))}
        assert not found["NODOB"].alert and found["NODOB"].score <= 0.77
        assert "common name (about" in found["NODOB"].explanation
    # a surname one listed person carries: the identical name still alerts without a date
    alone = [e for e in entries if not e["entry_id"].startswith("R")]
    for screener in _both_engines(alone):
        assert {c.entry_id: c for c in screener.screen(traveller("ROMILAX", "MARY"))}["NODOB"].alert


def test_given_names_that_go_together_do_not_make_a_name_rare():
    # JOSE LUIS MORENO: the product of all three parts' shares would make it rare (~50 people);
    # given names go together, so only the two rarest parts count (thousands)
    entries = [make_entry("NODOB", surname="MORENO", given="JOSE LUIS")]
    for screener in _both_engines(entries):
        found = screener.screen(traveller("MORENO", "JOSE LUIS"))
        assert found and not found[0].alert and "common name (about" in found[0].explanation


def test_a_name_in_another_script_is_judged_by_the_travellers_spelling():
    # a Devanagari entry without a date: its tokens are consonant spellings (RY, MHT) whose list
    # counts say nothing; the traveller's RIYA and MEHTA are carried by 60 listed people each
    # (other people: NEHA MEHTA, RIYA SHARMA)
    hit = make_entry("DEVA", full="रिया मेहता")
    crowd = [make_entry(f"M{i}", surname="MEHTA", given="NEHA", dobs=[f"19{30 + i}-01-02"]) for i in range(60)]
    crowd += [make_entry(f"S{i}", surname="SHARMA", given="RIYA", dobs=[f"19{30 + i}-01-02"]) for i in range(60)]
    for screener in _both_engines([hit] + crowd):
        found = {c.entry_id: c for c in screener.screen(traveller("MEHTA", "RIYA"), min_score=0.5)}
        assert not found["DEVA"].alert and "common" in found["DEVA"].explanation
        assert screener._loose_name_only(compare_names(name_form("MEHTA", "RIYA"), name_form(None, None, "रिया मेहता")))
    for screener in _both_engines([hit]):
        assert {c.entry_id: c for c in screener.screen(traveller("MEHTA", "RIYA"), min_score=0.5)}["DEVA"].alert


def test_an_undated_near_name_counts_every_listed_spelling_of_its_sound():
    # ANA MARIA LEZNO vs ANA MARIA LOSANNO (no date): LOSANNO is carried by one listed person,
    # but 30 carry LASAN, LOSEN, LUSANO, LEZANO, spellings of the same sound (fewer than
    # common_sound_people, so the name-only rule still calls the part rare): counted by its
    # sound the near name has many namesakes, a reviewable candidate. A sound no other listed
    # person spells: the near name alerts without a date, as before
    entries = [make_entry("NODOB", surname="LOSANNO", given="ANA MARIA")]
    sounds = [make_entry(f"S{i}", surname=["LASAN", "LOSEN", "LUSANO", "LEZANO"][i % 4], given=f"PERSON{i}",
                         dobs=[f"19{40 + i}-01-02"]) for i in range(30)]
    fillers = [make_entry(f"F{i}", full=f"FILLER{i} PERSON{i}") for i in range(40)]
    # (a list this short stands for the population only with population_sample_min_entries lowered)
    broad = {"population_sample_min_entries": 1}
    for screener in _both_engines(entries + sounds + fillers, {"comparisons": {"name": broad}}):
        found = {c.entry_id: c for c in screener.screen(traveller("LEZNO", "ANA MARIA"))}
        assert not found["NODOB"].alert and "common name (about" in found["NODOB"].explanation
    for screener in _both_engines(entries + fillers, {"comparisons": {"name": broad}}):
        assert {c.entry_id: c for c in screener.screen(traveller("LEZNO", "ANA MARIA"))}["NODOB"].alert
    # the rule is a setting; and on a short list (the default bar) its counts say nothing
    for off in (dict(broad, near_part_by_sound=False), {}):
        for screener in _both_engines(entries + sounds + fillers, {"comparisons": {"name": off}}):
            assert {c.entry_id: c for c in screener.screen(traveller("LEZNO", "ANA MARIA"))}["NODOB"].alert


def test_a_near_common_name_with_the_same_date_and_another_nationality_is_reviewed():
    # JAMES ROBERT JOHNSON listed as British, born 1987-04-24: a traveller JAMES JOHNSON born
    # that day alerts on a US passport only if the list says US (or nothing); ~340,000 JAMES
    # JOHNSONs, ~19 born that day, 5 times as many with the nationality contradicting: a
    # reviewable candidate. The identical name with the same date still alerts
    entries = [make_entry("NEAR", surname="JOHNSON", given="JAMES ROBERT", dobs=["1987-04-24"], nats=["GBR"]),
               make_entry("SAME", surname="JOHNSON", given="JAMES", dobs=["1987-04-24"], nats=["GBR"])]
    for screener in _both_engines(entries):
        found = {c.entry_id: c for c in screener.screen(traveller("JOHNSON", "JAMES", dob="1987-04-24", nat="USA"))}
        assert not found["NEAR"].alert and "a nationality that differs" in found["NEAR"].explanation
        assert found["SAME"].alert
        agree = {c.entry_id: c for c in screener.screen(traveller("JOHNSON", "JAMES", dob="1987-04-24", nat="GBR"))}
        assert agree["NEAR"].alert


def test_name_parts_of_one_culture_go_together():
    from pipelines.screening.normalise.name_frequency import joint_share, population_profile, population_share

    def part(token):
        return population_share(token), population_profile(token)
    # RAHUL and SHARMA are both South Asian names: people carrying both are that culture's share
    # times each part's share within it, many times the product of their shares of everyone
    product = population_share("RAHUL") * population_share("SHARMA")
    assert joint_share([part("RAHUL"), part("SHARMA")]) > 5 * product
    # names of two cultures are carried too: never less than the product
    assert joint_share([part("RAHUL"), part("TREMBLAY")]) == population_share("RAHUL") * population_share("TREMBLAY")
    # a part no table knows counts independently; an estimate above a part's table share keeps its
    # spread over cultures
    assert joint_share([part("RAHUL"), (1e-5, {})]) == population_share("RAHUL") * 1e-5
    doubled = joint_share([(2 * population_share("RAHUL"), population_profile("RAHUL")), part("SHARMA")])
    assert abs(doubled - 2 * joint_share([part("RAHUL"), part("SHARMA")])) < 1e-12


def test_a_weak_date_of_a_name_common_in_one_culture_is_reviewed_at_any_list_size():
    # RAHUL SHARMA with the birth year keyed wrong: the product of the parts' shares of everyone
    # made it rare enough to alert on a short list (while a national list's own counts showed
    # it common); within its culture it is common, on every list. A name of two cultures
    # with the same date still alerts.
    entries = [make_entry("TYPO", surname="SHARMA", given="RAHUL", dobs=["1981-07-08"]),
               make_entry("MIXED", surname="TREMBLAY", given="RAHUL", dobs=["1981-07-08"])]
    for screener in _both_engines(entries):
        found = {c.entry_id: c for c in screener.screen(traveller("SHARMA", "RAHUL", dob="1980-07-08"))}
        assert not found["TYPO"].alert and found["TYPO"].score == 0.77
        mixed = {c.entry_id: c for c in screener.screen(traveller("TREMBLAY", "RAHUL", dob="1980-07-08"))}
        assert mixed["MIXED"].alert


def test_the_tables_coverage_of_the_lists_names_is_measured_on_the_list():
    from pipelines.screening.normalise.name_frequency import population_share
    # half the listed people carry a surname the population table lists (SMITH), half one it does
    # not: the table's shares are of the people whose names it lists, so they count half
    def entries(n):
        return [make_entry(f"E{i}", surname="SMITH" if i % 2 else "QUVIRANTEL" + "ABCDEFGHIJ"[i % 10] * (1 + i % 7),
                           given="JOHN", dobs=["1970-01-01"]) for i in range(n)]
    surname, given = Screener(entries(1200))._table_coverage()
    assert abs(surname - 0.5) < 0.01 and given == 1.0
    assert Screener(entries(1200))._table_share("SMITH") < 0.51 * population_share("SMITH")
    # too few names to measure (a short list of cases): the table counts as covering everyone
    assert Screener(entries(900))._table_coverage() == (1.0, 1.0)


def test_a_part_the_table_knows_counts_as_common_on_a_big_list_as_on_a_small_one():
    # on a list broad enough for its counts to stand for the population, SHARMA carried by many
    # listed people used to replace the table's share (the larger of the two): the same name
    # then counted as commoner on a big list. A part the table knows keeps the table's share.
    import re
    broad = {"comparisons": {"name": {"population_sample_min_entries": 10}}}

    def namesakes(sharmas):
        entries = [make_entry("TYPO", surname="SHARMA", given="RAHUL", dobs=["1981-07-08"])]
        entries += [make_entry(f"S{i}", surname="SHARMA", given=g, dobs=[f"19{40 + i % 50}-01-0{1 + i % 9}"])
                    for i, g in zip(range(sharmas), ["ANIL", "SUNITA", "VIKRAM", "PRIYA"] * 100)]
        entries += [make_entry(f"F{i}", full=f"FILLER{i} PERSON{i}") for i in range(40)]
        found = {c.entry_id: c for c in Screener(entries, load_settings(overrides=broad)).screen(
            traveller("SHARMA", "RAHUL", dob="1980-07-08"))}
        return re.search(r"about ([\d,]+) people expected", found["TYPO"].explanation).group(1)
    assert namesakes(2) == namesakes(200)
