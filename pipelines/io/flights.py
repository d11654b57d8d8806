"""What a message means for its flight, as messages arrive: resends, changes, cancels, close-out.

Airlines resend API lists, send changes and cancellations, and close a flight with a final list.
A streaming pipeline sees these one at a time, in any order, and keeps a small book per flight
(key: carrier + number + departure date). ``FlightBook.admit`` decides, for one message:

- ``DUPLICATE``: its content hash (:func:`pipelines.validation.dedupe.record_content_hash`) was
  seen before for this flight: dropped and counted, never processed twice;
- ``LATE``: it arrived after the flight closed (scheduled departure + grace, or a close-out
  message): it goes to the late output, labelled and counted, never silently dropped;
- ``SUPERSEDED``: a list prepared before the flight's current list (it arrived out of order):
  counted and not processed, since the newer list already stands;
- ``PROCESS``: processed by the pipeline like any batch record. For a list (original, change,
  close-out) it becomes the flight's current list: every person of the lists it replaces is
  withdrawn (``SUPERSEDED`` if the person is on the new list, ``REMOVED`` if not), and a close-out
  makes that list final. Passenger and crew lists are separate lists: one never replaces the
  other. A reservation cancellation (XR) or reduction in party (RP) withdraws the
  persons it names; a flight cancellation (XF) withdraws everyone and closes the flight. Those
  three are not screened again (``process`` is False).

Withdrawals carry the withdrawn traveller ids, so flags and partner records raised for them can be
marked withdrawn downstream. Ids never depend on arrival order: a traveller id is the message id
plus the person id, so whatever order the messages come in, the persons left standing when the
flight closes, and their flags, are the same.

The book is plain data (``to_state``/``from_state``) so that a runner's per-key state can hold it.
No Beam here.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from pipelines.message_functions import CLOSE_FUNCTIONS, FLIGHT_CANCEL, PERSON_CANCEL_FUNCTIONS
from pipelines.validation import derive
from pipelines.validation.dedupe import record_content_hash

PROCESS, DUPLICATE, LATE, SUPERSEDED = "PROCESS", "DUPLICATE", "LATE", "SUPERSEDED"


def flight_key_of(schema_name: str, record: dict) -> str | None:
    """The flight a manifest or PNR is about (``CARRIER+NUMBER/DATE``, as ``flight_key`` in the
    travellers), or None when it cannot be told."""
    from pipelines.validation.validator import flight_key

    if schema_name == "api_manifest":
        flight, date = record.get("flight") or {}, derive.departure_date(record)
        if flight.get("carrier") and flight.get("number") and date:
            return flight_key(flight["carrier"], flight["number"], date.isoformat())
        return None
    flights = record.get("flights") or []
    when = derive.first_segment_departure(record)
    if when and flights and flights[0].get("carrier") and flights[0].get("number"):
        return flight_key(flights[0]["carrier"], flights[0]["number"], when.date().isoformat())
    return None


#: How far a local time can be from UTC (UTC-12 to UTC+14): added to the close time of a flight
#: whose departure is known only in local time, so it never closes before it has departed.
LOCAL_TIME_MARGIN = dt.timedelta(hours=14)


def scheduled_departure(schema_name: str, record: dict) -> tuple[dt.datetime | None, bool]:
    """(scheduled departure of the first leg as a UTC datetime, exact): the leg's UTC time when
    sent (exact), else its local time read as UTC (not exact: see ``LOCAL_TIME_MARGIN``)."""
    if schema_name == "api_manifest":
        legs = (record.get("flight") or {}).get("legs") or []
        first = legs[0] if legs else {}
    else:
        flights = record.get("flights") or []
        first = flights[0] if flights else {}
    return _leg_departure(first)


def _leg_departure(leg: dict) -> tuple[dt.datetime | None, bool]:
    """(a leg's scheduled departure as a UTC datetime, exact): its UTC time when sent, else its
    local time read as UTC."""
    utc, local = leg.get("departure_utc"), leg.get("departure_local")
    value = utc or local
    when = derive.parse_local_time(value.replace("Z", "")[:19]) if value else None
    return (when.replace(tzinfo=dt.timezone.utc) if when else None), bool(utc and when)


def last_departure(pnr: dict) -> dt.datetime | None:
    """The latest scheduled departure in a PNR's itinerary (its return flight too), UTC; a leg given
    only in local time is pushed back by ``LOCAL_TIME_MARGIN`` (it has surely departed by then)."""
    departures = [when + (dt.timedelta() if exact else LOCAL_TIME_MARGIN)
                  for when, exact in map(_leg_departure, pnr.get("flights") or []) if when is not None]
    return max(departures, default=None)


def forget_time(event_seconds: float, departure: dt.datetime | None, hold_seconds: float,
                previous_seconds: float | None = None) -> float:
    """When state a stream holds for a flight's records may be forgotten (seconds since the epoch):
    ``hold_seconds`` after the later of the event and the flight's departure, and never earlier than
    an earlier event asked for (an element stamped earlier must not cut the hold short)."""
    until = (max(event_seconds, departure.timestamp()) if departure is not None else event_seconds) + hold_seconds
    return until if previous_seconds is None else max(until, previous_seconds)


def person_key(person: dict) -> str:
    """Who a person is on a flight, across its lists: the carrier's unique passenger reference
    (RFF+ABO) when sent, else the name and date of birth as sent. Never the person id alone: without
    a reference a message numbers its persons by position, and a change or a cancellation lists
    other persons in other places, so position 1 of a cancellation is not position 1 of the list."""
    reference = person.get("unique_passenger_reference")
    if reference:
        return reference
    name = " ".join(f"{person.get('surname') or ''} / {person.get('given_names') or ''}".upper().split())
    if name == "/" and not person.get("date_of_birth"):
        return f"ID:{person.get('person_id') or ''}"
    return f"NAME:{name} / {person.get('date_of_birth') or ''}"


def keyed_persons(record: dict) -> list[tuple[str, dict]]:
    """(person key, person) for each person of a list, in order; two persons of one list with the
    same key (namesakes born the same day, no reference) are told apart by their order."""
    keyed, seen = [], {}
    for person in record.get("persons") or []:
        key = person_key(person)
        seen[key] = seen.get(key, 0) + 1
        keyed.append((key if seen[key] == 1 else f"{key} #{seen[key]}", person))
    return keyed


@dataclass(frozen=True)
class Withdrawal:
    """An earlier traveller record that no longer stands."""

    flight_key: str
    traveller_id: str
    reason: str            # SUPERSEDED, REMOVED or CANCELLED
    by_message_id: str
    message_function: str

    def as_record(self) -> dict:
        return {"flight_key": self.flight_key, "traveller_id": self.traveller_id, "reason": self.reason,
                "by_message_id": self.by_message_id, "message_function": self.message_function}


@dataclass(frozen=True)
class Decision:
    outcome: str                       # PROCESS, DUPLICATE, LATE or SUPERSEDED
    process: bool                      # send the message on to validation and screening
    withdrawals: tuple[Withdrawal, ...] = ()
    closes: bool = False
    why: str = ""


#: The kinds of list a flight has: a crew list never replaces the passenger list, nor the other way
#: round (PAXLST sends them as separate messages, BGM 250/336 and 745).
CREW_LIST_TYPES = {"CREW_LIST", "MASTER_CREW_LIST"}


def list_kind(record: dict) -> str:
    """``CREW`` for a crew list, ``PASSENGER`` for every other list."""
    return "CREW" if record.get("message_type") in CREW_LIST_TYPES else "PASSENGER"


@dataclass
class FlightList:
    """One kind of list of a flight: the message that stands, its persons, final after a close-out.

    A list too long for one message comes in parts (UNH ``+REF+01:C``, ``+REF+02:C``, ...,
    ``+REF+nn:F``): the parts of one list together are the list, so a part adds its persons to the
    parts before it instead of replacing them. ``parts`` holds the part numbers received, in
    order; ``reference`` and ``function`` are what every part of the list shares; ``last_part``
    is the number of the part marked final, once seen; ``replaced_prepared`` is when the list this
    one replaced was prepared (a part prepared no later than that belongs to the older list)."""

    current_message: str | None = None
    current_prepared: str = ""
    persons: dict[str, str] = field(default_factory=dict)   # person key -> traveller id standing
    final: bool = False
    function: str = ""
    reference: str | None = None
    parts: list[int] = field(default_factory=list)
    last_part: int | None = None
    replaced_prepared: str | None = None

    def takes_part(self, part: dict | None, function: str, prepared: str) -> bool:
        """Whether a message sent as ``part`` (its ``list_part``) belongs to this list: a list
        sent in parts whose reference and function it shares, a part number not yet received and
        not past the final part, prepared after the list this one replaced. A number received
        again starts a new list (the carrier sent the list again)."""
        if not part or not self.parts or self.function != function or part.get("reference") != self.reference:
            return False
        number = part["number"]
        if number in self.parts:
            return False
        if self.last_part is not None and number > self.last_part:
            return False
        if part.get("last") and self.parts[-1] > number:
            return False
        return self.replaced_prepared is None or prepared > self.replaced_prepared

    def start(self, message_id: str, prepared: str, function: str, part: dict | None,
              persons: dict[str, str]) -> None:
        """This message's list, with ``persons``, replaces the current one."""
        self.replaced_prepared = self.current_prepared if self.current_message is not None else None
        self.current_message, self.current_prepared, self.function = message_id, prepared, function
        self.reference = part.get("reference") if part else None
        self.parts, self.last_part, self.persons = [], None, {}
        self.add_part(message_id, prepared, part, persons)

    def add_part(self, message_id: str, prepared: str, part: dict | None, persons: dict[str, str]) -> None:
        """This message's ``persons`` join the list (as the part ``part``, when sent in parts)."""
        self.persons.update(persons)
        if not part:
            return
        bisect.insort(self.parts, part["number"])
        if part.get("last"):
            self.last_part = part["number"]
        if (prepared, message_id) > (self.current_prepared, self.current_message or ""):
            self.current_message, self.current_prepared = message_id, prepared

    def to_state(self) -> dict:
        return {"current_message": self.current_message, "current_prepared": self.current_prepared,
                "persons": dict(self.persons), "final": self.final, "function": self.function,
                "reference": self.reference, "parts": list(self.parts), "last_part": self.last_part,
                "replaced_prepared": self.replaced_prepared}

    @classmethod
    def from_state(cls, state: dict) -> "FlightList":
        return cls(state["current_message"], state["current_prepared"], dict(state["persons"]), state["final"],
                   state.get("function", ""), state.get("reference"), list(state.get("parts", [])),
                   state.get("last_part"), state.get("replaced_prepared"))


@dataclass
class FlightBook:
    """Per-flight memory: content hashes seen, the current list of each kind (passengers, crew) and
    its persons, and whether the flight has closed.

    The flight closes at scheduled departure + grace (the caller's ``late``, or its timer setting
    ``closed``) or with a flight cancellation; after that every message is late. A close-out
    makes its own kind of list final: a later list of that kind is late, while PNRs and the other
    kind of list are still taken until the flight closes."""

    flight_key: str
    hashes: set[str] = field(default_factory=set)
    lists: dict[str, FlightList] = field(default_factory=dict)
    closed: bool = False
    cancelled: dict[str, str] = field(default_factory=dict)  # person key -> when the cancellation was prepared

    @property
    def persons(self) -> dict[str, str]:
        """Every person standing on the flight (person key -> traveller id); crew keys are
        prefixed ``CREW:`` so that a crew member and a passenger with the same id stay apart."""
        standing: dict[str, str] = {}
        for kind, flight_list in sorted(self.lists.items()):
            prefix = "" if kind == "PASSENGER" else f"{kind}:"
            standing.update({prefix + key: tid for key, tid in flight_list.persons.items()})
        return standing

    def admit(self, schema_name: str, record: dict, late: bool = False) -> Decision:
        """Decide what ``record`` (a manifest or PNR of this flight) means; update the book.
        ``late``: the message arrived after the flight's scheduled departure + grace."""
        digest = record_content_hash(schema_name, record)
        if digest in self.hashes:
            return Decision(DUPLICATE, False, why=f"same content as a message already received ({digest[:19]})")
        self.hashes.add(digest)
        if late or self.closed:
            return Decision(LATE, False, why="arrived after the flight closed"
                            + (" (departure + grace passed)" if late else " (flight cancelled or closed)"))
        if schema_name != "api_manifest":
            return Decision(PROCESS, True)
        function = record.get("message_function") or "UNKNOWN"
        message_id = record["message_id"]
        if function == FLIGHT_CANCEL:
            withdrawn = tuple(w for kind in sorted(self.lists) for w in self._withdraw(
                kind, list(self.lists[kind].persons), "CANCELLED", message_id, function))
            self.closed = True
            return Decision(PROCESS, False, withdrawn, closes=True, why="flight cancelled")
        prepared = record.get("prepared_utc") or ""
        kind = list_kind(record)
        flight_list = self.lists.setdefault(kind, FlightList())
        if function in PERSON_CANCEL_FUNCTIONS:
            named = [key for key, _ in keyed_persons(record)]
            for key in named:  # remembered: a list prepared before it may still arrive
                self.cancelled[key] = max(self.cancelled.get(key, ""), prepared)
            return Decision(PROCESS, False, self._withdraw(kind, [k for k in named if k in flight_list.persons],
                                                           "CANCELLED", message_id, function),
                            why="persons cancelled")
        part = record.get("list_part")
        persons = {key: f"{message_id}/{p['person_id']}" for key, p in keyed_persons(record)}
        if flight_list.takes_part(part, function, prepared):
            # another part of the standing list: its persons join those of the parts before it
            withdrawn = tuple(Withdrawal(self.flight_key, flight_list.persons[key], "SUPERSEDED", message_id, function)
                              for key in sorted(persons) if key in flight_list.persons)
            flight_list.add_part(message_id, prepared, part, persons)
        else:
            if flight_list.current_message is not None and (prepared, message_id) < (
                    flight_list.current_prepared, flight_list.current_message):
                return Decision(SUPERSEDED, False,
                                why=f"prepared before the current list {flight_list.current_message}")
            if flight_list.final:
                return Decision(LATE, False, why=f"arrived after the close-out {flight_list.current_message} made the "
                                                 f"{kind.lower()} list final")
            withdrawn = tuple(Withdrawal(self.flight_key, traveller_id, "SUPERSEDED" if key in persons else "REMOVED",
                                         message_id, function)
                              for key, traveller_id in sorted(flight_list.persons.items()))
            flight_list.start(message_id, prepared, function, part, persons)
        # a cancellation prepared after this list, received before it, still stands
        withdrawn += self._withdraw(kind, [k for k in persons if self.cancelled.get(k, "") > prepared],
                                    "CANCELLED", message_id, function)
        closes = function in CLOSE_FUNCTIONS
        flight_list.final = flight_list.final or closes
        return Decision(PROCESS, True, withdrawn, closes=closes)

    def _withdraw(self, kind, keys, reason, message_id, function) -> tuple[Withdrawal, ...]:
        persons = self.lists[kind].persons
        return tuple(Withdrawal(self.flight_key, persons.pop(key), reason, message_id, function)
                     for key in sorted(keys))

    def to_state(self) -> dict:
        return {"flight_key": self.flight_key, "hashes": sorted(self.hashes),
                "lists": {kind: flight_list.to_state() for kind, flight_list in sorted(self.lists.items())},
                "closed": self.closed, "cancelled": dict(self.cancelled)}

    @classmethod
    def from_state(cls, state: dict | None, flight_key: str) -> "FlightBook":
        if not state:
            return cls(flight_key)
        return cls(state["flight_key"], set(state["hashes"]),
                   {kind: FlightList.from_state(value) for kind, value in state["lists"].items()},
                   state["closed"], dict(state.get("cancelled", {})))


def withdrawals_of_flight(flight_key: str, manifests) -> list[Withdrawal]:
    """What a batch run sees of one flight's API lists as a stream would: the lists admitted in the
    order they were prepared (``prepared_utc``, then message id), through the same book, and every
    withdrawal that gives. A batch run has every message at once and no arrival times, so nothing
    is late and no list arrives after a newer one (a stream counts those separately). ``manifests``:
    the flight's ApiManifest dicts (resends already dropped)."""
    book = FlightBook(flight_key)
    withdrawn: list[Withdrawal] = []
    for record in sorted(manifests, key=lambda r: (r.get("prepared_utc") or "", r.get("message_id") or "")):
        withdrawn.extend(book.admit("api_manifest", record).withdrawals)
    return withdrawn

