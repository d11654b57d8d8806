"""Withdrawals downstream: what was flagged or sent for a traveller whose record no longer stands.

A change replaces a flight's list, a cancellation (XR, RP, XF) withdraws the persons it names:
``pipelines.io.flights.FlightBook`` decides which earlier traveller records no longer stand and
why (a ``Withdrawal``: flight, traveller id, reason, the message that withdrew it). The stream's
per-flight state emits them as messages arrive; a batch run gets the same ones from
``FlightWithdrawals``, which admits each flight's lists through the same book in the order they
were prepared.

``JoinWithdrawals`` meets each withdrawal with what was made of its traveller (flags, partner
disclosures), whichever comes first: in a stream the withdrawal often comes before the earlier
list's travellers are screened and shared. Per traveller id, in the global window, items are kept
until their withdrawal arrives (then emitted as ``(item, withdrawal)``) and a withdrawal is kept
so that an item arriving after it is emitted at once; all is forgotten ``hold_seconds`` of event
time after the later of the last event and the departure of the flight an item is about (a
flight's state, which can still withdraw, lives until its departure + grace + retention). A
batch (bounded, globally windowed) has everything at once and needs neither state nor timers:
items are narrowed to the withdrawn traveller ids (a side input, small) and joined with their
withdrawals by traveller id.

The decisions stay in ``flights.py`` (withdrawals), ``flags/records.py`` (the withdrawn flag) and
``sharing/engine.py`` (the partner notice); this module only routes.
"""

from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindow, GlobalWindows
from apache_beam.utils.timestamp import Timestamp

from pipelines.io import flights

_ITEM, _WITHDRAWAL = "item", "withdrawal"


class FlightWithdrawals(beam.PTransform):
    """DecodedRecords (a batch run's, resends dropped) -> withdrawal dicts
    (``flights.Withdrawal.as_record()``), per flight through ``flights.withdrawals_of_flight``."""

    def expand(self, records):
        return (records
                | "ApiLists" >> beam.Filter(lambda item: item.schema_name == "api_manifest")
                | "ByFlight" >> beam.Map(lambda item: (flights.flight_key_of(item.schema_name, item.record) or "",
                                                       item.record))
                | "FlightLists" >> beam.GroupByKey()
                | "AdmitInOrder" >> beam.FlatMap(
                    lambda kv: [w.as_record() for w in flights.withdrawals_of_flight(kv[0], kv[1])] if kv[0] else []))


def _departure(item) -> dt.datetime | None:
    """An item's scheduled departure (flags and disclosure refs carry ``departure_utc``), pushed
    back by the widest UTC offset in case it was a local time (``flights.LOCAL_TIME_MARGIN``)."""
    value = item.get("departure_utc") if isinstance(item, dict) else None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when + flights.LOCAL_TIME_MARGIN


def hold_until(timestamp: Timestamp, departure: dt.datetime | None, hold_seconds: float,
               previous: Timestamp | None) -> Timestamp:
    """``flights.forget_time`` as a watermark timer's time (at most the end of the global window)."""
    until = flights.forget_time(timestamp.micros / 1e6, departure, hold_seconds,
                                previous.micros / 1e6 if previous is not None else None)
    return min(Timestamp.of(until), GlobalWindow().max_timestamp())


class _JoinFn(beam.DoFn):
    ITEMS = BagStateSpec("items", PickleCoder())
    WITHDRAWN = ReadModifyWriteStateSpec("withdrawn", PickleCoder())
    FORGET_AT = ReadModifyWriteStateSpec("forget_at", PickleCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, hold_seconds: float):
        self._hold = hold_seconds

    def process(self, element, timestamp=beam.DoFn.TimestampParam, items=beam.DoFn.StateParam(ITEMS),
                withdrawn=beam.DoFn.StateParam(WITHDRAWN), forget_at=beam.DoFn.StateParam(FORGET_AT),
                forget=beam.DoFn.TimerParam(FORGET)):
        _traveller_id, (kind, value) = element
        # kept until ``hold`` after the later of the last event and the flight's departure: a
        # withdrawal can come as long as the flight's state lives (departure + grace + retention)
        until = hold_until(timestamp, _departure(value) if kind == _ITEM else None, self._hold, forget_at.read())
        forget_at.write(until)
        forget.set(until)
        known = withdrawn.read()
        if kind == _WITHDRAWAL:
            if known is not None:
                return  # a record is withdrawn once; a redelivered withdrawal changes nothing
            withdrawn.write(value)
            for held in items.read():
                yield held, value
            items.clear()
        elif known is not None:
            yield value, known
        else:
            items.add(value)

    @on_timer(FORGET)
    def forget(self, items=beam.DoFn.StateParam(ITEMS), withdrawn=beam.DoFn.StateParam(WITHDRAWN),
               forget_at=beam.DoFn.StateParam(FORGET_AT)):
        items.clear()
        withdrawn.clear()
        forget_at.clear()


def _is_batch(pcoll) -> bool:
    return pcoll.is_bounded and isinstance(pcoll.windowing.windowfn, GlobalWindows)


def _met(joined):
    """One traveller id's items and withdrawals (a batch) -> ``(item, withdrawal)`` per item; a
    record is withdrawn once, so with several withdrawals (a redelivered one) the same one is
    chosen whatever order they came in."""
    _traveller_id, grouped = joined
    withdrawals = list(grouped[_WITHDRAWAL])
    if not withdrawals:
        return []
    chosen = min(withdrawals, key=lambda w: json.dumps(w, sort_keys=True, default=str))
    return [(item, chosen) for item in grouped[_ITEM]]


class JoinWithdrawals(beam.PTransform):
    """``{"items": (traveller id, item), "withdrawals": withdrawal dicts}`` -> ``(item, withdrawal)``
    for every item whose traveller was withdrawn, in the global window (see the module doc)."""

    def __init__(self, hold_seconds: float, label: str | None = None):
        super().__init__(label)
        self._hold = hold_seconds

    def expand(self, inputs):
        items, withdrawals = inputs["items"], inputs["withdrawals"]
        if _is_batch(items) and _is_batch(withdrawals):
            # a batch has every item and withdrawal at once: one join per traveller id, no per-key
            # state or timers (each state access on a portable runner's SDK worker costs a cache
            # weighing, milliseconds each); items are first narrowed to the withdrawn travellers
            gone = withdrawals | "WithdrawnIds" >> beam.Map(lambda w: (w["traveller_id"], True))
            items = items | "OfWithdrawnTravellers" >> beam.Filter(lambda kv, ids: kv[0] in ids, beam.pvalue.AsDict(gone))
            keyed = withdrawals | "WithdrawalsById" >> beam.Map(lambda w: (w["traveller_id"], w))
            return ({_ITEM: items, _WITHDRAWAL: keyed}
                    | "PerTraveller" >> beam.CoGroupByKey()
                    | "MeetPerTraveller" >> beam.FlatMap(_met))
        tagged_items = (items
                        | "TagItems" >> beam.Map(lambda kv: (kv[0], (_ITEM, kv[1])))
                        | "ItemsGlobally" >> beam.WindowInto(GlobalWindows()))
        tagged_withdrawals = (withdrawals
                              | "TagWithdrawals" >> beam.Map(lambda w: (w["traveller_id"], (_WITHDRAWAL, w)))
                              | "WithdrawalsGlobally" >> beam.WindowInto(GlobalWindows()))
        return ((tagged_items, tagged_withdrawals)
                | "ItemsAndWithdrawals" >> beam.Flatten()
                | "MeetPerTraveller" >> beam.ParDo(_JoinFn(self._hold)))
