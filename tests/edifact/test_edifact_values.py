"""Date centuries, flight splitting and code normalisation."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.io.edifact import values

DEPARTURE = dt.date(2026, 3, 1)


@pytest.mark.parametrize("raw,expected", [
    ("780706", "1978-07-06"), ("250101", "2025-01-01"), ("260302", "1926-03-02"), ("260301", "2026-03-01"),
    ("000520", "2000-05-20"), ("19780706", "1978-07-06"), ("991399", "1999-13-99"), ("7807", "7807"), (" ", None),
])
def test_birth_dates_take_the_past_century_within_120_years(raw, expected):
    assert values.yymmdd(raw, DEPARTURE, "past") == expected


@pytest.mark.parametrize("raw,expected", [("300101", "2030-01-01"), ("900101", "1990-01-01"), ("610218", "2061-02-18")])
def test_expiry_dates_take_the_nearest_century(raw, expected):
    assert values.yymmdd(raw, DEPARTURE, "nearest") == expected


def test_ssr_dates():
    assert values.ddmmmyy("12JUL64", DEPARTURE, "past") == "1964-07-12"
    assert values.ddmmmyy("10AUG11", DEPARTURE, "past") == "2011-08-10"
    assert values.ddmmmyy("23AUG29", DEPARTURE, "nearest") == "2029-08-23"
    assert values.ddmmmyy("12XYZ64", DEPARTURE, "past") == "12XYZ64"


@pytest.mark.parametrize("raw,hint,expected", [
    ("UA0989", "UA", ("UA", "0989")), ("UA0989", None, ("UA", "0989")), ("LA532", None, ("LA", "532")),
    ("9W123", None, ("9W", "123")), ("DLH400", None, ("DLH", "400")), ("0871", "AC", ("AC", "0871")),
    ("AC 871A", None, ("AC", "871A")), ("324", "DL", ("DL", "324")), ("", "DL", ("DL", None)),
])
def test_split_flight(raw, hint, expected):
    assert values.split_flight(raw, hint) == expected


def test_countries_become_alpha3_and_specials_stay():
    assert values.country("GB") == "GBR" and values.country("kr") == "KOR"
    assert values.country("D") == "D" and values.country("XXA") == "XXA" and values.country("") is None


def test_dtm_formats():
    assert values.dtm_value("2611231930", "201") == "2026-11-23T19:30"
    assert values.dtm_value("202611231930", "203") == "2026-11-23T19:30"
    assert values.dtm_value("26112319", None) == "2611-23-19"  # CCYYMMDD by length: kept visibly odd
