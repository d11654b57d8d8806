"""Planted truth: watchlists built around generated travellers, with known true matches.

:func:`plant_watchlists` reads generated API manifests, picks travellers and lists each of them
under one recorded *variant* of how real lists differ from passports (the variants screening must
survive), then adds many filler entries that match nobody. The benchmark screens the manifests
against these lists and reports recall per variant and the false-alert rate on everyone else.

Variants: ``exact``, ``transliteration_spelling``, ``name_swap``, ``missing_middle_name``,
``extra_middle_name``, ``compound_surname``, ``nickname``, ``typo``, ``partial_dob``,
``day_month_swap``, ``placeholder_dob``, ``document_only`` (a lost/stolen document entry) and
``original_script`` (the list holds the name in Cyrillic, or in the generator's native script
when ``truth/persons_native.jsonl`` exists beside the manifests).

Lists (several owners): USA-TSDB (TERRORISM), USA-LOOKOUT, CAN-LOOKOUT, MEX-ALERTA (LOOKOUT) and
USA/CAN/MEX-SLTD (LOST_STOLEN_DOCUMENT), each written as Avro and CSV under
``out_dir/watchlists/``, with ``out_dir/watchlists/truth.jsonl`` (record_key, entry_id, list_id,
variant). Fillers are either real-looking recombinations of generated name parts (checked not to
reproduce any traveller's name) or syllable-built names, with random dates of birth.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Iterable

import fastavro

from pipelines.screening.normalise.names import normalise
from pipelines.screening.normalise.names import is_particle
from pipelines.screening.normalise.nicknames import variants as nickname_variants
from pipelines.screening.lists.watchlist import write_watchlist_avro, write_watchlist_csv

__all__ = ["plant_watchlists", "VARIANTS", "PERSON_LISTS", "DOCUMENT_LISTS"]

VARIANTS = ("exact", "transliteration_spelling", "name_swap", "missing_middle_name", "extra_middle_name",
            "compound_surname", "nickname", "typo", "partial_dob", "day_month_swap", "placeholder_dob",
            "document_only", "original_script")

#: list_id -> (owner, category, severity)
PERSON_LISTS = {
    "USA-TSDB": ("USA", "TERRORISM", "TOP"),
    "USA-LOOKOUT": ("USA", "LOOKOUT", "HIGH"),
    "CAN-LOOKOUT": ("CAN", "LOOKOUT", "HIGH"),
    "MEX-ALERTA": ("MEX", "LOOKOUT", "NORMAL"),
}
DOCUMENT_LISTS = {
    "USA-SLTD": ("USA", "LOST_STOLEN_DOCUMENT", "HIGH"),
    "CAN-SLTD": ("CAN", "LOST_STOLEN_DOCUMENT", "HIGH"),
    "MEX-SLTD": ("MEX", "LOST_STOLEN_DOCUMENT", "HIGH"),
}
_PARTNERS = ["USA", "CAN", "MEX"]

# Respellings seen between transliteration systems (applied once, where they fit).
_RESPELL = [("OU", "U"), ("U", "OU"), ("Y", "I"), ("I", "Y"), ("KH", "H"), ("EI", "EY"), ("EY", "EI"),
            ("SH", "SCH"), ("V", "W"), ("W", "V"), ("PH", "F"), ("F", "PH"), ("K", "C"), ("C", "K"),
            ("J", "DJ"), ("E", "A"), ("O", "U"), ("EE", "I"), ("IE", "I"), ("Q", "K"), ("X", "KS"),
            ("SS", "S"), ("LL", "L"), ("MM", "M"), ("TT", "T"), ("NN", "N"), ("AH", "A")]
# Latin -> Cyrillic, digraphs first: how a Russian-speaking analyst would write a foreign name.
_CYRILLIC = [("SHCH", "Щ"), ("SH", "Ш"), ("CH", "Ч"), ("KH", "Х"), ("ZH", "Ж"), ("TS", "Ц"), ("YA", "Я"),
             ("YU", "Ю"), ("YO", "Ё"), ("A", "А"), ("B", "Б"), ("V", "В"), ("G", "Г"), ("D", "Д"), ("E", "Е"),
             ("Z", "З"), ("I", "И"), ("Y", "Й"), ("K", "К"), ("L", "Л"), ("M", "М"), ("N", "Н"), ("O", "О"),
             ("P", "П"), ("R", "Р"), ("S", "С"), ("T", "Т"), ("U", "У"), ("F", "Ф"), ("H", "Х"), ("C", "К"),
             ("W", "В"), ("J", "Дж"), ("Q", "К"), ("X", "Кс")]
_SYLLABLES = ["ka", "lo", "mi", "ran", "dor", "bel", "tu", "zen", "qua", "fir", "nok", "sal", "vek", "ome",
              "pra", "gus", "hal", "jin", "wex", "tor", "ul", "yab", "cre", "dun", "ish", "rov", "mak"]


def _read_travellers(manifest_files: Iterable[str]) -> list[dict]:
    out = []
    for path in manifest_files:
        with open(path, "rb") as handle:
            for manifest in fastavro.reader(handle):
                for person in manifest.get("persons") or []:
                    if not (person.get("surname") and person.get("given_names")):
                        continue
                    out.append({"record_key": f"{manifest['message_id']}/{person['person_id']}", **person})
    return out


def _native_names(manifest_files: list[str]) -> dict[str, dict]:
    """``truth/persons_native.jsonl`` near the manifests, keyed by record_key (if present)."""
    for path in manifest_files:
        for folder in Path(path).resolve().parents[:3]:
            candidate = folder / "truth" / "persons_native.jsonl"
            if candidate.is_file():
                out = {}
                for line in candidate.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        row = json.loads(line)
                        key = row.get("record_key") or f"{row.get('message_id')}/{row.get('person_id')}"
                        out[key] = row
                return out
    return {}


def to_cyrillic(name: str) -> str:
    """A Latin-script name written in Cyrillic letters (a list's original-script form)."""
    words = []
    for word in normalise(name).split():
        out, i = [], 0
        while i < len(word):
            for latin, cyr in _CYRILLIC:
                if word.startswith(latin, i):
                    out.append(cyr)
                    i += len(latin)
                    break
            else:
                i += 1
        words.append("".join(out).capitalize())
    return " ".join(words)


def _respell(token: str, rng: random.Random) -> str | None:
    options = [(a, b) for a, b in _RESPELL if a in token[1:]]
    if not options:
        return None
    a, b = rng.choice(options)
    start = token.index(a, 1)
    return token[:start] + b + token[start + len(a):]


def _typo(token: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(token) - 1)
    kind = rng.choice(("substitute", "delete", "insert", "transpose"))
    letter = rng.choice("ABCDEFGHIJKLMNOPRSTUVWYZ")
    if kind == "substitute":
        return token[:i] + letter + token[i + 1:]
    if kind == "delete":
        return token[:i] + token[i + 1:]
    if kind == "insert":
        return token[:i] + letter + token[i:]
    return token[:i - 1] + token[i] + token[i - 1] + token[i + 1:]


def _name(surname: str | None, given: str | None, full: str | None = None, quality: str = "GOOD",
          kind: str = "PRIMARY", script: str | None = None) -> dict:
    return {"full_name": full, "surname": surname, "given_names": given, "kind": kind, "quality": quality,
            "script": script}


def listed_variant(kind: str, person: dict, rng: random.Random, given_pool: list[str], surname_pool: list[str],
                   native: dict | None) -> dict | None:
    """Listed form of a person under one variant; None when the variant does not apply to them."""
    surname, given = person["surname"].upper(), person["given_names"].upper()
    dob = person.get("date_of_birth")
    given_tokens, surname_tokens = given.split(), surname.split()
    names = [_name(surname, given)]
    dobs = [dob] if dob else []
    if kind == "transliteration_spelling":
        candidates = [(i, t) for i, t in enumerate(surname_tokens) if _respell(t, rng)]
        if not candidates:
            return None
        i, token = rng.choice(candidates)
        surname_tokens[i] = _respell(token, rng)
        names = [_name(" ".join(surname_tokens), given)]
    elif kind == "name_swap":
        names = [_name(given, surname)]
    elif kind == "missing_middle_name":
        if len(given_tokens) < 2:
            return None
        del given_tokens[rng.randrange(1, len(given_tokens))]
        names = [_name(surname, " ".join(given_tokens))]
    elif kind == "extra_middle_name":
        names = [_name(surname, given + " " + rng.choice(given_pool))]
    elif kind == "compound_surname":
        real = [t for t in surname_tokens if not is_particle(t)]
        if len(real) >= 2:
            # one part of a compound surname (REYES DE LEON -> LEON), never a bare particle
            names = [_name(rng.choice(real), given)]
        else:
            names = [_name(surname + " " + rng.choice(surname_pool), given)]
    elif kind == "nickname":
        options = sorted(nickname_variants(given_tokens[0]))
        if not options:
            return None
        names = [_name(surname, " ".join([rng.choice(options)] + given_tokens[1:]))]
    elif kind == "typo":
        candidates = [t for t in surname_tokens + given_tokens if len(t) >= 6]
        if not candidates:
            return None
        token = rng.choice(candidates)
        typo = _typo(token, rng)
        names = [_name(" ".join(typo if t == token else t for t in surname_tokens),
                       " ".join(typo if t == token else t for t in given_tokens))]
    elif kind in ("partial_dob", "day_month_swap", "placeholder_dob"):
        if not dob or len(dob) < 10:
            return None
        year, month, day = dob[:4], dob[5:7], dob[8:10]
        if kind == "partial_dob":
            dobs = [year if rng.random() < 0.5 else f"{year}-{month}"]
        elif kind == "day_month_swap":
            if int(day) > 12 or day == month:
                return None
            dobs = [f"{year}-{day}-{month}"]
        else:
            if (month, day) == ("01", "01"):
                return None
            dobs = [f"{year}-01-01"]
    elif kind == "original_script":
        if native and (native.get("surname_native") or native.get("full_name_native")):
            names = [_name(native.get("surname_native"), native.get("given_names_native"),
                           native.get("full_name_native"), script=native.get("script")),
                     _name(surname, given, kind="ALIAS", quality="LOW")]
            names = names[:1]
        else:
            names = [_name(to_cyrillic(surname), to_cyrillic(given), script="Cyrl")]
    return {"names": names, "dates_of_birth": dobs}


def _filler_name(rng: random.Random, given_pool: list[str], surname_pool: list[str], taken: set[tuple]) -> tuple[str, str]:
    for _ in range(20):
        if rng.random() < 0.5 and given_pool and surname_pool:
            given, surname = rng.choice(given_pool), rng.choice(surname_pool)
        else:
            given = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).upper()
            surname = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).upper()
        if (frozenset(given.split()), frozenset(surname.split())) not in taken:
            return surname, given
    return surname, given + " " + rng.choice(_SYLLABLES).upper()


def plant_watchlists(manifest_files: list[str], out_dir: str, seed: int, per_variant: int = 20,
                     fillers: int = 5000) -> dict:
    """Write planted watchlists (Avro + CSV) and ``watchlists/truth.jsonl`` under ``out_dir``.

    ``per_variant`` travellers are listed per variant (fewer if the manifests are small: every
    traveller is planted at most once); ``fillers`` non-matching entries are spread over the lists.
    Returns a summary: files written, entries per list, planted count per variant."""
    rng = random.Random(seed)
    travellers = _read_travellers(manifest_files)
    native = _native_names(manifest_files)
    given_pool = sorted({t for p in travellers for t in p["given_names"].upper().split()})
    surname_pool = sorted({p["surname"].upper() for p in travellers})
    taken = {(frozenset(p["given_names"].upper().split()), frozenset(p["surname"].upper().split())) for p in travellers}
    order = list(range(len(travellers)))
    rng.shuffle(order)
    used: set[str] = set()
    lists: dict[str, list[dict]] = {list_id: [] for list_id in {**PERSON_LISTS, **DOCUMENT_LISTS}}
    truth: list[dict] = []
    counter = 0

    def new_entry(list_id: str, body: dict) -> dict:
        nonlocal counter
        counter += 1
        owner, category, severity = {**PERSON_LISTS, **DOCUMENT_LISTS}[list_id]
        entry = {"schema_version": 1, "entry_id": f"{list_id}-{counter:07d}", "list_id": list_id, "list_owner": owner,
                 "category": category, "severity": severity, "names": [], "dates_of_birth": [], "sex": None,
                 "nationalities": [], "documents": [], "receivers": _PARTNERS if rng.random() < 0.8 else [owner],
                 "remarks": None}
        entry.update(body)
        lists[list_id].append(entry)
        return entry

    person_lists = list(PERSON_LISTS)
    for variant in VARIANTS:
        planted = 0
        for position in order:
            if planted >= per_variant:
                break
            person = travellers[position]
            if person["record_key"] in used:
                continue
            if variant == "document_only":
                docs = [d for d in person.get("documents") or [] if d.get("number") and d.get("issuing_state")]
                if not docs:
                    continue
                doc = docs[0]
                issuer = doc["issuing_state"]
                list_id = f"{issuer}-SLTD" if f"{issuer}-SLTD" in DOCUMENT_LISTS else "USA-SLTD"
                entry = new_entry(list_id, {"documents": [{"type": doc.get("type"), "number": doc["number"], "issuer": issuer}]})
            else:
                body = listed_variant(variant, person, rng, given_pool, surname_pool, native.get(person["record_key"]))
                if body is None:
                    continue
                body["sex"] = person.get("sex") if person.get("sex") in ("M", "F") and rng.random() < 0.8 else None
                body["nationalities"] = [person["nationality"]] if person.get("nationality") and rng.random() < 0.7 else []
                entry = new_entry(person_lists[planted % len(person_lists)], body)
            used.add(person["record_key"])
            truth.append({"record_key": person["record_key"], "entry_id": entry["entry_id"],
                          "list_id": entry["list_id"], "variant": variant})
            planted += 1
    all_lists = person_lists + list(DOCUMENT_LISTS)
    for number in range(fillers):
        list_id = all_lists[number % len(all_lists)] if number % 10 else rng.choice(list(DOCUMENT_LISTS))
        if list_id in DOCUMENT_LISTS:
            issuer = list_id[:3]
            new_entry(list_id, {"documents": [{"type": "P", "number": f"F{rng.randrange(10**8):08d}", "issuer": issuer}]})
            continue
        surname, given = _filler_name(rng, given_pool, surname_pool, taken)
        year = rng.randint(1940, 2005)
        dob = rng.choice([f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", str(year), ""])
        new_entry(list_id, {"names": [_name(surname, given)], "dates_of_birth": [dob] if dob else [],
                            "sex": rng.choice(["M", "F", None]), "nationalities": [rng.choice(["USA", "CAN", "MEX", "GBR", "IND"])]})
    folder = Path(out_dir) / "watchlists"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for list_id, entries in sorted(lists.items()):
        avro_path, csv_path = folder / f"{list_id}.avro", folder / f"{list_id}.csv"
        write_watchlist_avro(entries, str(avro_path))
        write_watchlist_csv(entries, str(csv_path))
        files[list_id] = {"avro": str(avro_path), "csv": str(csv_path), "entries": len(entries)}
    truth_path = folder / "truth.jsonl"
    truth_path.write_text("".join(json.dumps(t) + "\n" for t in truth), encoding="utf-8")
    by_variant: dict[str, int] = {}
    for row in truth:
        by_variant[row["variant"]] = by_variant.get(row["variant"], 0) + 1
    return {"lists": files, "truth": str(truth_path), "planted": len(truth), "by_variant": by_variant,
            "travellers_read": len(travellers), "native_script_source": "generator" if native else "cyrillic-table"}
