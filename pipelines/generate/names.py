"""Name cultures: the tables in ``data/names_<culture>.csv`` and how a person's name is built from them.

Every name entry keeps its native form (Arabic, Cyrillic, Han, Hangul, Devanagari... or the Latin
spelling with its diacritics) and the Latin spellings airlines send, already in MRZ characters
(``pipelines.mrz.transliterate``). A :class:`PersonName` carries both, so whoever drew a name can
ask for its original-script form (:meth:`PersonName.native`), e.g. the watchlist planter that lists
a traveller under the spelling a foreign list would use.

Tables are CSV with the columns ``kind`` (given, surname, patronymic), ``sex`` (M, F or blank),
``native`` and ``latin`` (``|``-separated spellings, the first the standard passport spelling; blank
means "derive it from the native form with the culture's transliteration scheme").
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

from pipelines.mrz import transliterate

__all__ = [
    "NameEntry", "Culture", "PersonName", "cultures", "culture", "culture_names", "draw_name",
    "relative_name", "scheme_transliterate", "data_path",
]

# ---------------------------------------------------------------------------------------------
# Transliteration schemes for Cyrillic (unidecode's generic table is not what passports print).

#: ICAO Doc 9303 (7th ed., 2015) Cyrillic table, used in Russian passports since 2013.
ICAO_RU = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH", "З": "Z", "И": "I",
    "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T",
    "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y",
    "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
}
#: The older spelling still found on many documents and bookings (pre-2013 Russian passports,
#: English-language habit): Й -> Y, Ю -> YU, Я -> YA, Ъ dropped.
OLD_RU = dict(ICAO_RU, **{"Й": "Y", "Ю": "YU", "Я": "YA", "Ъ": ""})

#: Ukrainian national transliteration (Cabinet of Ministers resolution 55 of 2010), used in
#: Ukrainian passports. Є Ї Й Ю Я have a word-initial form.
KMU_UA = {
    "А": "A", "Б": "B", "В": "V", "Г": "H", "Ґ": "G", "Д": "D", "Е": "E", "Є": "IE", "Ж": "ZH", "З": "Z",
    "И": "Y", "І": "I", "Ї": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P",
    "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH",
    "Щ": "SHCH", "Ь": "", "Ю": "IU", "Я": "IA", "'": "", "’": "",
}
KMU_UA_INITIAL = {"Є": "YE", "Ї": "YI", "Й": "Y", "Ю": "YU", "Я": "YA"}
#: Common older/English spelling of Ukrainian names: Й -> Y, Ю -> YU, Я -> YA everywhere.
OLD_UA = dict(KMU_UA, **{"Й": "Y", "Ю": "YU", "Я": "YA", "Є": "YE", "Ї": "YI"})


def scheme_transliterate(text: str, scheme: str) -> str:
    """Latin MRZ form of ``text`` under ``scheme``: ``icao_ru``, ``old_ru``, ``kmu_ua``, ``old_ua`` or
    ``doc9303`` (``pipelines.mrz.transliterate``, for Latin with diacritics and other scripts)."""
    if scheme == "doc9303":
        return transliterate(text)
    table = {"icao_ru": ICAO_RU, "old_ru": OLD_RU, "kmu_ua": KMU_UA, "old_ua": OLD_UA}[scheme]
    out = []
    previous_letter = False
    for ch in text.upper():
        if scheme == "kmu_ua" and not previous_letter and ch in KMU_UA_INITIAL:
            out.append(KMU_UA_INITIAL[ch])
        elif ch == "Г" and scheme in ("kmu_ua", "old_ua") and out and out[-1].endswith("Z"):
            out.append("GH")  # зг -> ZGH, so it is not read as ж
        else:
            out.append(table.get(ch, ch))
        previous_letter = ch.isalpha()
    return transliterate("".join(out))


_ALT_SCHEME = {"icao_ru": "old_ru", "kmu_ua": "old_ua"}


# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NameEntry:
    """One name: its native form (None where the culture writes it only in plain A-Z) and its
    Latin MRZ spellings, the standard one first."""

    native: str | None
    latin: tuple[str, ...]

    def spelling(self, index: int) -> str:
        return self.latin[index if index < len(self.latin) else len(self.latin) - 1]


@dataclass
class Culture:
    """A naming culture: its tables and how names are put together."""

    name: str
    script: str
    translit: str
    weight: float
    nationalities: dict[str, float]
    affinity: dict[str, float]
    birthplaces: list[str]
    params: dict
    given: dict[str, list[NameEntry]] = field(default_factory=dict)
    surnames: list[NameEntry] = field(default_factory=list)
    patronymics: dict[str, list[NameEntry]] = field(default_factory=dict)
    #: female surname forms of Slavic cultures, keyed by the male entry
    female_surnames: dict[NameEntry, NameEntry] = field(default_factory=dict)

    @property
    def native_script(self) -> bool:
        """True when the culture writes names in a script other than Latin."""
        return self.script != "Latn"

    @property
    def home(self) -> str:
        """The nationality whose passports use the standard (first) spelling."""
        return next(iter(self.nationalities))


class PersonName:
    """A drawn name: what is sent (MRZ A-Z) and the native form it came from."""

    __slots__ = ("culture", "surname", "given_names", "native_surname", "native_given_names",
                 "family", "variant", "sex")

    def __init__(self, culture: str, surname: str, given_names: str, native_surname: str | None,
                 native_given_names: str | None, family: tuple = (), variant: int = 0, sex: str = "M"):
        self.culture = culture
        self.surname = surname
        self.given_names = given_names
        self.native_surname = native_surname
        self.native_given_names = native_given_names
        self.family = family      # surname entries, for relatives
        self.variant = variant    # spelling index used for the family name
        self.sex = sex

    def native(self) -> tuple[str | None, str | None]:
        """(native surname, native given names) as written in the culture's own script."""
        return self.native_surname, self.native_given_names

    def has_native_form(self) -> bool:
        """True when the native form says more than the sent A-Z form: another script or diacritics."""
        for text in (self.native_surname, self.native_given_names):
            if text and not text.isascii():
                return True
        return False

    def __repr__(self) -> str:
        return (f"PersonName({self.culture!r}, {self.surname!r}, {self.given_names!r}, "
                f"native={self.native_surname!r}/{self.native_given_names!r})")


def data_path(name: str) -> Path:
    """Path of a file in ``pipelines/generate/data``."""
    return Path(__file__).resolve().parent / "data" / name


def _entry(native: str, latin: str, scheme: str) -> NameEntry:
    native = native.strip() or None
    if latin.strip():
        spellings = [transliterate(v) for v in latin.split("|") if v.strip()]
    else:
        spellings = [scheme_transliterate(native, scheme)]
        if scheme in _ALT_SCHEME:
            spellings.append(scheme_transliterate(native, _ALT_SCHEME[scheme]))
    unique = tuple(dict.fromkeys(s for s in spellings if s))
    if not unique:
        raise ValueError(f"name {native!r} has no Latin spelling")
    return NameEntry(native, unique)


_RU_FEMININE = (("ский", "ская"), ("цкий", "цкая"), ("ой", "ая"), ("ов", "ова"), ("ев", "ева"),
                ("ёв", "ёва"), ("ин", "ина"), ("ын", "ына"))
_UA_FEMININE = (("ський", "ська"), ("цький", "цька"), ("ов", "ова"), ("ев", "ева"), ("ін", "іна"))


def _feminine(native: str, rules) -> str:
    for male, female in rules:
        if native.endswith(male):
            return native[: -len(male)] + female
    return native


@functools.lru_cache(maxsize=1)
def cultures() -> dict[str, Culture]:
    """All name cultures, loaded once from ``data/cultures.json`` and ``data/names_*.csv``."""
    spec = json.loads(data_path("cultures.json").read_text(encoding="utf-8"))["cultures"]
    loaded: dict[str, Culture] = {}
    for name, meta in spec.items():
        params = {k: v for k, v in meta.items()
                  if k not in ("script", "translit", "weight", "nationalities", "affinity", "birthplaces")}
        c = Culture(name, meta["script"], meta["translit"], float(meta["weight"]), meta["nationalities"],
                    meta["affinity"], meta["birthplaces"], params, {"M": [], "F": []}, [], {"M": [], "F": []})
        with data_path(f"names_{name}.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                entry = _entry(row["native"], row["latin"] or "", c.translit)
                if row["kind"] == "given":
                    c.given[row["sex"]].append(entry)
                elif row["kind"] == "surname":
                    c.surnames.append(entry)
                elif row["kind"] == "patronymic":
                    c.patronymics[row["sex"]].append(entry)
                else:
                    raise ValueError(f"names_{name}.csv: unknown kind {row['kind']!r}")
        gendered = params.get("gendered_surnames")
        if gendered:
            rules = _RU_FEMININE if gendered == "ru" else _UA_FEMININE
            for entry in c.surnames:
                female_native = _feminine(entry.native, rules)
                c.female_surnames[entry] = entry if female_native == entry.native else _entry(female_native, "", c.translit)
        if not c.given["M"] or not c.given["F"] or not c.surnames:
            raise ValueError(f"culture {name!r} needs male and female given names and surnames")
        loaded[name] = c
    return loaded


def culture(name: str) -> Culture:
    return cultures()[name]


def culture_names() -> list[str]:
    return list(cultures())


# ---------------------------------------------------------------------------------------------
# Drawing names

def _pick(rng: Random, items: list):
    return items[int(rng.random() * len(items))]


def _variant(rng: Random, c: Culture, nationality: str | None) -> int:
    """Which listed spelling a holder of ``nationality`` would carry."""
    by_nat = c.params.get("variant_by_nationality")
    if by_nat and nationality in by_nat:
        return by_nat[nationality]
    if nationality == c.home:
        return 0
    if rng.random() < c.params.get("alt_spelling_rate", 0.25):
        return 1 + int(rng.random() * 3)
    return 0


def _given(rng: Random, c: Culture, sex: str, variant: int) -> tuple[str, str | None]:
    pool = c.given["F" if sex == "F" else "M"] if sex in ("M", "F") else c.given["M" if rng.random() < 0.5 else "F"]
    first = _pick(rng, pool)
    parts = [first]
    if c.params.get("second_given_rate", 0) and rng.random() < c.params["second_given_rate"]:
        second = _pick(rng, pool)
        if second is not first:
            parts.append(second)
    if c.params.get("patronymic_rate", 0) and rng.random() < c.params["patronymic_rate"]:
        parts.append(_pick(rng, c.patronymics["F" if sex == "F" else "M"]))
    latin = " ".join(p.spelling(variant) for p in parts)
    native = _join_native(parts, c)
    return latin, native


def _join_native(parts, c: Culture) -> str | None:
    if all(p.native is None for p in parts):
        return None
    sep = "" if c.script in ("Hani", "Jpan", "Hang") else " "
    return sep.join(p.native if p.native is not None else p.latin[0] for p in parts)


def _surname_parts(c: Culture, family: tuple, sex: str) -> tuple:
    if c.female_surnames and sex == "F":
        return tuple(c.female_surnames.get(e, e) for e in family)
    return family


def _compose(c: Culture, family: tuple, sex: str, variant: int) -> tuple[str, str | None]:
    parts = _surname_parts(c, family, sex)
    return " ".join(p.spelling(variant) for p in parts), _join_native(parts, c)


def _new_family(rng: Random, c: Culture) -> tuple:
    style = c.params.get("compound_surname")
    first = _pick(rng, c.surnames)
    if style == "spanish" and rng.random() < 0.85:
        second = _pick(rng, c.surnames)
        if second is not first:
            return (first, second)
    if style == "portuguese" and rng.random() < 0.55:
        second = _pick(rng, c.surnames)
        if second is not first:
            return (first, second)
    return (first,)


def draw_name(rng: Random, culture_name: str, sex: str, nationality: str | None = None) -> PersonName:
    """A new person's name in ``culture_name``; ``sex`` in M/F/X/U; spellings follow ``nationality``."""
    c = cultures()[culture_name]
    variant = _variant(rng, c, nationality)
    if c.params.get("mononym_rate") and rng.random() < c.params["mononym_rate"]:
        entry = _pick(rng, c.given["F" if sex == "F" else "M"])
        # A mononym is sent as the primary identifier with no given names (ICAO Doc 9303 Part 3).
        return PersonName(culture_name, entry.spelling(variant), "", entry.native, None, (entry,), variant, sex)
    family = _new_family(rng, c)
    surname, native_surname = _compose(c, family, sex, variant)
    given, native_given = _given(rng, c, sex, variant)
    return PersonName(culture_name, surname, given, native_surname, native_given, family, variant, sex)


def relative_name(rng: Random, head: PersonName, sex: str, relation: str, nationality: str | None = None,
                  other_parent: PersonName | None = None) -> PersonName:
    """Name of a spouse (``relation='spouse'``) or child (``'child'``) of ``head``, following the
    culture's habits: married women keeping their own surname, Spanish paternal + maternal
    surnames, Slavic feminine surname forms, children taking the father's family name."""
    c = cultures()[head.culture]
    variant = head.variant  # one family, one spelling habit
    if not head.given_names and c.params.get("mononym_rate"):
        return draw_name(rng, head.culture, sex, nationality)
    if relation == "spouse":
        if rng.random() < c.params.get("spouse_keeps_surname", 0.5):
            family = _new_family(rng, c)
        else:
            family = head.family[:1]
    else:
        if c.params.get("compound_surname") == "spanish":
            maternal = other_parent.family[0] if other_parent and other_parent.family else _pick(rng, c.surnames)
            family = (head.family[0], maternal) if maternal is not head.family[0] else head.family[:1]
        else:
            family = head.family
    surname, native_surname = _compose(c, family, sex, variant)
    given, native_given = _given(rng, c, sex, variant)
    return PersonName(head.culture, surname, given, native_surname, native_given, family, variant, sex)
