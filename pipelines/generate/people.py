"""API persons: who travels, with which documents, seats and bags.

Every valid person satisfies the validator's conventions with a margin: born at least 14 days and
at most 100 years before the departure date, documents issued before departure (and after birth)
and valid for at least 45 days after it, known ISO 3166 alpha-3 countries, mandatory elements
present. The planting of defects (``defects.py``) starts from such a person and breaks one thing.
"""

from __future__ import annotations

from datetime import date
from random import Random

from pipelines.generate.names import PersonName, cultures, draw_name, relative_name
from pipelines.generate.world import PARTNERS, Airport, FlightPlan, Weighted, World
from pipelines.mrz import td3_line2

#: Minimum days a valid document must still run after the departure date.
VALID_AFTER_DEPARTURE = 45

_ISO_CACHE: dict[int, str] = {}


def iso(ordinal: int) -> str:
    """``YYYY-MM-DD`` of a proleptic Gregorian ordinal (cached: the generator formats few distinct days)."""
    text = _ISO_CACHE.get(ordinal)
    if text is None:
        text = _ISO_CACHE[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def ddmmmyy(ordinal: int) -> str:
    """``12JAN80``, the date format of SSR DOCS."""
    d = date.fromordinal(ordinal)
    return f"{d.day:02d}{_MONTHS[d.month - 1]}{d.year % 100:02d}"


_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_DIGITS = "0123456789"
_ALNUM = _LETTERS + _DIGITS


_PATTERN_CACHE: dict[str, tuple] = {}


def _compile(spec: str) -> tuple:
    runs = []
    for ch in spec:
        kind = ch if ch in "LDA" else "=" + ch
        if runs and runs[-1][0] == kind and kind == "D":
            runs[-1][1] += 1
        else:
            runs.append([kind, 1])
    return tuple((kind, n, 10 ** n if kind == "D" else 0) for kind, n in runs)


def pattern(rng: Random, spec: str) -> str:
    """A string after ``spec``: L letter, D digit, A letter or digit, anything else literally."""
    runs = _PATTERN_CACHE.get(spec)
    if runs is None:
        runs = _PATTERN_CACHE[spec] = _compile(spec)
    if len(runs) == 1 and runs[0][0] == "D":  # digits only: one draw
        return str(int(rng.random() * runs[0][2])).zfill(runs[0][1])
    out = []
    for kind, n, scale in runs:
        if kind == "D":
            out.append(str(int(rng.random() * scale)).zfill(n))
        elif kind == "L":
            out.append(_LETTERS[int(rng.random() * 23)])
        elif kind == "A":
            out.append(_ALNUM[int(rng.random() * 33)])
        else:
            out.append(kind[1])
    return "".join(out)


#: Passport number shapes by issuing state (plausible, not official).
PASSPORT_NUMBER = {
    "USA": ("DDDDDDDDD", "LDDDDDDDD"), "CAN": ("LLDDDDDD",), "MEX": ("LDDDDDDDD",), "GBR": ("DDDDDDDDD",),
    "DEU": ("LAAAAAAAA",), "FRA": ("DDLLDDDDD",), "CHN": ("LDDDDDDDD",), "IND": ("LDDDDDDD",),
    "JPN": ("LLDDDDDDD",), "KOR": ("LDDDDDDDD",), "RUS": ("DDDDDDDDD",), "UKR": ("LLDDDDDD",),
    "ISR": ("DDDDDDDD",), "PHL": ("LDDDDDDDL",), "VNM": ("LDDDDDDD",), "BRA": ("LLDDDDDD",),
}
#: Passport validity in years for adults (first) and minors (second).
PASSPORT_YEARS = {"USA": ((10,), (5,)), "CAN": ((10, 5), (5,)), "MEX": ((10, 6, 3), (3, 1)),
                  "CHN": ((10,), (5,)), "JPN": ((10, 5), (5,)), "IND": ((10,), (5,))}
#: Nationalities that do not need a visa (or use an electronic authorisation) for the partners.
VISA_FREE = frozenset("USA CAN MEX GBR IRL FRA DEU NLD ESP ITA PRT AUT BEL DNK CHE SWE NOR FIN ISL POL GRC "
                      "JPN KOR TWN SGP AUS NZL CHL ISR HKG".split())

CREW_ROLES_SHORT = ("CAPTAIN", "FIRST OFFICER", "PURSER")


class SeatMap:
    """Hands out seats in order from a random start, so parties sit together and no seat repeats."""

    __slots__ = ("letters", "rows", "next")

    def __init__(self, rng: Random, long_haul: bool):
        self.letters = "ABCDEFGHK" if long_haul else "ABCDEF"
        self.rows = 58 if long_haul else 38
        self.next = int(rng.random() * 40)

    def take(self) -> str:
        capacity = self.rows * len(self.letters)
        index = self.next % capacity
        self.next += 1
        return f"{index // len(self.letters) + 1}{self.letters[index % len(self.letters)]}"


class Traveller:
    """A generated person: the API record plus what the PNR and the truth files need."""

    __slots__ = ("record", "name", "age_days", "ptype", "infant_of", "culture", "dob_ord", "embark", "debark",
                 "visa", "bags")

    def __init__(self, record: dict, name: PersonName, age_days: int, ptype: str, dob_ord: int,
                 embark: int, debark: int):
        self.record = record
        self.name = name
        self.age_days = age_days
        self.ptype = ptype          # A adult, C child, IN infant
        self.infant_of = None       # index in the party of the adult an infant sits with
        self.culture = name.culture
        self.dob_ord = dob_ord
        self.embark = embark        # index into plan.airports
        self.debark = debark
        self.visa = None
        self.bags = None


class FlightContext:
    """What every person of one flight shares: the plan, dates, cultures on board, seats."""

    def __init__(self, rng: Random, w: World, plan: FlightPlan, culture_draw: Weighted):
        self.rng = rng
        self.world = w
        self.plan = plan
        self.dep_ord = plan.legs[0].dep_local.toordinal()
        self.last_ord = plan.legs[-1].arr_local.toordinal()
        self.culture_draw = culture_draw
        self.seats = SeatMap(rng, plan.long_haul)
        self.airports = plan.airports
        self.cache: dict = {}


_ADULT_AGE = Weighted([((18, 25), 12), ((25, 35), 22), ((35, 45), 22), ((45, 55), 18), ((55, 65), 14),
                       ((65, 75), 9), ((75, 90), 3)])


def adult_age_days(rng: Random) -> int:
    low, high = _ADULT_AGE.draw(rng)
    return int((low + rng.random() * (high - low)) * 365.25)


def draw_sex(rng: Random) -> str:
    r = rng.random()
    if r < 0.4975:
        return "M"
    if r < 0.995:
        return "F"
    return "X" if r < 0.998 else "U"


def _doc_years(rng: Random, state: str, minor: bool) -> int:
    choices = PASSPORT_YEARS.get(state, ((10, 10, 5), (5,)))[1 if minor else 0]
    return choices[int(rng.random() * len(choices))]


def issue_and_expiry(rng: Random, dep_ord: int, dob_ord: int, years: int) -> tuple[int, int]:
    """Issue and expiry ordinals of a document valid ``years`` years, issued after birth and before
    departure, still valid ``VALID_AFTER_DEPARTURE`` days after departure."""
    span = years * 365 + years // 4 - 1
    earliest = max(dob_ord + 1, dep_ord + VALID_AFTER_DEPARTURE - span)
    latest = dep_ord - 1
    if earliest > latest:
        earliest = latest
    issue = earliest + int(rng.random() * (latest - earliest + 1))
    return issue, issue + span


def passport(rng: Random, state: str, nationality: str, dob_ord: int, sex: str, dep_ord: int, minor: bool,
             mrz_rate: float) -> dict:
    shapes = PASSPORT_NUMBER.get(state, ("LDDDDDDD", "LLDDDDDDD"))
    number = pattern(rng, shapes[int(rng.random() * len(shapes))])
    issue, expiry = issue_and_expiry(rng, dep_ord, dob_ord, _doc_years(rng, state, minor))
    doc = {"type": "P", "number": number, "issuing_state": state, "expiry_date": iso(expiry),
           "issue_date": iso(issue), "mrz_line": None}
    if rng.random() < mrz_rate:
        doc["mrz_line"] = td3_line2(number, nationality, iso(dob_ord), sex, iso(expiry))
    return doc


def other_document(rng: Random, doc_type: str, state: str, dep_ord: int, dob_ord: int) -> dict:
    shape = {"V": "DDDDDDDD", "I": "LAAAAAAAD", "IP": "LDDDDDDDD", "C": "LLLDDDDDDDDDD", "A": "LDDDDDDDD",
             "AC": "LLDDDDDD", "F": "LLDDDDDDD"}[doc_type]
    if doc_type == "V":
        issue = dep_ord - 10 - int(rng.random() * 1500)
        issue = max(issue, dob_ord + 1)
        expiry = dep_ord + VALID_AFTER_DEPARTURE + int(rng.random() * 3000)
    else:
        issue, expiry = issue_and_expiry(rng, dep_ord, dob_ord, 10 if doc_type in ("C", "A") else 5)
    return {"type": doc_type, "number": pattern(rng, shape), "issuing_state": state, "expiry_date": iso(expiry),
            "issue_date": iso(issue), "mrz_line": None}


def address_in(rng: Random, airport: Airport, streets: dict) -> str:
    pool = streets.get(airport.country) or streets["OTHER"]
    street = pool[int(rng.random() * len(pool))]
    number = 1 + int(rng.random() * 9800)
    if airport.country == "USA":
        return f"{number} {street}, {airport.city}, {airport.region} {10000 + int(rng.random() * 89999)}"
    if airport.country == "CAN":
        return f"{number} {street}, {airport.city}, {airport.region}"
    if airport.country == "MEX":
        return f"{street} {number}, {airport.city}, {airport.region} CP {10000 + int(rng.random() * 89999)}"
    return f"{number} {street}, {airport.city}"


def make_person(ctx: FlightContext, name: PersonName, sex: str, age_days: int, nationality: str,
                residence: str | None, role: str, embark: int, debark: int, tables: dict, options,
                locator: str | None = None, crew_role: str | None = None) -> Traveller:
    """One valid API person (a dict shaped like ``paxshare.api.Person``) and its Traveller."""
    rng = ctx.rng
    rand = rng.random
    dob_ord = ctx.dep_ord - age_days
    minor = age_days < 16 * 365
    documents = []
    primary = "P"
    r = rand()
    if crew_role is None:
        if residence in ("USA", "CAN") and residence != nationality and r < 0.08:
            primary = "C"
        elif nationality == "USA" and r < 0.015:
            primary = "IP"
        elif nationality not in PARTNERS and r < 0.025:
            primary = "I"
    if primary == "P":
        documents.append(passport(rng, nationality, nationality, dob_ord, sex, ctx.dep_ord, minor, options.mrz_rate))
    else:
        documents.append(other_document(rng, primary, residence if primary == "C" else nationality,
                                        ctx.dep_ord, dob_ord))
    airports = ctx.airports
    destination = airports[debark]
    visa = None
    if crew_role is not None:
        if rand() < 0.4:
            documents.append(other_document(rng, "AC", ctx.plan.carrier.country, ctx.dep_ord, dob_ord))
    elif (nationality not in VISA_FREE and destination.country in PARTNERS and destination.country != residence
          and primary != "C" and rand() < 0.85):
        visa = other_document(rng, "V", destination.country, ctx.dep_ord, dob_ord)
        documents.append(visa)
    elif residence in ("USA", "CAN") and residence != nationality and primary == "P" and rand() < 0.5:
        documents.append(other_document(rng, "C", residence, ctx.dep_ord, dob_ord))
    seat = None
    bag_count = None
    bag_weight = None
    tags: list[str] = []
    if crew_role is None:
        if rand() < 0.93:
            seat = ctx.seats.take()
        b = rand()
        bag_count = 0 if b < 0.38 else 1 if b < 0.8 else 2 if b < 0.95 else 3
    else:
        bag_count = 1
    if bag_count:
        bag_weight = round(sum(12.0 + rand() * 11.0 for _ in range(bag_count)), 1)
        prefix = "0" + ctx.plan.carrier.accounting
        tags = [prefix + pattern(rng, "DDDDDD") for _ in range(bag_count)]
    elif bag_count == 0 and rand() < 0.3:
        bag_count = None  # not reported
    c = cultures()[name.culture]
    place_of_birth = c.birthplaces[int(rand() * len(c.birthplaces))] if rand() < 0.85 else None
    address = None
    if crew_role is None and rand() < 0.6:
        address = address_in(rng, destination, tables["streets"])
    v = rand()
    record = {
        "person_id": "",
        "role": role,
        "surname": name.surname,
        "given_names": name.given_names,
        "date_of_birth": iso(dob_ord),
        "sex": sex,
        "nationality": nationality,
        "residence_country": residence,
        "place_of_birth": place_of_birth,
        "address": address,
        "embarkation_airport": airports[embark].iata,
        "debarkation_airport": destination.iata,
        "documents": documents,
        "seat": seat,
        "bag_count": bag_count,
        "bag_weight_kg": bag_weight,
        "bag_tags": tags,
        "pnr_locator": locator,
        "unique_passenger_reference": f"{rng.getrandbits(40):010X}" if crew_role is None else None,
        "verified": True if v < 0.86 else False if v < 0.95 else None,
        "crew_role": crew_role,
    }
    ptype = "IN" if age_days < 2 * 365 else "C" if age_days < 12 * 365 else "A"
    t = Traveller(record, name, age_days, ptype, dob_ord, embark, debark)
    t.visa = visa
    return t


def draw_nationality(rng: Random, culture_name: str, draws: dict) -> str:
    table = draws.get(culture_name)
    if table is None:
        table = draws[culture_name] = Weighted(cultures()[culture_name].nationalities.items())
    return table.draw(rng)


def draw_residence(rng: Random, nationality: str, airports: list[Airport]) -> str | None:
    r = rng.random()
    if r < 0.8:
        return nationality
    if r < 0.95:
        partners = [a.country for a in airports if a.country in PARTNERS and a.country != nationality]
        return partners[int(rng.random() * len(partners))] if partners else nationality
    return None


def make_party(ctx: FlightContext, size: int, embark: int, debark: int, role: str, locator: str, tables: dict,
               options, nationality_draws: dict) -> list[Traveller]:
    """Travellers booked together: a solo traveller, a couple, a family (with children and
    infants) or a group of friends/colleagues."""
    rng = ctx.rng
    rand = rng.random
    culture_name = ctx.culture_draw.draw(rng)
    lead_sex = draw_sex(rng)
    nationality = draw_nationality(rng, culture_name, nationality_draws)
    residence = draw_residence(rng, nationality, ctx.airports)
    party: list[Traveller] = []

    def add(name: PersonName, sex: str, age_days: int, nat: str, res: str | None) -> Traveller:
        t = make_person(ctx, name, sex, age_days, nat, res, role, embark, debark, tables, options, locator)
        party.append(t)
        return t

    if size == 1 and rand() < 0.004:
        # an unaccompanied minor
        age = int((7 + rand() * 7) * 365.25)
        add(draw_name(rng, culture_name, lead_sex, nationality), lead_sex, age, nationality, residence)
        return party
    lead_name = draw_name(rng, culture_name, lead_sex, nationality)
    lead_age = adult_age_days(rng)
    lead = add(lead_name, lead_sex, lead_age, nationality, residence)
    if size == 1:
        return party
    family = rand() < 0.7
    if not family:
        for _ in range(size - 1):
            other_culture = culture_name if rand() < 0.6 else ctx.culture_draw.draw(rng)
            sex = draw_sex(rng)
            nat = draw_nationality(rng, other_culture, nationality_draws)
            add(draw_name(rng, other_culture, sex, nat), sex, adult_age_days(rng), nat,
                draw_residence(rng, nat, ctx.airports))
        return party
    # A family: the lead, maybe a spouse, then children (youngest may be an infant).
    remaining = size - 1
    spouse = None
    if remaining and (size == 2 or rand() < 0.8):
        sex = "F" if lead_sex == "M" else "M" if lead_sex == "F" else draw_sex(rng)
        age = max(18 * 365 + 30, lead_age + int((rand() * 10 - 5) * 365.25))
        spouse_name = relative_name(rng, lead_name, sex, "spouse", nationality)
        spouse = add(spouse_name, sex, age, nationality, residence)
        remaining -= 1
    father = lead if lead_sex == "M" or spouse is None else spouse
    mother = spouse if father is lead else lead
    parent_age = min(lead.age_days, spouse.age_days if spouse else lead.age_days)
    adults = list(range(len(party)))
    max_child_years = max(1.0, min(17.9, parent_age / 365.25 - 18))
    for k in range(remaining):
        sex = "M" if rand() < 0.5 else "F"
        if k == remaining - 1 and rand() < 0.3 and parent_age < 50 * 365:
            age = 14 + int(rand() * (2 * 365 - 30))  # infant, at least 14 days old
        else:
            age = int((2 + rand() * max(0.1, max_child_years - 2)) * 365.25)
        taken = {(t.name.surname, t.name.given_names) for t in party}
        for _ in range(4):  # siblings do not share a first name
            child_name = relative_name(rng, father.name, sex, "child", nationality,
                                       other_parent=mother.name if mother is not None else None)
            if (child_name.surname, child_name.given_names) not in taken:
                break
        child = add(child_name, sex, age, nationality, residence)
        if child.ptype == "IN":
            child.infant_of = adults[int(rand() * len(adults))]
    return party


def draw_crew(ctx: FlightContext, size: int, role: str, tables: dict, options, crew_cultures: Weighted,
              nationality_draws: dict) -> list[Traveller]:
    rng = ctx.rng
    carrier_country = ctx.plan.carrier.country
    crew = []
    last = len(ctx.airports) - 1
    for i in range(size):
        culture_name = crew_cultures.draw(rng)
        sex = "M" if rng.random() < 0.5 else "F"
        nationality = carrier_country if rng.random() < 0.9 else draw_nationality(rng, culture_name, nationality_draws)
        if i < len(CREW_ROLES_SHORT):
            crew_role = CREW_ROLES_SHORT[i]
        elif i == size - 1 and rng.random() < 0.15:
            crew_role = "DEADHEAD"
        elif ctx.plan.long_haul and i == 3:
            crew_role = "RELIEF PILOT"
        else:
            crew_role = "FLIGHT ATTENDANT"
        age = int((22 + rng.random() * 42) * 365.25)
        name = draw_name(rng, culture_name, sex, nationality)
        crew.append(make_person(ctx, name, sex, age, nationality, carrier_country, role, 0, last, tables, options,
                                None, crew_role))
    return crew
