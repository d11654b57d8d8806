"""PNRGOV (10.1 to 13.1 and later) to ``pnr`` records, one per PNR (SRC group).

A message: MSG (22 full push, 141 changes), ORG, TVL (the flight pushed), EQN (PNR count), then
one SRC group per PNR. Inside a PNR, in the order PNRGOV gives them:

* RCI locator and creation date (further locators of other systems go to ``warnings``), DAT (700
  last transaction, 710 ticket issue), ORG booking originator (T: a travel agency), ADD, EBD;
* TIF groups, one per traveller: FTI, IFT, REF, FAR, SSR, TKT/MON/PTK/TXD/DAT, FOP;
* TVL groups, one per flight (a TVL without dates and airports, or TRA, gives the operating flight
  of a code-share), RPI status, APD, SSR, DAT+2 check-in and TRI groups (TIF, SSD seat, TBD bags);
  a TVL after ``MSG+8`` is a non-air segment (hotel, car) and becomes a remark;
* ABI history groups: DAT, SAC action and the changed element, LTS history text.

TIFs before the first TVL define the travellers; later TIFs (check-in, history) refer to them.
SSR DOCS/DOCO/DOCA are matched to a traveller by the names they carry, else the reference they
name, else the TIF group they sit in, because senders put an infant's DOCS inside the adult's
group and name travellers by references that do not always match the TIF.
"""

from __future__ import annotations

import datetime as dt

from pipelines.io.edifact import values
from pipelines.io.edifact.envelope import Message
from pipelines.io.edifact.errors import MessageError, check_tags, describe_unmapped, note_unmapped
from pipelines.io.edifact.tokenizer import Segment
from pipelines import reasons

PUSH_TYPES = {"22": "FULL", "141": "CHANGES"}
REMARK_KINDS = {("4", "28"): "OSI", ("4", "43"): "SPONSOR", ("4", "15"): "FARE_CALC", ("3", ""): "GENERAL"}
CONTACT_OSI = {"CTCE": "EMAIL", "CTCM": "PHONE", "CTCB": "PHONE", "CTCH": "PHONE", "CTCR": "PHONE",
               "CTCP": "PHONE"}
NON_AIR = "8"
#: Segments with a handler method ``_<tag>`` on the PNR builder.
HANDLED = frozenset({"RCI", "DAT", "ORG", "ADD", "EBD", "MSG", "EQN", "TIF", "FTI", "IFT", "SSR", "TKT", "MON",
                     "FOP", "TVL", "TRA", "RPI", "TRI", "SSD", "TBD", "ABI", "SAC", "LTS"})


def _compact(text: str | None) -> str:
    return "".join((text or "").split()).upper()


def _itinerary_segment(segment: Segment, warnings: list[str]) -> dict:
    when = segment.element(0)
    dep_date = values.ddmmyy(when[0]) if when else None
    dep_time = values.hhmm(when[1]) if len(when) > 1 else None
    arr_raw = when[2].strip() if len(when) > 2 else ""
    arr_time_raw = when[3] if len(when) > 3 else ""
    if len(arr_raw) == 4 and arr_raw.isdigit() and not arr_time_raw.strip():
        arr_date, arr_time = dep_date, values.hhmm(arr_raw)
        if dep_date and dep_time and arr_time and arr_time < dep_time:
            day = values.parse_date(dep_date)
            arr_date = (day + dt.timedelta(days=1)).isoformat() if day else dep_date
        warnings.append(f"line {segment.line}: TVL has no arrival date; {arr_date} assumed")
    else:
        arr_date, arr_time = values.ddmmyy(arr_raw) or (dep_date if arr_time_raw.strip() else None), values.hhmm(arr_time_raw)
    marketing = values.blank_to_none(segment.get(3, 0))
    operating = values.blank_to_none(segment.get(3, 1))
    carrier, number = values.split_flight(segment.get(4, 0), marketing)
    departure = values.blank_to_none(segment.get(1, 0))
    arrival = values.blank_to_none(segment.get(2, 0))
    return {
        "carrier": carrier, "number": number,
        "departure_airport": departure.upper() if departure else None,
        "departure_local": values.local_time(dep_date, dep_time),
        "arrival_airport": arrival.upper() if arrival else None,
        "arrival_local": values.local_time(arr_date, arr_time) if arr_date else None,
        "operating_carrier": operating.upper() if operating and operating.upper() != carrier else None,
        "operating_number": None,
        "booking_class": values.blank_to_none(segment.get(4, 1)),
        "status": None,
    }


def _is_operating_tvl(segment: Segment) -> bool:
    """A TVL with no dates and no airports: the operating flight of the code-share before it."""
    return not any(part.strip() for index in (0, 1, 2) for part in segment.element(index))


class _PnrBuilder:
    """One SRC group, filled segment by segment."""

    def __init__(self, message_id: str, sender: str, push_type: str, source_format: str, src: Segment):
        self.line = src.line
        self.src = src
        self.record = {
            "schema_version": 1, "message_id": message_id, "sender": sender, "push_type": push_type,
            "record_locator": None, "creation_date": None, "last_modified_utc": None, "booking_office": None,
            "travel_agency": None, "flights": [], "travellers": [], "contacts": [], "payments": [],
            "frequent_flyer": [], "travel_status": [], "split_from": None, "split_into": [], "remarks": [],
            "tickets": [], "seats": [], "bags": [], "party_size": None, "ssrs": [], "history": [],
            "warnings": [], "source_format": source_format,
        }
        self.warnings: list[str] = self.record["warnings"]
        self.unmapped: dict[str, list[int]] = {}
        self.travellers: list[dict] = []
        self.by_ref: dict[str, dict] = {}
        self.traveller: dict | None = None      # TIF group being read
        self.tri_traveller: dict | None = None  # TIF inside a TRI group
        self.in_tri = False
        self.flight: int | None = None          # index of the TVL group being read
        self.checkin_time: dict[int, str | None] = {}
        self.ssrs: list[tuple[Segment, str | None, int | None]] = []
        self.fare_calcs: dict[str, str] = {}
        self.ticket_date: str | None = None
        self.history = False
        self.history_time: str | None = None
        self.history_office: str | None = None
        self.history_action: str | None = None
        self.non_air = False
        self.currency: str | None = None

    # -- dispatch --------------------------------------------------------------------------
    def add(self, segment: Segment) -> None:
        tag = segment.tag
        if self.history and tag not in ("ABI", "DAT", "SAC", "LTS"):
            self._history_entry(segment.text())
            return
        handler = getattr(self, "_" + tag.lower(), None) if tag in HANDLED else None
        if handler is None or handler(segment) is False:
            note_unmapped(self.unmapped, segment)

    # -- PNR level ---------------------------------------------------------------------------
    def _rci(self, segment: Segment):
        first = segment.element(0)
        locator = values.blank_to_none(first[1]) if len(first) > 1 else None
        if self.record["record_locator"] is None:
            self.record["record_locator"] = locator
            for part in first[2:]:
                part = part.strip()
                if len(part) == 6 and part.isdigit():
                    self.record["creation_date"] = values.ddmmyy(part)
                    break
            others = [":".join(p for p in element[:2] if p) for element in segment.elements[1:] if any(element)]
            if others:
                self.warnings.append(f"line {segment.line}: other record locators not mapped: {', '.join(others)}")
        elif locator and locator != self.record["record_locator"]:
            self.warnings.append(f"line {segment.line}: RCI names another locator {':'.join(first[:2])}")
        return True

    def _dat(self, segment: Segment):
        mapped = True
        for element in segment.elements:
            qualifier = element[0].strip() if element else ""
            date = values.ddmmyy(element[1]) if len(element) > 1 else None
            time = values.hhmm(element[2]) if len(element) > 2 else None
            stamp = f"{date}T{time}Z" if date and time else date
            if self.history:
                self.history_time = stamp
            elif qualifier == "700":
                self.record["last_modified_utc"] = stamp
            elif qualifier == "710":
                tickets = self.record["tickets"]
                if self.traveller is not None and tickets and tickets[-1]["traveller_ref"] == self.traveller["traveller_ref"]:
                    tickets[-1]["issue_date"] = date
                else:
                    self.ticket_date = date
            elif qualifier == "2" and self.flight is not None:
                self.checkin_time[self.flight] = stamp
            elif qualifier or date:
                mapped = False
        return mapped

    def _org(self, segment: Segment):
        if self.traveller is not None or self.flight is not None or self.record["booking_office"] is not None:
            return False
        office = segment.get(1, 1).strip() or segment.get(1, 0).strip()
        system = ":".join(part.strip() for part in segment.element(0) if part.strip())
        self.record["booking_office"] = office or system or None
        if segment.get(4, 0).strip().upper() == "T":
            self.record["travel_agency"] = {
                "name": None, "iata_number": values.blank_to_none(segment.get(1, 0)),
                "agent_id": values.blank_to_none(segment.get(6, 0)),
                "city": values.blank_to_none(segment.get(2, 0)), "country": values.blank_to_none(segment.get(5, 0)),
            }
        return True

    def _add(self, segment: Segment):
        ref = self._current_ref()
        for element in segment.elements[1:] or segment.elements:
            address = ", ".join(part.strip() for part in element[1:7] if part.strip())
            last = element[7].strip() if len(element) > 7 else ""
            if last and _looks_like_phone(last):
                self.record["contacts"].append({"kind": "PHONE", "value": last, "traveller_ref": ref})
            elif last:
                address = ", ".join(part for part in (address, last) if part)
            if address:
                self.record["contacts"].append({"kind": "ADDRESS", "value": address, "traveller_ref": ref})
        return True

    def _ebd(self, segment: Segment):
        count = values.integer(segment.get(1, 0))
        weight = values.weight_kg(values.number(segment.get(1, 1)), segment.get(1, 2))
        if count is None and weight is None:
            return False
        self.record["bags"].append({"traveller_ref": self._current_ref(), "count": count, "weight_kg": weight, "tags": []})
        return True

    def _msg(self, segment: Segment):
        code = segment.get(0, 1).strip() or segment.get(0, 0).strip()
        if code == NON_AIR:
            self.non_air = True
            return True
        return False

    def _eqn(self, segment: Segment):
        return True  # group counts inside a PNR carry nothing the schema holds

    # -- travellers --------------------------------------------------------------------------
    def _tif(self, segment: Segment):
        surname = values.blank_to_none(segment.get(0, 0))
        given = values.blank_to_none(segment.get(1, 0))
        kind = values.blank_to_none(segment.get(1, 1))
        ref = values.blank_to_none(segment.get(1, 2))
        if self.flight is None:
            traveller = self._new_traveller(surname, given, kind, ref, segment)
            traveller["_with_infant"] = segment.get(1, 3).strip() == "1"
            self.traveller = traveller
            return True
        traveller = self._find_traveller(ref, surname, given)
        if traveller is None:
            self.warnings.append(f"line {segment.line}: TIF {surname}/{given} ({ref}) is not among the travellers; added")
            traveller = self._new_traveller(surname, given, kind, ref, segment)
        self.tri_traveller = traveller
        if self.in_tri:
            self.record["travel_status"].append({
                "traveller_ref": traveller["traveller_ref"], "segment": self.flight, "status": "CHECKED_IN",
                "check_in_utc": self.checkin_time.get(self.flight)})
        return True

    def _new_traveller(self, surname, given, kind, ref, segment: Segment) -> dict:
        if ref is None or ref in self.by_ref:
            fallback = f"T{len(self.travellers) + 1}"
            if ref is not None:
                self.warnings.append(f"line {segment.line}: traveller reference {ref!r} repeats; {fallback} used")
            ref = fallback
        infant_of = None
        if kind and kind.upper() in ("IN", "INF", "I"):
            adults = [t for t in self.travellers if (t["traveller_type"] or "").upper() not in ("IN", "INF", "I")]
            carrying = [t for t in adults if t.get("_with_infant")]
            parent = (carrying or adults or [None])[-1]
            infant_of = parent["traveller_ref"] if parent else None
        traveller = {"traveller_ref": ref, "surname": surname, "given_names": given, "traveller_type": kind,
                     "infant_of": infant_of, "date_of_birth": None, "sex": None, "nationality": None,
                     "documents": [], "addresses": []}
        self.travellers.append(traveller)
        self.by_ref[ref] = traveller
        return traveller

    def _find_traveller(self, ref: str | None, surname: str | None, given: str | None) -> dict | None:
        if ref is not None and ref in self.by_ref:
            found = self.by_ref[ref]
            if not surname or _compact(found["surname"]) == _compact(surname):
                return found
        return self._by_name(surname, given)

    def _by_name(self, surname: str | None, given: str | None) -> dict | None:
        wanted_surname, wanted_given = _compact(surname), _compact(given)
        if not wanted_surname:
            return None
        matches = [t for t in self.travellers if _compact(t["surname"]) == wanted_surname]
        if len(matches) > 1 and wanted_given:
            exact = [t for t in matches if _compact(t["given_names"]).startswith(wanted_given)
                     or wanted_given.startswith(_compact(t["given_names"]))]
            matches = exact or matches
        return matches[0] if len(matches) == 1 else None

    def _current_ref(self) -> str | None:
        current = self.tri_traveller if self.flight is not None else self.traveller
        return current["traveller_ref"] if current else None

    def _fti(self, segment: Segment):
        ref = self._current_ref()
        for element in segment.elements:
            airline = element[0].strip() if element else ""
            number = element[1].strip() if len(element) > 1 else ""
            if airline or number:
                tier = next((part.strip() for part in reversed(element[2:]) if part.strip()), None)
                self.record["frequent_flyer"].append({"traveller_ref": ref, "airline": airline, "number": number,
                                                      "tier": tier})
        return True

    def _ift(self, segment: Segment):
        qualifier = segment.element(0)
        key = (qualifier[0].strip() if qualifier else "", qualifier[1].strip() if len(qualifier) > 1 else "")
        kind = REMARK_KINDS.get(key) or REMARK_KINDS.get((key[0], "")) or "OTHER"
        text = " ".join(":".join(element) for element in segment.elements[1:]).strip()
        ref = self._current_ref()
        if self.non_air:
            kind = "OTHER"
        self.record["remarks"].append({"kind": kind, "text": text, "traveller_ref": ref})
        if kind == "FARE_CALC" and ref:
            self.fare_calcs.setdefault(ref, text)
        if kind == "OSI":
            word = text.split(" ", 1)
            if len(word) == 2 and word[0].upper() in CONTACT_OSI:
                self.record["contacts"].append({"kind": CONTACT_OSI[word[0].upper()], "value": word[1].strip(),
                                                "traveller_ref": ref})
        return True

    def _ssr(self, segment: Segment):
        self.ssrs.append((segment, self._current_ref(), self.flight))
        return True

    # -- tickets and payment -------------------------------------------------------------------
    def _tkt(self, segment: Segment):
        self.record["tickets"].append({
            "traveller_ref": self._current_ref(), "number": values.blank_to_none(segment.get(0, 0)),
            "issue_date": None, "one_way": None, "fare_amount": None, "currency": None, "fare_calculation": None})
        return True

    def _mon(self, segment: Segment):
        tickets = self.record["tickets"]
        for element in segment.elements:
            if element and element[0].strip().upper() == "T" and len(element) > 1:
                amount = values.number(element[1], segment.service.decimal)
                currency = values.blank_to_none(element[2]) if len(element) > 2 else None
                self.currency = currency or self.currency
                if tickets and tickets[-1]["traveller_ref"] == self._current_ref():
                    tickets[-1]["fare_amount"], tickets[-1]["currency"] = amount, currency
                    return True
        return False

    def _fop(self, segment: Segment):
        for element in segment.elements:
            method = element[0].strip() if element else ""
            if not method:
                continue
            get = lambda index: values.blank_to_none(element[index]) if len(element) > index else None  # noqa: E731
            self.record["payments"].append({
                "method": method, "card_type": get(3), "masked_card_number": get(4), "card_holder": None,
                "amount": values.number(get(2), segment.service.decimal), "currency": self.currency,
                "billing_address": None})
        return True

    # -- flights -------------------------------------------------------------------------------
    def _tvl(self, segment: Segment):
        flights = self.record["flights"]
        if _is_operating_tvl(segment):
            if not flights:
                return False
            flight = flights[-1]
            carrier = values.blank_to_none(segment.get(3, 0))
            flight["operating_number"] = values.blank_to_none(segment.get(4, 0))
            if carrier and carrier.upper() != flight["carrier"]:
                flight["operating_carrier"] = carrier.upper()
            return True
        if self.non_air:
            self.non_air = False
            self.record["remarks"].append({"kind": "OTHER", "text": "non-air segment: " + segment.text(),
                                           "traveller_ref": None})
            return True
        flights.append(_itinerary_segment(segment, self.warnings))
        self.flight = len(flights) - 1
        self.in_tri = False
        self.tri_traveller = None
        return True

    def _tra(self, segment: Segment):
        flights = self.record["flights"]
        if not flights:
            return False
        carrier = values.blank_to_none(segment.get(0, 0))
        if carrier:
            flights[-1]["operating_carrier"] = carrier.upper()
        flights[-1]["operating_number"] = values.blank_to_none(segment.get(1, 0))
        return True

    def _rpi(self, segment: Segment):
        if self.flight is None:
            return False
        self.record["flights"][self.flight]["status"] = values.blank_to_none(segment.get(1, 0))
        return True

    def _tri(self, segment: Segment):
        if self.flight is None:
            return False
        self.in_tri = True
        ref = values.blank_to_none(segment.get(1, 3))
        self.tri_traveller = self.by_ref.get(ref) if ref else None
        return True

    def _ssd(self, segment: Segment):
        seat = values.blank_to_none(segment.get(0, 0))
        ref = self._current_ref()
        if seat is None or ref is None or self.flight is None:
            return False
        self._add_seat(ref, self.flight, seat)
        return True

    def _add_seat(self, ref: str, flight: int, seat: str) -> None:
        entry = {"traveller_ref": ref, "segment": flight, "seat": seat}
        if entry not in self.record["seats"]:
            self.record["seats"].append(entry)

    def _tbd(self, segment: Segment):
        totals = segment.element(1)
        count = values.integer(totals[0]) if totals else None
        weight = values.weight_kg(values.number(totals[1]) if len(totals) > 1 else None,
                                  totals[2] if len(totals) > 2 else None)
        tags: list[str] = []
        for element in segment.elements[4:]:
            if len(element) > 1 and element[1].strip():
                tag = f"{element[0].strip()}{element[1].strip()}"
                if tag not in tags:
                    tags.append(tag)
        self.record["bags"].append({"traveller_ref": self._current_ref(), "count": count, "weight_kg": weight,
                                    "tags": tags})
        return True

    # -- history -------------------------------------------------------------------------------
    def _abi(self, segment: Segment):
        self.history = True
        self.history_time = None
        self.history_action = None
        office = next((part.strip() for part in segment.element(1) if part.strip()), None)
        self.history_office = office or values.blank_to_none(segment.get(2, 0))
        return True

    def _sac(self, segment: Segment):
        self.history_action = values.blank_to_none(segment.get(2, 0)) or values.blank_to_none(segment.get(0, 0))
        return True

    def _lts(self, segment: Segment):
        self._history_entry("+".join(":".join(element) for element in segment.elements).strip())
        return True

    def _history_entry(self, text: str) -> None:
        self.record["history"].append({"time_utc": self.history_time if self.history else None,
                                       "action": self.history_action if self.history else None,
                                       "office": self.history_office if self.history else None, "text": text})
        self.history_action = None

    # -- finishing -----------------------------------------------------------------------------
    def finish(self, reference: dt.date) -> dict:
        record = self.record
        reference = values.parse_date(record["flights"][0]["departure_local"] if record["flights"] else None) or reference
        for segment, ref, flight in self.ssrs:
            self._apply_ssr(segment, ref, flight, reference)
        for ticket in record["tickets"]:
            if ticket["issue_date"] is None and self.ticket_date:
                ticket["issue_date"] = self.ticket_date
            if ticket["fare_calculation"] is None and ticket["traveller_ref"] in self.fare_calcs:
                ticket["fare_calculation"] = self.fare_calcs[ticket["traveller_ref"]]
        for traveller in self.travellers:
            traveller.pop("_with_infant", None)
        record["travellers"] = self.travellers
        record["party_size"] = len(self.travellers)
        if record["record_locator"] is None:
            self.warnings.append(f"line {self.line}: PNR has no record locator (RCI)")
        self.warnings.extend(describe_unmapped(self.unmapped))
        return record

    def _apply_ssr(self, segment: Segment, enclosing: str | None, flight: int | None, reference: dt.date) -> None:
        head = segment.element(0)
        code = head[0].strip().upper() if head else ""
        status = values.blank_to_none(head[1]) if len(head) > 1 else None
        text = ":".join(head[8:]).strip() if len(head) > 8 else ""
        extra = [element for element in segment.elements[1:] if any(part.strip() for part in element)]
        refs = [element[2].strip() for element in extra if len(element) > 2 and element[2].strip()]
        if flight is None and len(head) > 7 and head[6].strip() and head[7].strip():
            flight = self._flight_between(head[6].strip().upper(), head[7].strip().upper())
        ref = refs[0] if len(refs) == 1 else enclosing
        if not text and extra:
            text = " ".join(":".join(element).rstrip(":") for element in extra if element[0].strip())
        self.record["ssrs"].append({"code": code or "?", "status": status, "traveller_ref": ref,
                                    "segment": flight, "text": text or None})
        if code == "DOCS":
            self._docs(text, refs, enclosing, reference, segment)
        elif code == "DOCO":
            self._doco(text, refs, enclosing, reference, segment)
        elif code == "DOCA":
            self._doca(text, refs, enclosing, segment)
        elif code in ("CTCE", "CTCM"):
            self.record["contacts"].append({"kind": "EMAIL" if code == "CTCE" else "PHONE",
                                            "value": text.lstrip("/").strip() or "", "traveller_ref": ref})
        elif code == "SEAT" and flight is not None:
            for element in extra:
                seat = element[0].strip()
                who = element[2].strip() if len(element) > 2 and element[2].strip() else enclosing
                if seat and who:
                    self._add_seat(who, flight, seat)
        elif code == "UMNR":
            self.record["remarks"].append({"kind": "UMNR", "text": text, "traveller_ref": ref})

    def _flight_between(self, board: str, off: str) -> int | None:
        for index, flight in enumerate(self.record["flights"]):
            if flight["departure_airport"] == board and flight["arrival_airport"] == off:
                return index
        return None

    def _owner(self, refs: list[str], enclosing: str | None, surname: str | None, given: str | None,
               infant: bool, segment: Segment, code: str) -> dict | None:
        """Which traveller an SSR DOCS/DOCO/DOCA belongs to (see the module docstring)."""
        by_name = self._by_name(surname, given) if surname else None
        if by_name is not None:
            return by_name
        for ref in refs:
            if ref in self.by_ref:
                return self.by_ref[ref]
        holder = self.by_ref.get(enclosing) if enclosing else None
        if holder is not None and infant:
            infants = [t for t in self.travellers if t["infant_of"] == holder["traveller_ref"]]
            if len(infants) == 1:
                return infants[0]
        if holder is None and len(self.travellers) == 1:
            holder = self.travellers[0]
        if holder is not None and refs:
            self.warnings.append(f"line {segment.line}: SSR {code} names traveller {refs[0]!r}, not on the PNR; "
                                 f"attached to {holder['traveller_ref']!r}")
        if holder is None:
            self.warnings.append(f"line {segment.line}: SSR {code} matches no traveller; kept in ssrs only")
        return holder

    def _docs(self, text: str, refs: list[str], enclosing: str | None, reference: dt.date, segment: Segment) -> None:
        fields = _aligned(text, 4)
        get = lambda index: values.blank_to_none(fields[index]) if index < len(fields) else None  # noqa: E731
        sex = get(5)
        surname, given = get(7), " ".join(part for part in (get(8), get(9)) if part) or None
        owner = self._owner(refs, enclosing, surname, given, (sex or "").upper() in ("MI", "FI"), segment, "DOCS")
        if owner is None:
            return
        kind = get(0)
        document = {"type": kind.upper() if kind else None, "number": get(2), "issuing_state": values.country(get(1)),
                    "expiry_date": values.ddmmmyy(get(6), reference, "nearest"), "issue_date": None,
                    "place_of_birth": None, "applicable_country": None}
        if document["number"] or document["type"]:
            same = [d for d in owner["documents"] if (d["type"], d["number"], d["issuing_state"]) ==
                    (document["type"], document["number"], document["issuing_state"])]
            if not same:
                owner["documents"].append(document)
        birth = values.ddmmmyy(get(4), reference, "past")
        owner["date_of_birth"] = owner["date_of_birth"] or birth
        owner["sex"] = owner["sex"] or (sex.upper() if sex else None)
        owner["nationality"] = owner["nationality"] or values.country(get(3))

    def _doco(self, text: str, refs: list[str], enclosing: str | None, reference: dt.date, segment: Segment) -> None:
        fields = _aligned(text, None)
        get = lambda index: values.blank_to_none(fields[index]) if index < len(fields) else None  # noqa: E731
        owner = self._owner(refs, enclosing, None, None, (get(6) or "").upper() == "I", segment, "DOCO")
        if owner is None:
            return
        kind = get(1)
        owner["documents"].append({
            "type": kind.upper() if kind else None, "number": get(2), "issuing_state": get(3),
            "expiry_date": None, "issue_date": values.ddmmmyy(get(4), reference, "past"),
            "place_of_birth": get(0), "applicable_country": values.country(get(5))})

    def _doca(self, text: str, refs: list[str], enclosing: str | None, segment: Segment) -> None:
        fields = _aligned(text, None)
        parts = [part.strip() for part in fields]
        owner = self._owner(refs, enclosing, None, None, len(parts) > 7 and parts[7].upper() == "I", segment, "DOCA")
        kind = parts[0] if parts else ""
        address = ", ".join(part for part in (parts[2:6] + parts[1:2]) if part)
        if not address:
            return
        value = f"{kind}: {address}" if kind else address
        if owner is not None:
            owner["addresses"].append(value)
        self.record["contacts"].append({"kind": "ADDRESS", "value": value,
                                        "traveller_ref": owner["traveller_ref"] if owner else None})


def _looks_like_phone(text: str) -> bool:
    digits = sum(char.isdigit() for char in text)
    return digits >= 6 and all(char.isdigit() or char in "+-() ./" for char in text)


def _aligned(text: str, date_index: int | None) -> list[str]:
    """Split SSR free text on '/', dropping the one leading slash some senders write.

    When ``date_index`` is given (DOCS: date of birth is the fifth field), the alignment that puts
    a DDMMMYY date there wins, so a leading empty field is not mistaken for the separator.
    """
    parts = text.strip().split("/")
    if parts and parts[0].strip() == "" and len(parts) > 1:
        dropped = parts[1:]
        if date_index is not None and not _looks_like_date(dropped, date_index) and _looks_like_date(parts, date_index):
            return parts
        return dropped
    return parts


def _looks_like_date(parts: list[str], index: int) -> bool:
    value = parts[index].strip().upper() if index < len(parts) else ""
    return len(value) == 7 and value[:2].isdigit() and value[2:5] in values.MONTHS and value[5:].isdigit()


def parse_pnrgov(message: Message, message_id: str) -> tuple[list[dict], list[str]]:
    """``pnr`` records of a PNRGOV message, and warnings about the message itself.

    Raises ``MessageError`` when the message cannot be read (truncated, corrupt, no PNR).
    """
    if message.truncated:
        raise MessageError(reasons.TRUNCATED, "the input ends inside the message (no UNT)",
                           message.segments[-1] if message.segments else message.unh)
    check_tags(message.segments)
    warnings = list(message.warnings)
    envelope = message.envelope
    sender = envelope.sender or envelope.group_sender or "UNKNOWN"
    push_type = "FULL"
    declared: int | None = None
    header_date: dt.date | None = None
    builders: list[_PnrBuilder] = []
    current: _PnrBuilder | None = None
    header_unmapped: dict[str, list[int]] = {}
    for segment in message.segments:
        tag = segment.tag
        if tag == "SRC":
            current = _PnrBuilder(message_id, sender, push_type, message.source_format(), segment)
            builders.append(current)
        elif current is not None:
            current.add(segment)
        elif tag == "MSG":
            code = segment.get(0, 1).strip() or segment.get(0, 0).strip()
            push_type = PUSH_TYPES.get(code, "FULL")
            if code not in PUSH_TYPES:
                warnings.append(f"line {segment.line}: MSG function {code!r} unknown; full push assumed")
        elif tag == "EQN":
            declared = values.integer(segment.get(0, 0))
        elif tag == "TVL":
            header_date = values.parse_date(values.ddmmyy(segment.get(0, 0)))
        elif tag != "ORG":
            note_unmapped(header_unmapped, segment)
    if not builders and declared != 0:
        raise MessageError(reasons.MISSING, "PNRGOV message holds no PNR (SRC)", message.first_segment)
    if declared is not None and declared != len(builders):
        warnings.append(f"EQN declares {declared} PNRs; {len(builders)} present")
    warnings.extend(describe_unmapped(header_unmapped))
    reference = header_date or values.parse_date(envelope.prepared_utc) or dt.date.today()
    return [builder.finish(reference) for builder in builders], warnings
