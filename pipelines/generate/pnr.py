"""PNRs for the generated API passengers: one per party, with the 19 EU/US element groups.

A PNR holds the same names as the API persons (given names sometimes with a title, as booked), the
locator the API persons carry, and an itinerary that contains the API flight's legs from the
party's embarkation to its debarkation, possibly with a connection before, an onward flight after
and a return trip. Contacts, payments (masked cards), frequent flyer accounts, agency, tickets,
seats, bags, SSR DOCS/DOCO/DOCA and a history fill it out. Sensitive SSR codes (religious and
medical meals, WCHR, MEDA, BLND, DEAF) and OSI free text that reveals religion or health are
planted at the rates in ``data/pnr_tables.json``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from random import Random

from pipelines.generate.names import cultures, data_path
from pipelines.generate.people import FlightContext, Traveller, ddmmmyy, iso, pattern
from pipelines.generate.world import UTC, Weighted, World, block_minutes, flight_number, local_text, utc_text

#: Alphabet of record locators: no I, O, 0 or 1, which agents misread.
LOCATOR_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_LOCATOR_SPACE = 32 ** 6  # = 2**30


class Locators:
    """Unique six-character record locators: index -> an affine bijection of [0, 32**6) -> base 32.
    Distinct indexes give distinct locators, so a 10-million-traveller run needs no memory to
    stay collision-free."""

    def __init__(self, seed: int):
        mix = Random(f"paxshare-locators:{seed}")
        self.multiplier = mix.getrandbits(30) | 1
        self.offset = mix.getrandbits(30)

    def __call__(self, index: int) -> str:
        value = (index * self.multiplier + self.offset) % _LOCATOR_SPACE
        chars = []
        for _ in range(6):
            chars.append(LOCATOR_ALPHABET[value & 31])
            value >>= 5
        return "".join(chars)


_tables_cache: dict | None = None


def tables() -> dict:
    """``data/pnr_tables.json`` with the weighted draws it needs, loaded once per process."""
    global _tables_cache
    if _tables_cache is None:
        t = json.loads(data_path("pnr_tables.json").read_text(encoding="utf-8"))
        t["card_draw"] = Weighted(t["cards"])
        # One draw per traveller decides whether (and which) sensitive SSR they get: the chance of
        # any is the sum of the code rates for their culture (or for an elderly traveller).
        t["sensitive_by_culture"] = {}
        for culture_name in cultures():
            for elderly in (False, True):
                pairs = []
                for code, spec in t["sensitive_ssrs"].items():
                    rate = spec.get("culture_rates", {}).get(culture_name, spec["rate"])
                    if elderly and "elderly_rate" in spec:
                        rate = spec["elderly_rate"]
                    pairs.append(((code, spec["text"]), rate))
                t["sensitive_by_culture"][(culture_name, elderly)] = (sum(r for _, r in pairs), Weighted(pairs))
        plain = [(code, spec) for code, spec in t["other_ssrs"].items() if not spec.get("infant_carrier_only")]
        t["other_adult"] = (sum(spec["rate"] for _, spec in plain if not spec.get("children_only")),
                            Weighted(((c, spec["text"]), spec["rate"]) for c, spec in plain if not spec.get("children_only")))
        t["other_child"] = (sum(spec["rate"] for _, spec in plain),
                            Weighted(((c, spec["text"]), spec["rate"]) for c, spec in plain))
        _tables_cache = t
    return _tables_cache


_TITLES = {("M", "A"): "MR", ("F", "A"): "MS", ("M", "C"): "MSTR", ("F", "C"): "MISS"}


def _pnr_sex(sex: str, ptype: str) -> str:
    if sex in ("M", "F"):
        return sex + "I" if ptype == "IN" else sex
    return "U"


def _segment(carrier: str, number: str, dep, arr, dep_utc, arr_utc, booking_class: str,
             operating: str | None = None, operating_number: str | None = None) -> dict:
    return {
        "carrier": carrier, "number": number,
        "departure_airport": dep.iata, "departure_local": local_text(dep_utc.astimezone(dep.tz)),
        "arrival_airport": arr.iata, "arrival_local": local_text(arr_utc.astimezone(arr.tz)),
        "operating_carrier": operating, "operating_number": operating_number,
        "booking_class": booking_class, "status": "HK",
    }


_partners: dict = {}


def _domestic_carrier(rng: Random, w: World, carrier, country: str):
    """Who flies a domestic connection in ``country``: the carrier itself at home, else a carrier of
    that country (a code-share partner), else the carrier."""
    if carrier.country == country:
        return carrier
    draw = _partners.get(country)
    if draw is None:
        local = w.carriers_of(country)
        draw = _partners[country] = Weighted((c, c.weight) for c in local) if local else False
    return draw.draw(rng) if draw else carrier


def _connection(rng: Random, w: World, carrier, airport, before: bool, moment):
    """A domestic flight that feeds (``before``) or continues from ``airport``; None if the
    country has no other airport in the tables. Returns (carrier, from, to, dep_utc, arr_utc)."""
    draw = w.by_country.get(airport.country)
    if draw is None:
        return None
    other_code = draw.draw(rng)
    if other_code == airport.iata:
        return None
    other = w.airport(other_code)
    minutes = block_minutes(other, airport)
    if before:
        arr = moment - timedelta(minutes=90 + 15 * int(rng.random() * 12))
        dep = arr - timedelta(minutes=minutes)
        a, b = other, airport
    else:
        dep = moment + timedelta(minutes=75 + 15 * int(rng.random() * 12))
        arr = dep + timedelta(minutes=minutes)
        a, b = airport, other
    return _domestic_carrier(rng, w, carrier, airport.country), a, b, dep, arr


def _flown(carrier, a, b, dep, cabin: str) -> tuple[dict, object]:
    arr = dep + timedelta(minutes=block_minutes(a, b))
    return _segment(carrier.code, flight_number(carrier, (a.iata, b.iata), False), a, b, dep, arr, cabin), arr


def build_pnr(ctx: FlightContext, party: list[Traveller], locator: str, message_id: str, split_locator,
              stats: dict) -> tuple[dict, int]:
    """The PNR record of ``party`` and the index of its first segment on the API flight."""
    rng = ctx.rng
    rand = rng.random
    t = tables()
    plan = ctx.plan
    w = ctx.world
    carrier = plan.carrier
    airports = ctx.airports
    embark, debark = party[0].embark, party[0].debark
    cabin = t["booking_classes"][int(rand() * len(t["booking_classes"]))]
    segments: list[dict] = []
    first_dep = plan.legs[embark].dep_utc
    last_arr = plan.legs[debark - 1].arr_utc
    pre = _connection(rng, w, carrier, airports[embark], True, first_dep) if rand() < 0.22 else None
    if pre:
        c, a, b, dep, arr = pre
        segments.append(_segment(c.code, flight_number(c, (a.iata, b.iata), False), a, b, dep, arr, cabin))
    api_index = len(segments)
    templates = ctx.cache.get("pnr_segments")
    if templates is None:
        operating_number = str(int(plan.number.rstrip("A")) + 1000) if plan.operating_carrier else None
        templates = ctx.cache["pnr_segments"] = [
            _segment(carrier.code, plan.number, leg.departure, leg.arrival, leg.dep_utc, leg.arr_utc, cabin,
                     plan.operating_carrier, operating_number) for leg in plan.legs]
    for template in templates[embark:debark]:
        segment = dict(template)
        segment["booking_class"] = cabin
        segments.append(segment)
    api_count = debark - embark
    first_api_dep = plan.legs[embark].dep_utc
    post = _connection(rng, w, carrier, airports[debark], False, last_arr) if rand() < 0.12 else None
    if post:
        c, a, b, dep, arr = post
        segments.append(_segment(c.code, flight_number(c, (a.iata, b.iata), False), a, b, dep, arr, cabin))
    round_trip = rand() < 0.62
    if round_trip:
        # The way back, some days later: the connections reversed around a nonstop home.
        moment = last_arr + timedelta(days=3 + int(rand() * 26), minutes=5 * int(rand() * 120))
        if post:
            c, a, b, _, _ = post
            segment, moment = _flown(c, b, a, moment, cabin)
            segments.append(segment)
            moment += timedelta(minutes=90 + 15 * int(rand() * 8))
        segment, moment = _flown(carrier, airports[debark], airports[embark], moment, cabin)
        segments.append(segment)
        if pre:
            c, a, b, _, _ = pre
            segment, _ = _flown(c, b, a, moment + timedelta(minutes=90 + 15 * int(rand() * 8)), cabin)
            segments.append(segment)
    route = segments[0]["departure_airport"] + "".join(f" {seg['carrier']} {seg['arrival_airport']}" for seg in segments)

    dep_ord = ctx.dep_ord
    creation_ord = dep_ord - 1 - int((rand() ** 2) * 300)
    travellers = []
    ssrs = []
    seats = []
    bags = []
    statuses = []
    tickets = []
    frequent = []
    remarks = []
    history = []
    lead = party[0]
    office = f"{airports[embark].iata}{carrier.code}{pattern(rng, 'DD')}{pattern(rng, 'LL')}"
    fare_total = 0.0
    currency = t["currency_by_country"].get(lead.record["residence_country"] or "", None) \
        or t["currency_by_country"].get(airports[embark].country, "USD")
    base_fare = 90.0 + block_minutes(airports[embark], airports[debark]) * (0.9 + rand() * 1.6)
    if round_trip:
        base_fare *= 1.8
    sensitive_by_culture = t["sensitive_by_culture"]
    other_adult, other_child = t["other_adult"], t["other_child"]
    for index, member in enumerate(party):
        rec = member.record
        ref = str(index + 1)
        given = rec["given_names"]
        if given == "":
            given = "FNU" if rand() < 0.5 else ""
        elif rand() < 0.3 and (rec["sex"], member.ptype) in _TITLES:
            given = given + " " + _TITLES[(rec["sex"], member.ptype)]
        docs = []
        for doc in rec["documents"]:
            if doc["type"] == "V":
                continue
            docs.append({"type": doc["type"], "number": doc["number"], "issuing_state": doc["issuing_state"],
                         "expiry_date": doc["expiry_date"], "issue_date": None, "place_of_birth": None,
                         "applicable_country": None})
            ssrs.append({"code": "DOCS", "status": "HK", "traveller_ref": ref, "segment": None,
                         "text": f"{doc['type']}/{doc['issuing_state']}/{doc['number']}/{rec['nationality']}/"
                                 f"{ddmmmyy(member.dob_ord)}/{_pnr_sex(rec['sex'], member.ptype)}/"
                                 f"{_ddmmmyy_text(doc['expiry_date'])}/{rec['surname']}/{rec['given_names']}"})
            break
        if member.visa is not None:
            visa = member.visa
            docs.append({"type": "V", "number": visa["number"], "issuing_state": visa["issuing_state"],
                         "expiry_date": visa["expiry_date"], "issue_date": visa["issue_date"],
                         "place_of_birth": rec["place_of_birth"], "applicable_country": visa["issuing_state"]})
            ssrs.append({"code": "DOCO", "status": "HK", "traveller_ref": ref, "segment": None,
                         "text": f"{rec['place_of_birth'] or ''}/V/{visa['number']}/{visa['issuing_state']}/"
                                 f"{_ddmmmyy_text(visa['issue_date'])}/{visa['issuing_state']}"})
        addresses = []
        if rec["address"] and rand() < 0.5:
            dest_country = airports[debark].country
            addresses.append(f"D/{dest_country}/{rec['address']}")
            ssrs.append({"code": "DOCA", "status": "HK", "traveller_ref": ref, "segment": None,
                         "text": f"D/{dest_country}/{rec['address']}"})
        travellers.append({
            "traveller_ref": ref, "surname": rec["surname"], "given_names": given, "traveller_type": member.ptype,
            "infant_of": str(member.infant_of + 1) if member.infant_of is not None else None,
            "date_of_birth": rec["date_of_birth"], "sex": _pnr_sex(rec["sex"], member.ptype),
            "nationality": rec["nationality"], "documents": docs, "addresses": addresses,
        })
        if member.ptype == "IN" and member.infant_of is not None:
            ssrs.append({"code": "INFT", "status": "HK", "traveller_ref": str(member.infant_of + 1),
                         "segment": api_index, "text": f"{rec['surname']}/{rec['given_names']} {ddmmmyy(member.dob_ord)}"})
            if rand() < t["other_ssrs"]["BSCT"]["rate"]:
                ssrs.append({"code": "BSCT", "status": "HK", "traveller_ref": str(member.infant_of + 1),
                             "segment": api_index, "text": "BASSINET"})
        # Meals and services, sensitive ones at their rates (higher in cultures that observe them).
        total, draw = sensitive_by_culture[(member.culture, member.age_days > 70 * 365)]
        if rand() < total:
            code, text = draw.draw(rng)
            ssrs.append({"code": code, "status": "HK", "traveller_ref": ref, "segment": api_index, "text": text})
            stats[code] = stats.get(code, 0) + 1
        total, draw = other_child if member.ptype == "C" else other_adult
        if rand() < total:
            code, text = draw.draw(rng)
            ssrs.append({"code": code, "status": "HK", "traveller_ref": ref, "segment": api_index, "text": text})
        if member.ptype != "IN" and member.age_days > 12 * 365 and rand() < 0.25:
            ff_number = pattern(rng, "DDDDDDDDD" if rand() < 0.5 else "DDDDDDDDDD")
            tier = t["ff_tiers"][int((rand() ** 2) * len(t["ff_tiers"]))]
            frequent.append({"traveller_ref": ref, "airline": carrier.code, "number": ff_number, "tier": tier})
            ssrs.append({"code": "FQTV", "status": "HK", "traveller_ref": ref, "segment": None,
                         "text": f"{carrier.code}{ff_number}"})
        # Travel status for the segments on the API flight (the others are confirmed, status HK).
        status = "BOARDED" if rand() < 0.4 else "CHECKED_IN"
        checkin = utc_text(first_api_dep - timedelta(minutes=40 + int(rand() * 1400)))
        for s in range(api_index, api_index + api_count):
            statuses.append({"traveller_ref": ref, "segment": s, "status": status, "check_in_utc": checkin})
            if rec["seat"]:
                seats.append({"traveller_ref": ref, "segment": s, "seat": rec["seat"]})
        if rec["bag_count"]:
            bags.append({"traveller_ref": ref, "count": rec["bag_count"], "weight_kg": rec["bag_weight_kg"],
                         "tags": list(rec["bag_tags"])})
        fare = round(base_fare * (0.1 if member.ptype == "IN" else 0.75 if member.ptype == "C" else 1.0), 2)
        fare_total += fare
        issue_ord = creation_ord + int(rand() * max(1, min(3, dep_ord - creation_ord)))
        tickets.append({
            "traveller_ref": ref, "number": carrier.accounting + pattern(rng, "DDDDDDDDDD"),
            "issue_date": iso(min(issue_ord, dep_ord - 1)), "one_way": not round_trip, "fare_amount": fare,
            "currency": currency,
            "fare_calculation": f"{route}{fare:.2f}NUC{fare:.2f}END",
        })
    lead_rec = lead.record
    email_user = (lead_rec["given_names"].split(" ")[0] if lead_rec["given_names"] else "pax").lower() + "." + \
        lead_rec["surname"].replace(" ", "").lower()
    contacts = []
    if rand() < 0.93:
        country_code = {"USA": "1", "CAN": "1", "MEX": "52"}.get(lead_rec["residence_country"] or "", "44")
        phone = f"+{country_code} {pattern(rng, 'DDD')} 555 01{pattern(rng, 'DD')}"
        contacts.append({"kind": "PHONE", "value": phone, "traveller_ref": "1"})
        ssrs.append({"code": "CTCM", "status": "HK", "traveller_ref": "1", "segment": None,
                     "text": phone.replace(" ", "").lstrip("+")})
    if rand() < 0.85:
        domain = t["email_domains"][int(rand() * len(t["email_domains"]))]
        email = f"{email_user}{pattern(rng, 'DD')}@{domain}"
        contacts.append({"kind": "EMAIL", "value": email.upper(), "traveller_ref": "1"})
        ssrs.append({"code": "CTCE", "status": "HK", "traveller_ref": "1", "segment": None,
                     "text": email.upper().replace("@", "//")})
    billing = lead_rec["address"]
    if billing and rand() < 0.3:
        contacts.append({"kind": "ADDRESS", "value": billing, "traveller_ref": "1"})
    holder = f"{lead_rec['given_names']} {lead_rec['surname']}".strip()
    p = rand()
    if p < 0.92:
        card = t["card_draw"].draw(rng)
        payments = [{"method": "CC", "card_type": card, "masked_card_number": "XXXXXXXXXXXX" + pattern(rng, "DDDD"),
                     "card_holder": holder, "amount": round(fare_total, 2), "currency": currency,
                     "billing_address": billing if rand() < 0.5 else None}]
    elif p < 0.97:
        payments = [{"method": "CA", "card_type": None, "masked_card_number": None, "card_holder": None,
                     "amount": round(fare_total, 2), "currency": currency, "billing_address": None}]
    elif p < 0.98:
        payments = [{"method": "GR", "card_type": None, "masked_card_number": None, "card_holder": holder,
                     "amount": round(fare_total, 2), "currency": currency, "billing_address": None}]
    else:
        payments = [{"method": "MS", "card_type": None, "masked_card_number": None, "card_holder": None,
                     "amount": round(fare_total, 2), "currency": currency, "billing_address": None}]
    agency = None
    if rand() < 0.38:
        a = t["agencies"][int(rand() * len(t["agencies"]))]
        agency = {"name": a["name"], "iata_number": pattern(rng, "DDDDDDDD"), "agent_id": pattern(rng, "DDDDLL"),
                  "city": a["city"], "country": a["country"]}
        office = f"{airports[embark].iata}1A0{pattern(rng, 'DDD')}"
    if rand() < t["ordinary_remark_rate_per_pnr"]:
        text = t["ordinary_remarks"][int(rand() * len(t["ordinary_remarks"]))]
        remarks.append({"kind": "GENERAL", "text": text, "traveller_ref": None})
    if rand() < t["sensitive_remark_rate_per_pnr"]:
        text = t["sensitive_remarks"][int(rand() * len(t["sensitive_remarks"]))]
        ref = str(1 + int(rand() * len(party)))
        remarks.append({"kind": "OSI", "text": text, "traveller_ref": ref})
        stats["SENSITIVE_REMARK"] = stats.get("SENSITIVE_REMARK", 0) + 1
    if len(party) == 1 and lead.age_days < 15 * 365:
        remarks.append({"kind": "UMNR", "text": f"UMNR {lead.age_days // 365} YRS MEET BY PARENT AT ARRIVAL",
                        "traveller_ref": "1"})
        ssrs.append({"code": "UMNR", "status": "HK", "traveller_ref": "1", "segment": api_index,
                     "text": f"UM{lead.age_days // 365:02d}"})
    split_from = None
    split_into: list[str] = []
    r = rand()
    if r < 0.015:
        split_from = split_locator()
    elif r < 0.02:
        split_into = [split_locator()]
    # History: creation, names, itinerary, contacts, payment, ticketing, seats, a few changes.
    created = _moment(creation_ord, rng)
    moment = created
    history.append({"time_utc": utc_text(moment), "action": "A", "office": office,
                    "text": " ".join(f"NM1{m['surname'].replace(' ', '')}/{m['given_names'].replace(' ', '')}"
                                     for m in travellers)})
    history.append({"time_utc": utc_text(moment), "action": "A", "office": office,
                    "text": " ".join(f"SS {seg['carrier']}{seg['number']} {seg['booking_class']} "
                                     f"{seg['departure_airport']}{seg['arrival_airport']} HK{len(party)}"
                                     for seg in segments)})
    moment = moment + timedelta(minutes=2 + int(rand() * 30))
    history.append({"time_utc": utc_text(moment), "action": "A", "office": office,
                    "text": f"FP {payments[0]['method']}"
                            + (f" {payments[0]['card_type']}{payments[0]['masked_card_number']}"
                               if payments[0]["card_type"] else "")})
    if rand() < 0.3:
        moment = moment + timedelta(days=int(rand() * max(1, dep_ord - creation_ord - 1)))
        old = t["booking_classes"][int(rand() * len(t["booking_classes"]))]
        history.append({"time_utc": utc_text(moment), "action": "X", "office": office,
                        "text": f"SS {carrier.code}{plan.number} {old} CANCELLED REBOOKED {cabin}"})
    last_modified = moment
    limit = plan.legs[embark].dep_utc - timedelta(hours=1)
    if last_modified > limit:
        last_modified = limit
    record = {
        "schema_version": 1,
        "message_id": message_id,
        "sender": carrier.code,
        "push_type": "FULL" if rand() < 0.85 else "CHANGES",
        "record_locator": locator,
        "creation_date": iso(creation_ord),
        "last_modified_utc": utc_text(last_modified),
        "booking_office": office,
        "travel_agency": agency,
        "flights": segments,
        "travellers": travellers,
        "contacts": contacts,
        "payments": payments,
        "frequent_flyer": frequent,
        "travel_status": statuses,
        "split_from": split_from,
        "split_into": split_into,
        "remarks": remarks,
        "tickets": tickets,
        "seats": seats,
        "bags": bags,
        "party_size": len(party),
        "ssrs": ssrs,
        "history": history,
        "warnings": [],
        "source_format": "paxshare-generate",
    }
    return record, api_index


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _ddmmmyy_text(iso_date: str) -> str:
    """``2031-03-11`` -> ``11MAR31``."""
    return f"{iso_date[8:10]}{_MONTHS[int(iso_date[5:7]) - 1]}{iso_date[2:4]}"


def _moment(ordinal: int, rng: Random) -> datetime:
    d = date.fromordinal(ordinal)
    return datetime(d.year, d.month, d.day, int(rng.random() * 24), int(rng.random() * 60), tzinfo=UTC)


__all__ = ["Locators", "build_pnr", "tables", "LOCATOR_ALPHABET"]
