"""Overview charts: server-side SVG that counts right and escapes what it draws."""

from __future__ import annotations

from xml.etree import ElementTree

from review_factories import NOW, make_flag, sample_flags

from pipelines.review.charts import (flight_summaries, flight_timeline_chart, score_bins, score_histogram,
                                     severity_chart, severity_counts)


def _rows(flags, decided=()):
    return [{"flag": f, "status": "REVIEWED" if f["flag_id"] in decided else "NEW",
             "disposition": {"disposition": "FALSE_POSITIVE"} if f["flag_id"] in decided else None} for f in flags]


def _parse(svg) -> ElementTree.Element:
    return ElementTree.fromstring(str(svg))


def test_severity_counts_split_open_and_decided():
    counts = severity_counts(_rows(sample_flags(), decided={"p3"}))
    assert counts == {"TOP": {"open": 1, "decided": 0}, "HIGH": {"open": 2, "decided": 1},
                      "NORMAL": {"open": 2, "decided": 0}}


def test_severity_chart_is_valid_svg_with_a_title():
    root = _parse(severity_chart(_rows(sample_flags())))
    assert root.get("role") == "img"
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Flags by severity: 6 in all"


def test_flights_are_summarised_soonest_first_with_their_worst_severity():
    flags = sample_flags() + [make_flag("p7", severity="NORMAL", departure_utc="2026-11-23T14:00:00Z",
                                        flight_key="AC0871/2026-11-23")]
    summaries = flight_summaries(_rows(flags))
    assert [s["flight_key"] for s in summaries] == [
        "AC0100/2026-11-23", "AC0873/2026-11-23", "WS0100/2026-11-23", "AC0871/2026-11-23",
        "UA0200/2026-11-24", "XX0001/2026-11-23"]
    ac871 = summaries[3]
    assert ac871["count"] == 2 and ac871["worst"] == "HIGH" and ac871["severities"] == {"HIGH": 1, "NORMAL": 1}
    assert summaries[-1]["departure"] is None


def test_timeline_escapes_data_and_marks_now():
    flags = sample_flags() + [make_flag("x", flight_key="<script>alert(1)</script>")]
    svg = str(flight_timeline_chart(_rows(flags), NOW))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = _parse(svg)
    assert "without a departure time not shown" in root.get("aria-label")
    assert any(el.text == "now" for el in root.iter("{http://www.w3.org/2000/svg}text"))
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 6  # five sample flights with times + the one added


def test_timeline_without_times_says_so():
    svg = str(flight_timeline_chart(_rows([make_flag("x", departure_utc=None)]), NOW))
    assert "No flights with a known departure time" in svg


def test_score_bins_cover_every_score_once():
    flags = [make_flag(str(i), score=s) for i, s in enumerate([0.71, 0.74, 0.75, 0.99, 1.0])]
    bins = score_bins(_rows(flags))
    assert round(bins[0]["low"], 2) == 0.7 and round(bins[-1]["high"], 2) == 1.0
    assert sum(sum(b["counts"].values()) for b in bins) == 5
    assert sum(bins[0]["counts"].values()) == 2
    assert sum(bins[-1]["counts"].values()) == 2


def test_score_histogram_draws_one_rect_per_filled_bin_and_severity():
    flags = [make_flag("a", score=0.9, severity="TOP"), make_flag("b", score=0.91, severity="HIGH"),
             make_flag("c", score=0.72)]
    root = _parse(score_histogram(_rows(flags)))
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 3
    assert "3 flags" in root.get("aria-label")
