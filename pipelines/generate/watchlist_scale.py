"""A national-scale watchlist with planted truth: the list screening must survive at 1M entries.

Built like a real consolidated list, not like a sample:

* **namesakes**: people are drawn from the generator's name tables (``data/names_<culture>.csv``,
  culture weights from ``data/cultures.json``) with Zipf-like weights inside a culture and a long
  tail of rare surnames built from the culture's own syllables (the distribution of
  :class:`pipelines.generate.synthetic.NamePool`), so a common full name (``MARIA HERNANDEZ``,
  ``MUHAMMAD KHAN``, ``WANG WEI``) is carried by hundreds of different listed people at 1M;
* **dates**: full dates of birth on 75% of person entries, a year only on 15%, none on 10%; a few
  list a second, approximate date (the year after);
* **name forms**: surname and given names in their own fields, or only a full name (in either
  order), or only the name in its original script (Arabic, Cyrillic, Chinese, Korean, Japanese,
  Hebrew, Devanagari) with or without a Latin alias; a list spelling is sometimes another
  romanisation of the same native name (``MOHAMMAD`` for ``MOHAMMED``); Russian and Ukrainian
  entries often carry a patronymic that passports do not print; weak aliases;
* **documents**: 5% of entries are lost or stolen documents (INTERPOL SLTD style); 15% of person
  entries carry a passport number;
* **the same person on several partners' lists** (3% of entries repeat an earlier person).

Travellers are passport-shaped (``ApiTraveller`` dicts: the passport spelling, a full date of
birth, sex, nationality, one passport) drawn from the same population with another seed, so an
ordinary traveller meets their namesakes on the list at realistic rates. **Planted** travellers
are listed under one variant each (:data:`VARIANTS`: the planted-truth variants of
:mod:`pipelines.generate.plant` plus a document number with one wrong character and a birth
year off by one) and their entries are scattered through the list.

Subsets: :meth:`ScaleWorld.entries` of size ``n`` is the first ``n - planted`` fillers (the same
fillers at every size: a 10k list is a prefix of the 100k one) with every planted entry at a
position drawn for that size, so the same travellers go against growing lists.
:meth:`ScaleWorld.coincidences` says which ordinary travellers share their name (as a person:
the passport spelling of the same names) *and* full date of birth with a listed person of a
subset: real coincidences no screening can tell apart, counted separately by the benchmark.

Deterministic for a seed (its own ``random.Random`` streams; no salted hashes).
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from importlib import resources

from pipelines.screening.normalise.names import normalise
from pipelines.screening.normalise.nicknames import variants as nickname_variants
from pipelines.generate.plant import VARIANTS as PLANT_VARIANTS
from pipelines.generate.plant import listed_variant, to_cyrillic
from pipelines.generate.synthetic import _syllables_of, _zipf

__all__ = ["ScaleWorld", "VARIANTS", "PERSON_CATEGORIES"]

#: planted variants: those of ``plant`` plus two of this list's own
VARIANTS = PLANT_VARIANTS + ("document_typo", "birth_year_off_by_one")

#: list category -> share of person entries
PERSON_CATEGORIES = {"TERRORISM": 0.10, "LOOKOUT": 0.50, "SANCTIONS": 0.20, "DESIGNATED_PERSON": 0.20}
_OWNERS = ("USA", "CAN", "MEX")
_DOC_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# native scripts written without spaces between surname and given name
_JOINED_SCRIPTS = {"chinese", "japanese", "korean"}
_SURNAME_FIRST = {"chinese", "japanese", "korean", "vietnamese"}
_SLAVIC = {"russian", "ukrainian"}


@dataclass(frozen=True)
class _Part:
    """One name part: its native form ('' when the table has none) and its Latin spellings (the
    first is the passport spelling)."""
    native: str
    spellings: tuple[str, ...]


@dataclass
class _Culture:
    name: str
    weight: float
    script: str
    nationalities: tuple[list[str], list[float]]
    given: dict[str, list[_Part]]
    surname: list[_Part]
    syllables: list[str]
    given_draw: dict
    surname_draw: object


def _parts(rows: list[dict]) -> list[_Part]:
    out = []
    for row in rows:
        native = (row.get("native") or "").strip()
        latin = [normalise(s) for s in (row.get("latin") or "").split("|") if s.strip()]
        spellings = tuple(dict.fromkeys(s for s in latin if s)) or ((normalise(native),) if native else ())
        if spellings and spellings[0]:
            is_latin_native = native.isascii() or not native
            out.append(_Part("" if is_latin_native else native, spellings))
    return out


def _load_cultures() -> list[_Culture]:
    data = resources.files("pipelines.generate").joinpath("data")
    spec = json.loads(data.joinpath("cultures.json").read_text(encoding="utf-8"))["cultures"]
    out = []
    for name, meta in spec.items():
        try:
            text = data.joinpath(f"names_{name}.csv").read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        rows = list(csv.DictReader(io.StringIO(text)))
        given = {sex: _parts([r for r in rows if r["kind"] == "given" and (r.get("sex") or "M") == sex]) for sex in "MF"}
        given = {sex: parts or given["M"] or given["F"] for sex, parts in given.items()}
        surname = [p for p in _parts([r for r in rows if r["kind"] == "surname"]) if " " not in p.spellings[0]]
        if not surname or not given["M"]:
            continue
        nats = meta.get("nationalities") or {"USA": 1}
        out.append(_Culture(
            name=name, weight=float(meta.get("weight", 1)), script=meta.get("script", "Latn"),
            nationalities=(list(nats), [float(v) for v in nats.values()]), given=given, surname=surname,
            syllables=_syllables_of([p.spellings[0] for p in surname]),
            given_draw={sex: _zipf(list(range(len(parts)))) for sex, parts in given.items()},
            surname_draw=_zipf(list(range(len(surname))))))
    return out


@dataclass
class Person:
    """One person of the population: name parts (indices into the culture's tables, or rare
    syllable-built Latin strings), date of birth, passport."""
    culture: _Culture
    sex: str
    given: list  # _Part or str (a rare given name)
    surname: object  # _Part or str
    patronymic: str | None
    dob: str  # YYYY-MM-DD
    nationality: str
    passport: str

    def latin(self, part, rng: random.Random | None = None) -> str:
        if isinstance(part, str):
            return part
        if rng is not None and len(part.spellings) > 1 and rng.random() < 0.25:
            return rng.choice(part.spellings[1:])
        return part.spellings[0]

    def given_names(self, rng: random.Random | None = None) -> str:
        return " ".join(self.latin(p, rng) for p in self.given)

    def surname_text(self, rng: random.Random | None = None) -> str:
        return self.latin(self.surname, rng)

    def identity(self) -> frozenset[str]:
        """The person's name as a set of passport-spelling tokens (what a coincidence is judged on)."""
        return frozenset(normalise(f"{self.given_names()} {self.surname_text()}").split())

    def native(self) -> dict | None:
        """The name in its original script (``plant``'s native dict), when every part has one."""
        parts = [*self.given, self.surname]
        if self.culture.script == "Latn" or any(isinstance(p, str) or not p.native for p in parts):
            if self.culture.name in _SLAVIC and self.culture.script != "Latn":
                # rare (syllable-built) Slavic names: written in Cyrillic letter by letter
                return {"surname_native": to_cyrillic(self.surname_text()),
                        "given_names_native": to_cyrillic(self.given_names()), "script": "Cyrl"}
            return None
        given = ("" if self.culture.name in _JOINED_SCRIPTS else " ").join(p.native for p in self.given)
        return {"surname_native": self.surname.native, "given_names_native": given, "script": self.culture.script}

    def passport_record(self, traveller_id: str) -> dict:
        """An ``ApiTraveller``-shaped dict (what :func:`watchlist.traveller_from_api` reads)."""
        return {"traveller_id": traveller_id, "person": {
            "surname": self.surname_text(), "given_names": self.given_names(), "date_of_birth": self.dob,
            "sex": self.sex, "nationality": self.nationality,
            "documents": [{"type": "P", "number": self.passport, "issuing_state": self.nationality}]}}


class Population:
    """Draws people the way :class:`synthetic.NamePool` does (culture weights, Zipf within a
    culture, 45% rare surnames, 10% rare given names, 35% a second given name), keeping each
    part's native form and alternative romanisations."""

    def __init__(self, rare_surname: float = 0.45, rare_given: float = 0.10, second_given: float = 0.35):
        self.cultures = _load_cultures()
        self.rare_surname, self.rare_given, self.second_given = rare_surname, rare_given, second_given
        self._weights = [c.weight for c in self.cultures]

    def _rare(self, rng: random.Random, culture: _Culture) -> str:
        return "".join(rng.choice(culture.syllables) for _ in range(rng.choice((2, 2, 3))))

    def person(self, rng: random.Random, culture: _Culture | None = None, sex: str | None = None,
               second_given: bool | None = None) -> Person:
        culture = culture or rng.choices(self.cultures, self._weights)[0]
        sex = sex or rng.choice("MF")
        table, draw = culture.given[sex], culture.given_draw[sex]
        given = [table[draw.draw(rng)] if rng.random() >= self.rare_given else self._rare(rng, culture)]
        if second_given if second_given is not None else rng.random() < self.second_given:
            extra = table[draw.draw(rng)]
            if extra not in given:
                given.append(extra)
        surname = culture.surname[culture.surname_draw.draw(rng)] if rng.random() >= self.rare_surname \
            else self._rare(rng, culture)
        patronymic = None
        if culture.name in _SLAVIC:
            father = culture.given["M"][culture.given_draw["M"].draw(rng)].spellings[0]
            stem = father[:-1] if father.endswith(("I", "Y")) else father
            patronymic = stem + ("OVICH" if sex == "M" else "OVNA") if stem[-1] not in "AEIOU" else None
        year = rng.randint(1940, 2008)
        dob = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        nationality = rng.choices(*culture.nationalities)[0]
        passport = nationality[0] + "".join(rng.choice("0123456789") for _ in range(8))
        return Person(culture, sex, given, surname, patronymic, dob, nationality, passport)


def _name(surname=None, given=None, full=None, kind="PRIMARY", quality="GOOD", script=None) -> dict:
    return {"full_name": full, "surname": surname, "given_names": given, "kind": kind, "quality": quality,
            "script": script}


def _document_number(rng: random.Random) -> str:
    return "".join(rng.choice(_DOC_CHARS) for _ in range(9))


def _document_typo(number: str, rng: random.Random) -> str:
    i = rng.randrange(len(number))
    kind = rng.choice(("substitute", "substitute", "transpose"))
    if kind == "transpose" and i + 1 < len(number) and number[i] != number[i + 1]:
        return number[:i] + number[i + 1] + number[i] + number[i + 2:]
    letter = rng.choice([c for c in "0123456789" if c != number[i]])
    return number[:i] + letter + number[i + 1:]


class ScaleWorld:
    """The population, its list (fillers), the ordinary travellers and the planted ones, for one
    seed. Nothing is generated until asked; every part has its own random stream."""

    def __init__(self, seed: int = 15, per_variant: int = 50, travellers: int = 20000):
        self.seed = seed
        self.population = Population()
        self.per_variant = per_variant
        self.n_travellers = travellers
        self._planted: list[tuple[dict, dict, str]] | None = None  # (traveller record, entry, variant)

    # -- list ----------------------------------------------------------------------------
    def _entry_id(self, number: int) -> str:
        return f"E{number:07d}"

    def _person_entry(self, person: Person, rng: random.Random, number: int) -> dict:
        owner = rng.choice(_OWNERS)
        category = rng.choices(list(PERSON_CATEGORIES), list(PERSON_CATEGORIES.values()))[0]
        given, surname = person.given_names(rng), person.surname_text(rng)
        if person.patronymic and rng.random() < 0.5:
            given = f"{given} {person.patronymic}"
        native = person.native()
        style = rng.random()
        names: list[dict]
        if native and style < 0.25:
            # only the original script, sometimes with a Latin alias
            if person.culture.name in _JOINED_SCRIPTS:
                full = native["surname_native"] + native["given_names_native"]
            elif person.culture.name in _SURNAME_FIRST:
                full = f"{native['surname_native']} {native['given_names_native']}"
            else:
                full = f"{native['given_names_native']} {native['surname_native']}"
            names = [_name(full=full, script=native["script"])]
            if rng.random() < 0.5:
                names.append(_name(surname, given, kind="ALIAS"))
        elif style < 0.45:
            # only a full name, in passport or in surname-first order
            full = f"{surname} {given}" if rng.random() < 0.3 or person.culture.name in _SURNAME_FIRST \
                else f"{given} {surname}"
            names = [_name(full=full)]
        else:
            names = [_name(surname, given)]
        if rng.random() < 0.08:
            alias = "".join(rng.choice(person.culture.syllables) for _ in range(rng.randint(2, 3)))
            names.append(_name(full=f"{alias} {person.surname_text()}", kind="ALIAS", quality="LOW"))
        shape = rng.random()
        year = int(person.dob[:4])
        if shape < 0.75:
            dobs = [person.dob]
            if rng.random() < 0.05:
                dobs.append(str(year + 1))  # an approximate second date
        elif shape < 0.90:
            dobs = [str(year)]
        else:
            dobs = []
        documents = []
        if rng.random() < 0.15:
            documents.append({"type": "P", "number": person.passport, "issuer": person.nationality})
        return {"schema_version": 1, "entry_id": self._entry_id(number), "list_id": f"{owner}-{category}",
                "list_owner": owner, "category": category, "severity": "HIGH" if category == "TERRORISM" else "NORMAL",
                "names": names, "dates_of_birth": dobs,
                "sex": person.sex if rng.random() < 0.85 else None,
                "nationalities": [person.nationality] if rng.random() < 0.8 else [],
                "documents": documents, "receivers": list(_OWNERS), "remarks": None}

    def fillers(self, n: int):
        """The first ``n`` filler entries, and per entry the (identity, full dates) of its person
        (None for a document entry): a generator of ``(entry, person_key)``."""
        rng = random.Random(f"{self.seed}-fillers")
        recent: list[tuple[Person, int]] = []
        for number in range(n):
            if rng.random() < 0.05:
                owner = rng.choice(_OWNERS)
                yield ({"schema_version": 1, "entry_id": self._entry_id(number), "list_id": f"{owner}-SLTD",
                        "list_owner": owner, "category": "LOST_STOLEN_DOCUMENT", "severity": "HIGH", "names": [],
                        "dates_of_birth": [], "sex": None, "nationalities": [],
                        "documents": [{"type": "P", "number": _document_number(rng),
                                       "issuer": rng.choice(("USA", "CAN", "MEX", "GBR", "FRA", "DEU", "IND", "CHN"))}],
                        "receivers": list(_OWNERS), "remarks": None}, None)
                continue
            if recent and rng.random() < 0.03:
                person = rng.choice(recent)[0]  # the same person on another partner's list
            else:
                person = self.population.person(rng)
                if len(recent) < 1000:
                    recent.append((person, number))
                else:
                    recent[rng.randrange(1000)] = (person, number)
            entry = self._person_entry(person, rng, number)
            full = tuple(d for d in entry["dates_of_birth"] if len(d) == 10)
            yield entry, (person.identity(), full)

    # -- travellers ------------------------------------------------------------------------
    def ordinary_travellers(self) -> list[tuple[dict, frozenset, str]]:
        """(ApiTraveller record, identity, date of birth) of each ordinary traveller."""
        rng = random.Random(f"{self.seed}-travellers")
        out = []
        for i in range(self.n_travellers):
            person = self.population.person(rng)
            out.append((person.passport_record(f"T{i:06d}"), person.identity(), person.dob))
        return out

    def planted(self) -> list[tuple[dict, dict, str]]:
        """(traveller record, listed entry, variant) per planted traveller; entry ids ``P...``."""
        if self._planted is not None:
            return self._planted
        rng = random.Random(f"{self.seed}-planted")
        given_pool = sorted({p.spellings[0] for c in self.population.cultures for parts in c.given.values()
                             for p in parts})
        surname_pool = sorted({p.spellings[0] for c in self.population.cultures for p in c.surname})
        native_cultures = [c for c in self.population.cultures if c.script != "Latn"]
        out = []
        number = 0
        for variant in VARIANTS:
            made = tries = 0
            while made < self.per_variant and tries < self.per_variant * 200:
                tries += 1
                culture = rng.choice(native_cultures) if variant == "original_script" else None
                person = self.population.person(rng, culture=culture,
                                                second_given=True if variant == "missing_middle_name" else None)
                record = person.passport_record(f"PL{number:05d}")
                body = self._planted_body(variant, person, rng, given_pool, surname_pool)
                if body is None:
                    continue
                entry = {"schema_version": 1, "entry_id": f"P{number:05d}", "list_owner": "USA",
                         "severity": "HIGH", "receivers": list(_OWNERS), "remarks": None, "names": [],
                         "dates_of_birth": [], "sex": None, "nationalities": [], "documents": []}
                if variant == "document_only":
                    entry.update(list_id="USA-SLTD", category="LOST_STOLEN_DOCUMENT")
                else:
                    category = rng.choices(list(PERSON_CATEGORIES), list(PERSON_CATEGORIES.values()))[0]
                    entry.update(list_id=f"USA-{category}", category=category,
                                 sex=person.sex if rng.random() < 0.8 else None,
                                 nationalities=[person.nationality] if rng.random() < 0.7 else [])
                entry.update(body)
                out.append((record, entry, variant))
                number += 1
                made += 1
        self._planted = out
        return out

    def _planted_body(self, variant: str, person: Person, rng: random.Random, given_pool, surname_pool) -> dict | None:
        passport = {"surname": person.surname_text(), "given_names": person.given_names(),
                    "date_of_birth": person.dob}
        if variant == "document_only":
            return {"documents": [{"type": "P", "number": person.passport, "issuer": person.nationality}]}
        if variant == "document_typo":
            return {"names": [_name(passport["surname"], passport["given_names"])], "dates_of_birth": [person.dob],
                    "documents": [{"type": "P", "number": _document_typo(person.passport, rng),
                                   "issuer": person.nationality}]}
        if variant == "birth_year_off_by_one":
            year = int(person.dob[:4]) + rng.choice((-1, 1))
            return {"names": [_name(passport["surname"], passport["given_names"])],
                    "dates_of_birth": [f"{year}{person.dob[4:]}"]}
        if variant == "nickname" and not nickname_variants(passport["given_names"].split()[0]):
            return None
        if variant == "original_script" and person.native() is None:
            return None
        if variant == "typo" and not any(len(t) >= 6 for t in f"{passport['given_names']} {passport['surname']}".split()):
            return None
        return listed_variant(variant, passport, rng, given_pool, surname_pool, person.native())

    # -- subsets ---------------------------------------------------------------------------
    def entries(self, size: int) -> tuple[list[dict], dict[tuple[frozenset, str], int]]:
        """The list of ``size`` entries (fillers prefix + every planted entry at positions drawn for
        this size), and the identities with full dates of birth its persons carry (for
        :meth:`coincidences`)."""
        planted = [entry for _, entry, _ in self.planted()]
        n_fillers = max(0, size - len(planted))
        out: list[dict] = []
        people: dict[tuple[frozenset, str], int] = {}
        for entry, key in self.fillers(n_fillers):
            out.append(entry)
            if key is not None:
                identity, dates = key
                for date in dates:
                    people[(identity, date)] = people.get((identity, date), 0) + 1
        rng = random.Random(f"{self.seed}-positions-{size}")
        positions = sorted(rng.randrange(len(out) + 1) for _ in planted)
        merged: list[dict] = []
        at = 0
        for position, entry in zip(positions, planted):
            merged.extend(out[at:position])
            merged.append(entry)
            at = position
        merged.extend(out[at:])
        return merged, people

    @staticmethod
    def coincidences(travellers: list[tuple[dict, frozenset, str]], people: dict) -> set[str]:
        """Ordinary travellers who share their name (as a person) and full date of birth with a
        listed filler person: real coincidences, indistinguishable on these fields."""
        return {record["traveller_id"] for record, identity, dob in travellers if (identity, dob) in people}

