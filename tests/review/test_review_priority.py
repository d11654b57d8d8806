"""Priority order: severity, then time to departure (upcoming, departed, unknown), then score."""

from __future__ import annotations

import random
from datetime import timedelta

from review_factories import NOW, make_flag, sample_flags

from pipelines.review.priority import (describe_time_to_departure, parse_utc, prioritise, priority_key,
                                       severity_rank)


def test_sample_flags_come_out_in_review_order():
    ordered = prioritise(sample_flags(), NOW)
    assert [flag["flag_id"] for flag in ordered] == ["p1", "p2", "p3", "p4", "p5", "p6"]


def test_order_does_not_depend_on_input_order():
    flags = sample_flags()
    expected = [flag["flag_id"] for flag in prioritise(flags, NOW)]
    for seed in range(5):
        random.Random(seed).shuffle(flags)
        assert [flag["flag_id"] for flag in prioritise(flags, NOW)] == expected


def test_severity_beats_departure_time():
    later_top = make_flag("a", severity="TOP", departure_utc="2026-11-30T00:00:00Z")
    sooner_normal = make_flag("b", severity="NORMAL", departure_utc="2026-11-23T12:05:00Z")
    assert [f["flag_id"] for f in prioritise([sooner_normal, later_top], NOW)] == ["a", "b"]


def test_same_severity_and_departure_puts_higher_score_first():
    low = make_flag("a", score=0.81)
    high = make_flag("b", score=0.97)
    assert [f["flag_id"] for f in prioritise([low, high], NOW)] == ["b", "a"]


def test_departed_flights_follow_upcoming_ones_most_recent_first():
    long_gone = make_flag("gone", departure_utc="2026-11-22T12:00:00Z")
    just_gone = make_flag("just", departure_utc="2026-11-23T11:50:00Z")
    upcoming = make_flag("soon", departure_utc="2026-11-23T18:00:00Z")
    assert [f["flag_id"] for f in prioritise([long_gone, just_gone, upcoming], NOW)] == ["soon", "just", "gone"]


def test_unknown_severity_sorts_last():
    assert severity_rank("top") == 0
    assert severity_rank("WHATEVER") > severity_rank("NORMAL")


def test_prioritise_finds_the_flag_inside_rows():
    rows = [{"flag": flag} for flag in sample_flags()]
    ordered = prioritise(rows, NOW, flag_of=lambda row: row["flag"])
    assert ordered[0]["flag"]["flag_id"] == "p1"


def test_times_without_offset_are_read_as_utc_and_garbage_as_unknown():
    assert parse_utc("2026-11-23T12:00:00") == NOW
    assert parse_utc("2026-11-23T07:00:00-05:00") == NOW
    assert parse_utc("2026-11-23T12:00:00Z") == NOW
    assert parse_utc("not a time") is None
    assert priority_key(make_flag("x", departure_utc="soon"), NOW)[1] == 2


def test_time_to_departure_reads_like_a_person_would_say_it():
    assert describe_time_to_departure(make_flag("a", departure_utc="2026-11-23T14:05:00Z"), NOW) == "in 2 h 05 min"
    assert describe_time_to_departure(make_flag("b", departure_utc="2026-11-23T11:20:00Z"), NOW) == "departed 40 min ago"
    assert describe_time_to_departure(make_flag("c", departure_utc=None), NOW) == "unknown"
    later = (NOW + timedelta(days=2, hours=3)).isoformat()
    assert describe_time_to_departure(make_flag("d", departure_utc=later), NOW) == "in 2 d 3 h"
