"""The order in which an analyst should look at flags.

Severity first (TOP > HIGH > NORMAL, unknown last), then how soon the flight leaves: a JPAU works
before departure, so the flight that leaves next is the one whose traveller can still be met.
Flights that have already left come after every upcoming one (most recently departed first) and
flags with no known departure time come last. Ties break on score (higher first), then flag id,
so the list is the same on every screen and every run.

Pure functions only: no clock, no store. Callers pass ``now``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, TypeVar

__all__ = [
    "SEVERITY_ORDER",
    "severity_rank",
    "parse_utc",
    "departure_of",
    "seconds_to_departure",
    "priority_key",
    "prioritise",
    "describe_time_to_departure",
]

#: Severities from most to least urgent (GTAS hit severities).
SEVERITY_ORDER: tuple[str, ...] = ("TOP", "HIGH", "NORMAL")

#: Field names, in order of preference, that may carry the flight's departure time.
DEPARTURE_FIELDS: tuple[str, ...] = ("departure_utc", "departure_time", "departure", "departure_local")

T = TypeVar("T")


def severity_rank(severity: str | None) -> int:
    """0 for TOP, 1 for HIGH, 2 for NORMAL; anything else sorts after them."""
    normal = (severity or "").strip().upper()
    return SEVERITY_ORDER.index(normal) if normal in SEVERITY_ORDER else len(SEVERITY_ORDER)


def parse_utc(value: Any) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime; a time with no offset is taken as UTC.

    Flags carry UTC when known and local time with no offset otherwise; treating the latter as UTC
    misorders by at most the flight's UTC offset, which is better than dropping it.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def departure_of(flag: Mapping[str, Any]) -> datetime | None:
    """The flag's departure time in UTC, from the first departure field that parses."""
    for name in DEPARTURE_FIELDS:
        moment = parse_utc(flag.get(name))
        if moment is not None:
            return moment
    return None


def seconds_to_departure(flag: Mapping[str, Any], now: datetime) -> float | None:
    """Seconds until departure (negative once departed), or None when unknown."""
    departure = departure_of(flag)
    if departure is None:
        return None
    return (departure - now).total_seconds()


def priority_key(flag: Mapping[str, Any], now: datetime) -> tuple:
    """Sort key: severity, then upcoming-before-departed-before-unknown, then nearness, score, id."""
    remaining = seconds_to_departure(flag, now)
    if remaining is None:
        timing = (2, 0.0)
    elif remaining >= 0:
        timing = (0, remaining)
    else:
        timing = (1, -remaining)
    try:
        score = float(flag.get("score") or 0.0)
    except (TypeError, ValueError):
        score = 0.0
    return (severity_rank(flag.get("severity")), *timing, -score, str(flag.get("flag_id", "")))


def prioritise(items: Iterable[T], now: datetime,
               flag_of: Callable[[T], Mapping[str, Any]] = lambda item: item) -> list[T]:
    """Items in the order an analyst should review them; ``flag_of`` finds the flag in an item."""
    return sorted(items, key=lambda item: priority_key(flag_of(item), now))


def describe_time_to_departure(flag: Mapping[str, Any], now: datetime,
                               gettext: Callable[[str], str] = str) -> str:
    """'in 2 h 05 min', 'departed 40 min ago' or 'unknown': what the list shows.

    ``gettext`` translates the words (the review's catalogs hold them); English by default.
    """
    _ = gettext
    remaining = seconds_to_departure(flag, now)
    if remaining is None:
        return _("unknown")
    minutes = int(abs(remaining) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    elif hours:
        span = _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": f"{mins:02d}"}
    else:
        span = _("%(minutes)s min") % {"minutes": mins}
    return (_("in %(span)s") if remaining >= 0 else _("departed %(span)s ago")) % {"span": span}
