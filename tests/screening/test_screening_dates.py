"""Date-of-birth disagreement: how much it counts depends on how precise both dates are and on
whether it looks like one keying error (docs/screening.md, "Other fields")."""

import pytest

from pipelines.screening.engine.score import Screener
from pipelines.screening.normalise.dates import DOB_LEVELS, DOB_ORDER, compare_dob, parse_date
from pipelines.screening.engine.settings import default_settings
from screening_helpers import make_entry, traveller


def level(a, b):
    return compare_dob(parse_date(a), parse_date(b))


@pytest.mark.parametrize("a,b,expected", [
    # both full dates, exactly one part differs by a plausible keying error: weak evidence against
    ("1980-05-07", "1980-05-17", "day_or_month_typo"),   # same year and month, different day
    ("1980-05-07", "1980-08-07", "day_or_month_typo"),   # same year and day, different month
    ("1980-05-07", "1981-05-07", "year_typo"),           # same month and day, year off by one
    ("1981-05-07", "1980-05-07", "year_typo"),
    # both full dates, two or more parts differ: two different birthdays
    ("1980-05-07", "1980-08-19", "different_birthday"),  # same year, month and day differ
    ("1980-05-07", "1981-05-19", "different_birthday"),  # year off by one and the day
    ("1980-05-07", "1981-08-07", "different_birthday"),  # year off by one and the month
    ("1980-05-07", "1979-12-24", "different_birthday"),
    # unchanged levels
    ("1980-05-07", "1980-07-05", "day_month_swap"),
    ("1980-05", "1980-07", "month_differs"),             # year-month dates: partial, stays lenient
    ("1980-05", "1980-07-05", "month_differs"),
    ("1981", "1980-07-05", "year_off_by_one"),           # partial date: "circa" year
    ("1981-07", "1980-07-05", "year_off_by_one"),
    ("1981-01-01", "1980-07-05", "year_off_by_one"),     # a 01-01 placeholder is not a full date
    ("1980-01-01", "1980-07-05", "placeholder_agree"),
    ("1980-01-01", "1980-01-05", "placeholder_agree"),
    ("1980", "1980-07-05", "partial_agree"),
    ("1982-05-07", "1980-05-07", "year_off_2_3"),
    ("1982-05-07", "1980-08-19", "year_off_2_3"),
    ("1990-05-07", "1980-05-07", "year_far"),
])
def test_dob_levels_by_precision_and_keying_error(a, b, expected):
    assert level(a, b) == expected
    assert level(b, a) == expected


def test_every_level_has_words_an_order_and_a_value_best_first():
    values = default_settings().dob
    assert set(DOB_ORDER) == set(DOB_LEVELS)
    assert set(values) == set(DOB_LEVELS) - {"missing"}
    ordered = [values[name] for name in DOB_ORDER if name != "missing"]
    assert ordered == sorted(ordered, reverse=True)  # the engine takes the first in this order
    assert values["day_or_month_typo"] == -0.08 and values["year_typo"] == -0.12
    assert values["different_birthday"] == -0.25


def test_identical_name_with_two_different_birthdays_is_a_candidate_not_an_alert(screen_one):
    # the lowest threshold (TERRORISM 0.78) with every other field agreeing
    entry = make_entry(surname="IYER", given="HARPREET", dobs=["2007-12-24"], sex="M", nats=["IND"],
                       category="TERRORISM")
    for dob in ("2007-06-10", "2006-12-10", "2008-11-24"):
        candidate = screen_one(entry, traveller("IYER", "HARPREET", dob=dob, sex="M", nat="IND"))
        assert candidate is not None, dob  # still reviewable: above the floor
        assert 0.50 <= candidate.score < 0.78 and not candidate.alert, candidate.explanation
        assert "different birthdays" in candidate.explanation and "-0.25" in candidate.explanation


@pytest.mark.parametrize("dob", ["1972-03-14", "1970-03-14",  # a one-digit year typo
                                 "1971-03-24", "1971-08-14"])  # a day or a month keyed wrong
def test_one_keying_error_in_a_full_date_still_alerts(dob, screen_one):
    entry = make_entry(surname="KARIMOV", given="RUSTAM", dobs=["1971-03-14"])
    candidate = screen_one(entry, traveller("KARIMOV", "RUSTAM", dob=dob))
    assert candidate is not None and candidate.alert, dob
    assert "one keying error" in candidate.explanation


def test_partial_dates_keep_the_lenient_year_off_by_one(screen_one):
    entry = make_entry(surname="KARIMOV", given="RUSTAM", dobs=["1972"])
    candidate = screen_one(entry, traveller("KARIMOV", "RUSTAM", dob="1971-03-14"))
    assert candidate.alert and "-0.12" in candidate.explanation


def test_best_level_over_several_listed_dates(screen_one):
    entry = make_entry(surname="KARIMOV", given="RUSTAM", dobs=["1971-08-22", "1971-03-15"])
    candidate = screen_one(entry, traveller("KARIMOV", "RUSTAM", dob="1971-03-14"))
    assert candidate.alert and "one keying error" in candidate.explanation


def test_year_window_considers_the_best_level_one_year_apart():
    entries = [make_entry(surname="KARIMOV", given="RUSTAM", dobs=["1971-03-14"])]
    screener = Screener(entries)
    assert screener._year_window(screener.lowest_threshold) == 1  # a year typo still alerts
    # partial-date level harsh, keying-error level lenient: one year apart can still alert
    lenient_typo = default_settings().with_overrides({"comparisons": {"date_of_birth": {"year_off_by_one": -0.5}}})
    screener = Screener(entries, lenient_typo)
    assert screener._year_window(screener.lowest_threshold) == 1
    found = screener.screen(traveller("KARIMOV", "RUSTAM", dob="1972-03-14"), min_score=screener.lowest_threshold)
    assert found and found[0].alert
    # every one-year level harsh: nothing one year apart can reach the cut-off
    harsh = default_settings().with_overrides({"comparisons": {"date_of_birth": {
        "year_off_by_one": -0.5, "year_typo": -0.5, "different_birthday": -0.5}}})
    assert Screener(entries, harsh)._year_window(0.78) == 0
