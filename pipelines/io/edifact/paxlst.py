"""PAXLST (D02B, D05B, D15B; UN/IATA guide and US CBP variant) to ``api_manifest`` records.

One record per message. The message's groups, in the order the guide gives them:

* header: BGM (list type and function), RFF+TN, NAD+MS/COM (reporting party), DTM;
* flight: TDT (carrier + number) with LOC/DTM pairs for its stops (LOC+125 departure, LOC+87
  arrival, LOC+92 an intermediate stop whose DTM says which), several TDT for multi-leg flights;
* persons: one NAD (FL passenger, FM crew, DDU/DDT in transit) and what follows it: ATT, DTM+329,
  MEA, FTX+BAG, GEI, LOC, NAT, RFF, EMP, and DOC groups (DOC, DTM+36/182, LOC+91);
* CNT+42 passengers, CNT+41 crew (both ``CNT+42:2`` and ``CNT+41+8`` forms occur).

A manifest holds one flight: the TDT whose stops include LOC+125 or LOC+87 (the leg crossing the
border), else the first; its legs are those of every TDT with the same carrier and number. Other
flights of a multi-leg itinerary are named in ``warnings``, as is every segment nothing in the
schema holds.

US crew lists send a list type after BGM 250/336 (``BGM+250+C``); per the CBP APIS guide
(*unverified* list): C/B regularly scheduled crew, CC/BC crew change, D/E overflight, F/G domestic
continuance (passenger/cargo flights). Those mean an original list, noted in ``warnings``.
"""

from __future__ import annotations

import datetime as dt

from pipelines.io.edifact import values
from pipelines.io.edifact.envelope import Message
from pipelines.io.edifact.errors import MessageError, describe_unmapped, note_unmapped
from pipelines.io.edifact.tokenizer import Segment
from pipelines import reasons

DOCUMENT_CODES = {
    "745": "PASSENGER_LIST", "250": "CREW_LIST", "266": "FLIGHT_STATUS_UPDATE",
    "336": "MASTER_CREW_LIST", "655": "GATE_PASS",
}
FUNCTION_CODES = {
    "": "ORIGINAL", "CP": "CHANGE_PASSENGER", "XR": "CANCEL_RESERVATION", "RP": "REDUCTION_IN_PARTY",
    "CL": "FLIGHT_CLOSE", "CLNB": "CLOSE_NOT_ON_BOARD", "CLOB": "CLOSE_ON_BOARD", "XF": "CANCEL_FLIGHT",
    "CF": "CHANGE_FLIGHT",
}
US_CREW_LIST_TYPES = {
    "C": "passenger flight, regularly scheduled crew", "CC": "passenger flight, crew change",
    "B": "cargo flight, regularly scheduled crew", "BC": "cargo flight, crew change",
    "D": "overflight, passenger flight", "E": "overflight, cargo flight",
    "F": "domestic continuance, passenger flight", "G": "domestic continuance, cargo flight",
}
ROLES = {"FL": "PASSENGER", "FM": "CREW", "DDU": "IN_TRANSIT_PASSENGER", "DDT": "IN_TRANSIT_CREW"}
PASSENGER_ROLES = ("PASSENGER", "IN_TRANSIT_PASSENGER")
SEX_WORDS = {"MALE": "M", "FEMALE": "F"}
DEPARTURE, ARRIVAL, STOP = "125", "87", "92"


def _new_person(role: str, segment: Segment) -> dict:
    name = segment.element(3)
    surname = (name[0].strip() or None) if name else None
    given = None
    if len(name) > 1:
        given = " ".join(part.strip() for part in name[1:] if part.strip()) or None
    if surname is None and given is None:
        unstructured = [part.strip() for index in (1, 2) for part in segment.element(index) if part.strip()]
        surname = " ".join(unstructured) or None
    address = None
    if segment.size > 4:
        address_parts = [" ".join(p.strip() for p in segment.element(4) if p.strip())]
        address_parts += [segment.get(index, 0).strip() for index in (5, 6, 7, 8)]
        address = ", ".join(part for part in address_parts if part) or None
    return {
        "person_id": "", "role": role, "surname": surname, "given_names": given,
        "date_of_birth": None, "sex": None, "nationality": None, "residence_country": None,
        "place_of_birth": None, "address": address, "embarkation_airport": None,
        "debarkation_airport": None, "documents": [], "seat": None, "bag_count": None,
        "bag_weight_kg": None, "bag_tags": [], "pnr_locator": None, "unique_passenger_reference": None,
        "verified": None, "crew_role": None,
    }


def _new_document(segment: Segment) -> dict:
    kind = values.blank_to_none(segment.get(0, 0))
    return {"type": kind.upper() if kind else None, "number": values.blank_to_none(segment.get(1, 0)),
            "issuing_state": None, "expiry_date": None, "issue_date": None, "mrz_line": None}


class _Builder:
    """Walks one message's segments once, filling the manifest as it goes."""

    def __init__(self, message: Message, message_id: str):
        self.message = message
        self.message_id = message_id
        self.warnings: list[str] = list(message.warnings)
        self.unmapped: dict[str, list[int]] = {}
        self.bgm: Segment | None = None
        self.transaction_reference: str | None = None
        self.contact: list[str] = []
        self.flights: list[dict] = []          # TDT groups: carrier, number, stops, line
        self.persons: list[dict] = []
        self.raw_birth: list[tuple[dict, str | None]] = []
        self.raw_doc_dates: list[tuple[dict, str, str | None]] = []
        self.person: dict | None = None
        self.document: dict | None = None
        self.declared_passengers: int | None = None
        self.declared_crew: int | None = None
        self.handlers = {
            "NAD": self._nad, "ATT": self._att, "DTM": self._dtm, "LOC": self._loc, "NAT": self._nat,
            "RFF": self._rff, "DOC": self._doc, "MEA": self._mea, "FTX": self._ftx, "GEI": self._gei,
            "EMP": self._emp, "TDT": self._tdt, "BGM": self._bgm, "COM": self._com, "CNT": self._cnt,
        }

    # -- walking ---------------------------------------------------------------------------
    def run(self) -> dict:
        handlers = self.handlers
        unmapped = self.unmapped
        for segment in self.message.segments:
            handler = handlers.get(segment.tag)
            if handler is None or handler(segment) is False:
                note_unmapped(unmapped, segment)
        return self._finish()

    # -- header ----------------------------------------------------------------------------
    def _bgm(self, segment: Segment):
        if self.bgm is not None:
            self.warnings.append(f"line {segment.line}: second BGM ignored")
            return False
        self.bgm = segment
        return True

    def _com(self, segment: Segment):
        if self.person is not None:
            return False
        for components in segment.elements:
            number = components[0].strip() if components else ""
            if number:
                kind = components[1].strip() if len(components) > 1 else ""
                self.contact.append(f"{kind} {number}".strip())
        return True

    def _tdt(self, segment: Segment):
        if self.person is not None:
            return False
        hint = values.blank_to_none(segment.get(4, 0))
        carrier, number = values.split_flight(segment.get(1, 0), hint)
        operating = hint.upper() if hint and carrier and hint.upper() != carrier else None
        self.flights.append({"qualifier": segment.get(0, 0).strip(), "carrier": carrier, "number": number,
                             "operating": operating, "stops": [], "segment": segment})
        return True

    def _cnt(self, segment: Segment):
        qualifier, count = segment.get(0, 0).strip(), segment.get(0, 1)
        if not count.strip():
            count = segment.get(1, 0)
        value = values.integer(count)
        if qualifier == "42":
            self.declared_passengers = value
        elif qualifier == "41":
            self.declared_crew = value
        else:
            return False
        if value is None:
            self.warnings.append(f"line {segment.line}: CNT+{qualifier} count {count!r} is not a number")
        return True

    # -- persons ---------------------------------------------------------------------------
    def _nad(self, segment: Segment):
        qualifier = segment.get(0, 0).strip().upper()
        role = ROLES.get(qualifier)
        if role is None:
            if qualifier == "MS" and self.person is None:
                name = " ".join(p.strip() for p in segment.element(3) if p.strip())
                if name:
                    self.contact.insert(0, name)
                return True
            return False
        person = _new_person(role, segment)
        self.persons.append(person)
        self.person = person
        self.document = None
        return True

    def _att(self, segment: Segment):
        person = self.person
        if person is None or segment.get(0, 0).strip() != "2":
            return False
        sex = values.blank_to_none(segment.get(2, 0))
        if sex is not None:
            sex = sex.upper()
            sex = SEX_WORDS.get(sex, sex)
        person["sex"] = sex
        return True

    def _dtm(self, segment: Segment):
        parts = segment.element(0) + ["", "", ""]
        qualifier, value, form = parts[0].strip(), parts[1], parts[2].strip()
        person = self.person
        if person is None:
            if qualifier in ("189", "232") and self.flights and self.flights[-1]["stops"]:
                stop = self.flights[-1]["stops"][-1]
                stop["departure" if qualifier == "189" else "arrival"] = values.dtm_value(value, form)
                return True
            return False
        if qualifier == "329":
            self.raw_birth.append((person, value))
            return True
        if qualifier in ("36", "182") and self.document is not None:
            self.raw_doc_dates.append((self.document, "expiry_date" if qualifier == "36" else "issue_date", value))
            return True
        return False

    def _loc(self, segment: Segment):
        qualifier = segment.get(0, 0).strip()
        place = segment.get(1, 0).strip() or None
        person = self.person
        if person is None:
            if qualifier in (DEPARTURE, ARRIVAL, STOP) and self.flights:
                self.flights[-1]["stops"].append({"qualifier": qualifier, "airport": place.upper() if place else None,
                                                  "departure": None, "arrival": None})
                return True
            return False
        if qualifier == "178":
            person["embarkation_airport"] = place.upper() if place else None
        elif qualifier == "179":
            person["debarkation_airport"] = place.upper() if place else None
        elif qualifier == "174":
            person["residence_country"] = values.country(place)
        elif qualifier == "180":
            parts = [part.strip() for part in segment.element(1) if part.strip()]
            person["place_of_birth"] = ", ".join(parts) or None
        elif qualifier == "91" and self.document is not None:
            self.document["issuing_state"] = values.country(place)
        else:
            return False
        return True

    def _nat(self, segment: Segment):
        if self.person is None:
            return False
        self.person["nationality"] = values.country(segment.get(1, 0))
        return True

    def _rff(self, segment: Segment):
        parts = segment.element(0)
        qualifier = parts[0].strip().upper() if parts else ""
        value = (parts[1].strip() or None) if len(parts) > 1 else None
        person = self.person
        if person is None:
            if qualifier == "TN":
                self.transaction_reference = value
                return True
            return False
        if qualifier == "AVF":
            person["pnr_locator"] = value
        elif qualifier == "ABO":
            person["unique_passenger_reference"] = value
        elif qualifier == "SEA":
            person["seat"] = value
        else:
            return False
        return True

    def _doc(self, segment: Segment):
        if self.person is None:
            return False
        document = _new_document(segment)
        self.person["documents"].append(document)
        self.document = document
        return True

    def _mea(self, segment: Segment):
        person = self.person
        if person is None:
            return False
        qualifier = segment.get(0, 0).strip().upper()
        measure = segment.element(2)
        unit, amount = (measure[0], measure[1]) if len(measure) > 1 else ("", measure[0] if measure else "")
        if qualifier == "CT":
            person["bag_count"] = values.integer(amount)
        elif qualifier == "WT":
            person["bag_weight_kg"] = values.weight_kg(values.number(amount), unit)
        else:
            return False
        return True

    def _ftx(self, segment: Segment):
        person = self.person
        if person is None or segment.get(0, 0).strip().upper() != "BAG":
            return False
        tag, count = segment.get(3, 0), values.integer(segment.get(3, 1))
        person["bag_tags"].extend(values.consecutive_tags(tag, count))
        return True

    def _gei(self, segment: Segment):
        if self.person is None or segment.get(0, 0).strip() != "4":
            return False
        code = segment.get(1, 0).strip()
        if code not in ("173", "174"):
            return False
        self.person["verified"] = code == "173"
        return True

    def _emp(self, segment: Segment):
        if self.person is None:
            return False
        self.person["crew_role"] = values.blank_to_none(segment.get(1, 0))
        return True

    # -- finishing -------------------------------------------------------------------------
    def _finish(self) -> dict:
        message = self.message
        if not self.persons and not self.flights:
            first = message.first_segment
            raise MessageError(reasons.MISSING, "PAXLST message has neither a flight (TDT) nor persons (NAD)", first)
        flight = self._flight()
        departure = values.parse_date((flight["legs"][0]["departure_local"] if flight["legs"] else None))
        reference = departure or values.parse_date(message.envelope.prepared_utc) or dt.date.today()
        for person, raw in self.raw_birth:
            person["date_of_birth"] = values.yymmdd(raw, reference, "past")
        for document, field, raw in self.raw_doc_dates:
            document[field] = values.yymmdd(raw, reference, "nearest" if field == "expiry_date" else "past")
        self._assign_person_ids()
        message_type, function = self._list_type()
        self._check_counts()
        roles = [person["role"] for person in self.persons]
        flight["in_transit"] = bool(roles) and all(role.startswith("IN_TRANSIT") for role in roles)
        envelope = message.envelope
        return {
            "schema_version": 3,
            "message_id": self.message_id,
            "sender": envelope.sender or envelope.group_sender or "UNKNOWN",
            "sender_contact": "; ".join(self.contact) or None,
            "message_type": message_type,
            "message_function": function,
            "transaction_reference": self.transaction_reference,
            "prepared_utc": envelope.prepared_utc,
            "flight": flight,
            "declared_passenger_count": self.declared_passengers,
            "declared_crew_count": self.declared_crew,
            "persons": self.persons,
            "warnings": self.warnings + describe_unmapped(self.unmapped),
            "source_format": message.source_format(),
            "list_part": self._list_part(),
        }

    def _list_part(self) -> dict | None:
        """Which part of a list sent in several messages this one is (UNH 0068 and S010)."""
        message = self.message
        if message.transfer_number is None:
            return None
        return {"reference": message.common_access_reference, "number": message.transfer_number,
                "last": message.transfer_last}

    def _flight(self) -> dict:
        groups = self.flights
        if not groups:
            self.warnings.append("no flight (TDT) in the message")
            return {"carrier": None, "number": None, "operating_carrier": None, "in_transit": False, "legs": []}
        crossing = [g for g in groups if any(s["qualifier"] in (DEPARTURE, ARRIVAL) for s in g["stops"])]
        reported = crossing[0] if crossing else groups[0]
        if not crossing and len(groups) > 1:
            self.warnings.append("no TDT has LOC+125/87; the first flight is taken as the reported one")
        same = [g for g in groups if (g["carrier"], g["number"]) == (reported["carrier"], reported["number"])]
        legs: list[dict] = []
        for group in same:
            legs.extend(self._legs(group))
        for group in groups:
            if group not in same:
                route = "-".join(s["airport"] or "?" for s in group["stops"])
                self.warnings.append(f"line {group['segment'].line}: other flight of the itinerary not in this manifest: "
                                     f"{group['carrier'] or ''}{group['number'] or ''} {route}".rstrip())
        return {"carrier": reported["carrier"], "number": reported["number"],
                "operating_carrier": reported["operating"], "in_transit": False, "legs": legs}

    def _legs(self, group: dict) -> list[dict]:
        """Stops to legs: a departure opens a leg, an arrival closes it (LOC+92 by its DTM, else by turn)."""
        legs: list[dict] = []
        open_leg: dict | None = None
        for stop in group["stops"]:
            qualifier = stop["qualifier"]
            arrives = qualifier == ARRIVAL or (qualifier == STOP and (stop["arrival"] is not None or (
                stop["departure"] is None and open_leg is not None)))
            departs = qualifier == DEPARTURE or (qualifier == STOP and (stop["departure"] is not None or not arrives))
            if arrives:
                if open_leg is None:
                    open_leg = _leg(None, None)
                open_leg["arrival_airport"], open_leg["arrival_local"] = stop["airport"], stop["arrival"]
                legs.append(open_leg)
                open_leg = None
            if departs:
                if open_leg is not None:
                    legs.append(open_leg)
                open_leg = _leg(stop["airport"], stop["departure"])
        if open_leg is not None:
            legs.append(open_leg)
        return legs

    def _assign_person_ids(self) -> None:
        seen: set[str] = set()
        for index, person in enumerate(self.persons, start=1):
            reference = person["unique_passenger_reference"]
            if reference and reference not in seen:
                person["person_id"] = reference
            else:
                if reference:
                    self.warnings.append(f"RFF+ABO {reference!r} repeats; person {index} gets a positional id")
                person["person_id"] = f"P{index:04d}"
                while person["person_id"] in seen:
                    person["person_id"] += "_"
            seen.add(person["person_id"])

    def _list_type(self) -> tuple[str, str]:
        bgm = self.bgm
        code = bgm.get(0, 0).strip() if bgm is not None else ""
        message_type = DOCUMENT_CODES.get(code)
        if message_type is None:
            roles = {person["role"] for person in self.persons}
            inferred = "CREW_LIST" if roles and roles <= {"CREW", "IN_TRANSIT_CREW"} else "PASSENGER_LIST"
            what = f"BGM document code {code!r} unknown" if code else "no BGM document code"
            self.warnings.append(f"{what}; {inferred} inferred from the NAD roles")
            message_type = inferred
        identifier = bgm.get(1, 0).strip().upper() if bgm is not None else ""
        function = FUNCTION_CODES.get(identifier)
        if function is None:
            if code in ("250", "336") and identifier in US_CREW_LIST_TYPES:
                self.warnings.append(f"BGM list type {identifier!r}: {US_CREW_LIST_TYPES[identifier]}")
                function = "ORIGINAL"
            else:
                self.warnings.append(f"BGM message function {identifier!r} unknown")
                function = "UNKNOWN"
        return message_type, function

    def _check_counts(self) -> None:
        passengers = sum(person["role"] in PASSENGER_ROLES for person in self.persons)
        crew = len(self.persons) - passengers
        number = self.message.transfer_number
        part = f" (part {number} of a list sent in parts: the count may be the whole list's)" if number else ""
        if self.declared_passengers is not None and self.declared_passengers != passengers:
            self.warnings.append(f"CNT+42 declares {self.declared_passengers} passengers; {passengers} present{part}")
        if self.declared_crew is not None and self.declared_crew != crew:
            self.warnings.append(f"CNT+41 declares {self.declared_crew} crew; {crew} present{part}")


def _leg(airport: str | None, departure: str | None) -> dict:
    return {"departure_airport": airport, "departure_local": departure, "departure_utc": None,
            "arrival_airport": None, "arrival_local": None, "arrival_utc": None}


def parse_paxlst(message: Message, message_id: str) -> dict:
    """One ``api_manifest`` record from a PAXLST message; raises ``MessageError`` when impossible."""
    if message.truncated:
        raise MessageError(reasons.TRUNCATED, "the input ends inside the message (no UNT)", message.segments[-1]
                           if message.segments else message.unh)
    return _Builder(message, message_id).run()
