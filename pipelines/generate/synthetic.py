"""Synthetic inputs for tests and benchmarks: API manifests and large watchlists.

Stands in for the project generator (``pipelines/generate``) where that is not available, and
builds the million-entry lists the speed benchmark needs.

Names (:class:`NamePool`) are drawn the way real populations spread over names, so that
common-name collisions happen at realistic rates (a tiny pool makes every traveller some entry's
namesake and measures nothing but collisions):

* a culture is picked by the generator's population weights (``pipelines/generate/data/
  cultures.json``: English 30, Spanish/Mexican 20, Chinese 6, South Asian 6, ...);
* within a culture, a given name or surname is drawn from that culture's table
  (``names_<culture>.csv``, plus :data:`GIVEN`/:data:`SURNAMES` for English) with Zipf-like
  weights ``1 / (rank + table length / 25)`` (KIM or NGUYEN about 15% of their culture, SMITH
  about 3% of English names);
* surnames fall outside the table (a rare surname built from the culture's own syllables) with
  probability ``rare_surname`` (0.45: real surname distributions have a very long tail, most
  people do not carry a top-30 surname), given names with ``rare_given`` (0.10);
* 35% have a second given name.

The result has tens of thousands of distinct surnames and a head where hundreds of entries of a
million share a full name (``MUHAMMAD KHAN``, ``JOSE GARCIA``): what a real list looks like.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import itertools
import json
import random
from importlib import resources
from typing import Iterator

import fastavro

from pipelines.screening.normalise.names import normalise

__all__ = ["GIVEN", "SURNAMES", "NamePool", "name_pool", "fake_manifests", "write_fake_manifests", "fake_entries"]

GIVEN = ("JAMES JOHN ROBERT MICHAEL WILLIAM DAVID RICHARD JOSEPH THOMAS CHARLES MARY PATRICIA JENNIFER "
         "LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN MUHAMMAD AHMED ALI OMAR FATIMA AISHA YUSUF "
         "IBRAHIM HASSAN KHALID SERGEY VLADIMIR DMITRY OLGA TATIANA NATALIA IVAN ALEXANDER JOSE JUAN "
         "CARLOS LUIS MIGUEL FRANCISCO GUADALUPE MARIA ANA LUCIA SOFIA PIERRE JEAN MARIE CLAIRE WEI "
         "JING MIN HIROSHI YUKI SOO JIN PRIYA RAHUL ANIL SUNITA KWAME AMARA CHIDI NGOZI OLUWASEUN "
         "ALEJANDRO VALENTINA MATEO CAMILA DIEGO ISABELLA GABRIEL EMMA NOAH LIAM OLIVIA BENJAMIN "
         "CATHERINE MARGARET PETER STEPHEN NICHOLAS ANTHONY EDWARD FREDERICK HENRY PHILIP").split()
SURNAMES = ("SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ "
            "GONZALEZ WILSON ANDERSON TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON WHITE HARRIS "
            "SANCHEZ CLARK RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT TORRES NGUYEN "
            "HILL FLORES GREEN ADAMS NELSON BAKER HALL RIVERA CAMPBELL MITCHELL CARTER ROBERTS "
            "TREMBLAY GAGNON ROY COTE BOUCHARD GAUTHIER MORIN LAVOIE FORTIN GAGNE OUELLET PELLETIER "
            "HERNANDEZ GUTIERREZ MENDOZA RUIZ ALVAREZ CASTILLO JIMENEZ MORENO ROMERO HERRERA MEDINA "
            "AGUILAR VARGAS CASTRO GUZMAN VELAZQUEZ ROJAS CONTRERAS SALAZAR ORTEGA DELGADO "
            "KHAN HUSSAIN RAHMAN AHMED ABDULLAH HADDAD NASSER MANSOUR SAID HAMDAN KARIMI HOSSEINI "
            "IVANOV PETROV SOKOLOV VOLKOV KOZLOV NOVIKOV MOROZOV WANG ZHANG LIU CHEN YANG KIM PARK "
            "CHOI TANAKA SUZUKI SATO PATEL SHARMA SINGH GUPTA OKAFOR ADEYEMI MENSAH OKONKWO "
            "MUELLER SCHMIDT SCHNEIDER FISCHER WEBER ROSSI RUSSO BIANCHI DUBOIS LEFEBVRE").split()
_SYLLABLES = ("ka lo mi ran dor bel tu zen fir nok sal vek ome pra gus hal jin tor ul yab cre dun ish "
              "rov mak sen tal vin bar kor les mun pel sar tin wol zar").split()
_NATIONALITIES = ["USA", "CAN", "MEX", "GBR", "FRA", "DEU", "IND", "CHN", "NGA", "BRA"]


class _Weighted:
    """Items with cumulative weights, for fast repeated weighted draws."""

    def __init__(self, items: list[str], weights: list[float]):
        self.items = items
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])]


def _zipf(items: list[str]) -> _Weighted:
    """Zipf-like weights ``1 / (rank + len/25)``: steep for short tables (Korean, Vietnamese
    surnames: KIM, NGUYEN), flatter at the head of long ones (English: SMITH about 1% of all)."""
    offset = len(items) / 25
    return _Weighted(items, [1.0 / (rank + offset) for rank in range(1, len(items) + 1)])


def _first_spelling(native: str, latin: str) -> str:
    spelling = (latin.split("|")[0] if latin else "") or native
    return normalise(spelling)


class NamePool:
    """Culture-weighted, Zipf-within-culture name draws with a long tail (module docstring)."""

    def __init__(self, cultures: dict[str, dict], rare_surname: float = 0.45, rare_given: float = 0.10,
                 second_given: float = 0.35):
        self.rare_surname, self.rare_given, self.second_given = rare_surname, rare_given, second_given
        names = list(cultures)
        self._culture = _Weighted(names, [cultures[c]["weight"] for c in names])
        self._given = {c: {sex: _zipf(cultures[c]["given"][sex] or cultures[c]["given"]["M"]) for sex in "MF"}
                       for c in names}
        self._surname = {c: _zipf(cultures[c]["surname"]) for c in names}
        self._syllables = {c: cultures[c]["syllables"] for c in names}
        self._nationality = {c: cultures[c]["nationality"] for c in names}

    def _rare(self, rng: random.Random, culture: str) -> str:
        syllables = self._syllables[culture]
        return "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3))))

    def draw(self, rng: random.Random, sex: str) -> tuple[str, str, str]:
        """(given names, surname, nationality alpha-3) of one person."""
        culture = self._culture.draw(rng)
        table = self._given[culture][sex]
        given = [table.draw(rng) if rng.random() >= self.rare_given else self._rare(rng, culture)]
        if rng.random() < self.second_given:
            given.append(table.draw(rng))
        surname = self._surname[culture].draw(rng) if rng.random() >= self.rare_surname else self._rare(rng, culture)
        return " ".join(dict.fromkeys(given)), surname, self._nationality[culture]


def _syllables_of(words: list[str]) -> list[str]:
    """Consonant-vowel chunks of a culture's own names, so its rare surnames sound like it."""
    chunks = set()
    for word in words:
        for chunk in __import__("re").findall(r"[^AEIOUY]*[AEIOUY]+(?:[^AEIOUY](?![AEIOUY]))?", word):
            if 2 <= len(chunk) <= 4:
                chunks.add(chunk)
    return sorted(chunks) or [s.upper() for s in _SYLLABLES]


@functools.lru_cache(maxsize=1)
def name_pool() -> NamePool:
    """The pool built from the generator's tables (falls back to this module's lists alone)."""
    cultures: dict[str, dict] = {}
    try:
        data = resources.files("pipelines.generate").joinpath("data")
        spec = json.loads(data.joinpath("cultures.json").read_text(encoding="utf-8"))["cultures"]
    except (ModuleNotFoundError, FileNotFoundError):
        spec = {}
    for culture, meta in spec.items():
        try:
            text = data.joinpath(f"names_{culture}.csv").read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        given: dict[str, list[str]] = {"M": [], "F": []}
        surnames: list[str] = []
        for row in csv.DictReader(io.StringIO(text)):
            spelling = _first_spelling(row.get("native") or "", row.get("latin") or "")
            if not spelling:
                continue
            if row["kind"] == "given":
                given["F" if row.get("sex") == "F" else "M"].append(spelling)
            elif row["kind"] == "surname" and " " not in spelling:
                surnames.append(spelling)
        nationalities = meta.get("nationalities") or {"USA": 1}
        home = max(nationalities, key=nationalities.get)
        if culture == "english":
            surnames += [s for s in SURNAMES if s not in surnames]
            given["M"] += [g for g in GIVEN if g not in given["M"] and g not in given["F"]]
        if surnames and (given["M"] or given["F"]):
            cultures[culture] = {"weight": float(meta.get("weight", 1)), "given": given, "surname": surnames,
                                 "syllables": _syllables_of(surnames), "nationality": home}
    if not cultures:
        cultures["mixed"] = {"weight": 1.0, "given": {"M": list(GIVEN), "F": list(GIVEN)}, "surname": list(SURNAMES),
                             "syllables": [s.upper() for s in _SYLLABLES], "nationality": "USA"}
    return NamePool(cultures)


def _zipf_choice(rng: random.Random, pool: list[str]) -> str:
    """Heavy-tailed pick: early pool members are much more frequent."""
    return pool[min(int(rng.paretovariate(1.3)) - 1, len(pool) - 1)] if rng.random() < 0.3 else rng.choice(pool)


def _syllable_name(rng: random.Random, parts: tuple[int, int]) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(*parts))).upper()


def _person(rng: random.Random, number: int) -> dict:
    sex = rng.choice("MF")
    given, surname, nationality = name_pool().draw(rng, sex)
    if rng.random() < 0.3:
        nationality = rng.choice(_NATIONALITIES)
    dob = f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "person_id": f"P{number}", "role": "PASSENGER", "surname": surname, "given_names": given,
        "date_of_birth": dob, "sex": sex, "nationality": nationality, "residence_country": None,
        "place_of_birth": None, "address": None, "embarkation_airport": "YUL", "debarkation_airport": "JFK",
        "documents": [{"type": "P", "number": f"{nationality[0]}{rng.randrange(10**8):08d}",
                       "issuing_state": nationality, "expiry_date": "2030-01-01", "issue_date": None,
                       "mrz_line": None}],
        "seat": None, "bag_count": None, "bag_weight_kg": None, "bag_tags": [], "pnr_locator": None,
        "unique_passenger_reference": None, "verified": None, "crew_role": None,
    }


def fake_manifests(n_messages: int, persons_per_message: int, seed: int = 1) -> Iterator[dict]:
    """ApiManifest records with random but realistic-looking persons."""
    rng = random.Random(seed)
    for m in range(n_messages):
        yield {
            "schema_version": 3, "message_id": f"FAKE{seed}-{m:05d}", "sender": "AC",
            "message_type": "PASSENGER_LIST", "message_function": "ORIGINAL",
            "flight": {"carrier": "AC", "number": str(100 + m), "operating_carrier": None, "in_transit": False,
                       "legs": [{"departure_airport": "YUL", "departure_local": "2026-11-23T10:00:00",
                                 "departure_utc": "2026-11-23T15:00:00Z", "arrival_airport": "JFK",
                                 "arrival_local": "2026-11-23T11:30:00", "arrival_utc": "2026-11-23T16:30:00Z"}]},
            "persons": [_person(rng, p) for p in range(persons_per_message)],
        }


def write_fake_manifests(path: str, n_messages: int, persons_per_message: int, seed: int = 1) -> str:
    from pipelines.schemas import load
    with open(path, "wb") as handle:
        fastavro.writer(handle, load("api_manifest"), list(fake_manifests(n_messages, persons_per_message, seed)))
    return path


def fake_entries(n: int, seed: int = 7, category: str = "LOOKOUT") -> Iterator[dict]:
    """``n`` watchlist entries (dicts shaped by watchlist_entry.avsc), 10% with an alias, 5%
    document-only; dates of birth full 75%, year only 15%, missing 10%."""
    rng = random.Random(seed)
    for i in range(n):
        if rng.random() < 0.05:
            yield {"schema_version": 1, "entry_id": f"E{i}", "list_id": "BENCH-SLTD", "list_owner": "USA",
                   "category": "LOST_STOLEN_DOCUMENT", "severity": "HIGH", "names": [], "dates_of_birth": [],
                   "sex": None, "nationalities": [], "receivers": ["USA"], "remarks": None,
                   "documents": [{"type": "P", "number": f"L{rng.randrange(10**9):09d}", "issuer": rng.choice(_NATIONALITIES)}]}
            continue
        sex = rng.choice("MF")
        given, surname, nationality = name_pool().draw(rng, sex)
        if rng.random() < 0.3:
            nationality = rng.choice(_NATIONALITIES)
        names = [{"full_name": None, "surname": surname, "given_names": given, "kind": "PRIMARY", "quality": "GOOD", "script": None}]
        if rng.random() < 0.1:
            names.append({"full_name": f"{_syllable_name(rng, (2, 3))} {surname}", "surname": None, "given_names": None,
                          "kind": "ALIAS", "quality": "LOW", "script": None})
        year = rng.randint(1940, 2005)
        # most person entries carry a full date of birth; some only a year; a few none
        dob = rng.choices([f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", str(year), None],
                          weights=(75, 15, 10))[0]
        yield {"schema_version": 1, "entry_id": f"E{i}", "list_id": "BENCH", "list_owner": "USA", "category": category,
               "severity": "NORMAL", "names": names, "dates_of_birth": [dob] if dob else [],
               "sex": sex if rng.random() < 0.8 else None, "nationalities": [nationality], "documents": [],
               "receivers": ["USA"], "remarks": None}
