"""Overview charts drawn server-side as SVG: nothing to download, works with no internet.

Three pictures an analyst can take in at a glance:

- ``severity_chart``: how many flags of each severity, open and decided.
- ``flight_timeline_chart``: each flight with flags placed at its departure time, sized by how many
  flags it carries and coloured by its worst severity, with a line at "now".
- ``score_histogram``: how scores spread, stacked by severity, so a cluster just over a threshold
  stands out.

Pure functions from review rows (``{"flag", "status", "disposition"}`` dicts, as the store returns
them) to ``markupsafe.Markup``. Every text that comes from data is escaped.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from markupsafe import Markup, escape

from pipelines.review.priority import SEVERITY_ORDER, departure_of, severity_rank

__all__ = [
    "SEVERITY_COLOURS",
    "severity_counts",
    "flight_summaries",
    "score_bins",
    "severity_chart",
    "flight_timeline_chart",
    "score_histogram",
]

#: Colour-blind-safe palette (ColorBrewer RdBu ends plus an orange), one per severity.
SEVERITY_COLOURS: dict[str, str] = {"TOP": "#b2182b", "HIGH": "#e08214", "NORMAL": "#2166ac", "OTHER": "#888888"}
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
#: Drawing width of every chart; the page scales it to the card (CSS width 100%).
CHART_WIDTH = 1100


def _severity(flag: Mapping[str, Any]) -> str:
    value = str(flag.get("severity") or "").upper()
    return value if value in SEVERITY_ORDER else "OTHER"


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    """An accessible SVG document: role img, a title, and the drawn parts."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(label)}" {_FONT}>'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: Any, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(str(text))}</text>'


def count_ticks(largest: int, most: int = 6) -> list[int]:
    """Round whole-number axis ticks from 0 to at least ``largest``: steps of 1, 2 or 5 x 10^n."""
    largest = max(int(largest), 1)
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if largest / step <= most:
                top = -(-largest // step) * step
                return list(range(0, top + 1, step))
        magnitude *= 10


def severity_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """{severity: {"open": n, "decided": m}} for every severity in order (OTHER only if present)."""
    counts: dict[str, dict[str, int]] = {name: {"open": 0, "decided": 0} for name in SEVERITY_ORDER}
    for row in rows:
        bucket = counts.setdefault(_severity(row["flag"]), {"open": 0, "decided": 0})
        bucket["decided" if row.get("disposition") else "open"] += 1
    return counts


def severity_chart(rows: Iterable[Mapping[str, Any]]) -> Markup:
    """Horizontal bars per severity; the solid part is still open, the pale part decided."""
    counts = severity_counts(rows)
    width, left, bar_height, gap, top = CHART_WIDTH, 80, 26, 12, 10
    ticks = count_ticks(max([c["open"] + c["decided"] for c in counts.values()] + [1]))
    scale = (width - left - 190) / ticks[-1]  # room for the "N open · M decided" label
    bars_bottom = top + len(counts) * (bar_height + gap)
    body: list[str] = []
    for tick in ticks:
        x = left + tick * scale
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bars_bottom}" stroke="#e4e4e4"/>')
        body.append(_text(x, bars_bottom + 14, tick, "middle", 'fill="#555"'))
    for index, (severity, count) in enumerate(counts.items()):
        y = top + index * (bar_height + gap)
        colour = SEVERITY_COLOURS[severity]
        open_w, decided_w = count["open"] * scale, count["decided"] * scale
        body.append(_text(left - 8, y + bar_height * 0.7, severity, "end", 'font-weight="bold"'))
        body.append(f'<rect x="{left}" y="{y}" width="{open_w:.1f}" height="{bar_height}" fill="{colour}">'
                    f'<title>{escape(severity)}: {count["open"]} open</title></rect>')
        body.append(f'<rect x="{left + open_w:.1f}" y="{y}" width="{decided_w:.1f}" height="{bar_height}" '
                    f'fill="{colour}" fill-opacity="0.3"><title>{escape(severity)}: {count["decided"]} decided</title></rect>')
        body.append(_text(left + open_w + decided_w + 6, y + bar_height * 0.7,
                          f'{count["open"]} open · {count["decided"]} decided'))
    height = bars_bottom + 22
    total = sum(c["open"] + c["decided"] for c in counts.values())
    return _svg(width, height, f"Flags by severity: {total} in all", body)


def flight_summaries(rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Per flight: departure, flag count, count per severity, worst severity; soonest first."""
    by_flight: dict[str, dict] = {}
    for row in rows:
        flag = row["flag"]
        key = str(flag.get("flight_key") or "(unknown flight)")
        summary = by_flight.setdefault(key, {"flight_key": key, "departure": None,
                                             "count": 0, "severities": Counter(), "open": 0})
        departure = departure_of(flag)
        if departure is not None and (summary["departure"] is None or departure < summary["departure"]):
            summary["departure"] = departure
        summary["count"] += 1
        summary["severities"][_severity(flag)] += 1
        summary["open"] += 0 if row.get("disposition") else 1
    for summary in by_flight.values():
        summary["worst"] = min(summary["severities"], key=severity_rank)
    far_future = datetime.max.replace(tzinfo=None)
    return sorted(by_flight.values(),
                  key=lambda s: ((s["departure"].replace(tzinfo=None) if s["departure"] else far_future),
                                 s["flight_key"]))


def _time_ticks(start: datetime, end: datetime, most: int = 10) -> list[datetime]:
    """Up to ``most`` round tick times between start and end."""
    span_hours = max((end - start).total_seconds() / 3600, 1)
    step = next((h for h in (1, 2, 3, 6, 12, 24, 48, 168) if span_hours / h <= most), 336)
    first = start.replace(minute=0, second=0, microsecond=0)
    if step >= 24:
        first = first.replace(hour=0)
    ticks, tick = [], first
    while tick <= end:
        if tick >= start:
            ticks.append(tick)
        tick += timedelta(hours=step)
    return ticks


def flight_timeline_chart(rows: Iterable[Mapping[str, Any]], now: datetime, max_flights: int = 30) -> Markup:
    """One row per flight: a dot at its departure time (UTC), area by flag count, colour by worst severity."""
    summaries = flight_summaries(rows)
    timed = [s for s in summaries if s["departure"] is not None][:max_flights]
    untimed = len(summaries) - len([s for s in summaries if s["departure"] is not None])
    left, right, top, row_h = 170, 290, 30, 24
    width = CHART_WIDTH
    if not timed:
        body = [_text(10, 30, "No flights with a known departure time.")]
        return _svg(width, 50, "Flags by flight against departure time: no data", body)
    times = [s["departure"] for s in timed] + [now]
    start, end = min(times) - timedelta(minutes=30), max(times) + timedelta(minutes=30)
    span = (end - start).total_seconds()
    plot_w = width - left - right
    height = top + len(timed) * row_h + 30

    def x_of(moment: datetime) -> float:
        return left + (moment - start).total_seconds() / span * plot_w

    body: list[str] = []
    for tick in _time_ticks(start, end):
        x = x_of(tick)
        body.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{height - 24}" stroke="#ddd"/>')
        body.append(_text(x, height - 8, tick.strftime("%d %b %H:%M"), "middle", 'fill="#555"'))
    now_x = x_of(now)
    body.append(f'<line x1="{now_x:.1f}" y1="{top - 14}" x2="{now_x:.1f}" y2="{height - 24}" '
                'stroke="#000" stroke-dasharray="4 3"/>')
    body.append(_text(now_x, top - 16, "now", "middle", 'font-weight="bold"'))
    largest = max(s["count"] for s in timed)
    for index, summary in enumerate(timed):
        y = top + index * row_h + row_h / 2
        x = x_of(summary["departure"])
        radius = 4 + 7 * math.sqrt(summary["count"] / largest)
        colour = SEVERITY_COLOURS[summary["worst"]]
        parts = ", ".join(f"{summary['severities'][s]} {s}" for s in (*SEVERITY_ORDER, "OTHER")
                          if summary["severities"].get(s))
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#f2f2f2"/>')
        body.append(_text(left - 8, y + 4, summary["flight_key"], "end"))
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}" fill-opacity="0.85">'
                    f'<title>{escape(summary["flight_key"])} departs '
                    f'{escape(summary["departure"].strftime("%Y-%m-%d %H:%M"))} UTC: {escape(parts)}</title></circle>')
        body.append(_text(width - right + 8, y + 4, f"{summary['count']} ({parts}); {summary['open']} open"))
    label = f"Flags by flight against departure time (UTC): {len(timed)} flights"
    if untimed:
        label += f"; {untimed} without a departure time not shown"
    if len(summaries) - untimed > len(timed):
        label += f"; showing the first {len(timed)}"
    return _svg(width, height, label, body)


def score_bins(rows: Iterable[Mapping[str, Any]], width: float = 0.05) -> list[dict]:
    """Score bins [low, high) (the last includes 1.0) from the lowest tenth with data up to 1.0."""
    scored = []
    for row in rows:
        try:
            scored.append((float(row["flag"].get("score")), _severity(row["flag"])))
        except (TypeError, ValueError):
            continue
    if not scored:
        return []
    count = round(1 / width)
    lowest = max(0, min(int(math.floor(min(s for s, _ in scored) * 10)) * round(count / 10), count - 1))
    bins = [{"low": i * width, "high": (i + 1) * width, "counts": defaultdict(int)} for i in range(lowest, count)]
    for score, severity in scored:
        index = min(max(int(score / width + 1e-9), lowest), count - 1) - lowest
        bins[index]["counts"][severity] += 1
    return bins


def score_histogram(rows: Iterable[Mapping[str, Any]]) -> Markup:
    """Histogram of scores, one stacked column per bin, coloured by severity."""
    bins = score_bins(rows)
    width, height, left, bottom, top = CHART_WIDTH, 260, 44, 40, 20
    if not bins:
        return _svg(width, 50, "Score distribution: no scored flags", [_text(10, 30, "No scored flags.")])
    plot_w, plot_h = width - left - 20, height - top - bottom
    ticks = count_ticks(max(sum(b["counts"].values()) for b in bins))
    tallest = ticks[-1]
    column = plot_w / len(bins)
    body = []
    for tick in ticks:
        y = top + plot_h - tick / tallest * plot_h
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        body.append(_text(left - 6, y + 4, tick, "end", 'fill="#555"'))
    body += [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
             _text(left + plot_w / 2, height - 6, "score", "middle")]
    for index, bucket in enumerate(bins):
        x = left + index * column
        y = top + plot_h
        for severity in (*SEVERITY_ORDER, "OTHER"):
            n = bucket["counts"].get(severity, 0)
            if not n:
                continue
            h = n / tallest * plot_h
            y -= h
            body.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{column - 2:.1f}" height="{h:.1f}" '
                        f'fill="{SEVERITY_COLOURS[severity]}"><title>{bucket["low"]:.2f}–{bucket["high"]:.2f}: '
                        f'{n} {escape(severity)}</title></rect>')
        body.append(_text(x, top + plot_h + 16, f'{bucket["low"]:.2f}', "middle", 'fill="#555"'))
    body.append(_text(left + plot_w, top + plot_h + 16, "1.00", "middle", 'fill="#555"'))
    total = sum(sum(b["counts"].values()) for b in bins)
    return _svg(width, height, f"Score distribution of {total} flags", body)
