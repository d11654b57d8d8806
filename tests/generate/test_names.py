"""Name tables and how names are written: MRZ A-Z, native forms kept."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from random import Random

from pipelines.generate import cultures, draw_name, relative_name
from pipelines.generate.names import scheme_transliterate
from pipelines.mrz import transliterate

MRZ_NAME = re.compile(r"^[A-Z]+( [A-Z]+)*$")


def test_every_table_entry_is_sendable():
    for name, culture in cultures().items():
        entries = culture.surnames + culture.given["M"] + culture.given["F"] + \
            culture.patronymics["M"] + culture.patronymics["F"]
        for entry in entries:
            for spelling in entry.latin:
                assert MRZ_NAME.match(spelling), (name, entry)
            if culture.native_script:
                assert entry.native and not entry.native.isascii(), (name, entry)


def test_native_scripts_are_what_the_culture_says():
    scripts = {"arabic": "ARABIC", "hebrew": "HEBREW", "russian": "CYRILLIC", "ukrainian": "CYRILLIC",
               "chinese": "CJK", "japanese": "CJK", "korean": "HANGUL", "south_asian": "DEVANAGARI"}
    for name, script in scripts.items():
        for entry in cultures()[name].surnames:
            letters = [ch for ch in entry.native if ch.isalpha()]
            assert all(script in unicodedata.name(ch) or (script == "CJK" and "IDEOGRAPHIC" in unicodedata.name(ch))
                       for ch in letters), (name, entry.native)


def test_cyrillic_follows_the_passport_tables():
    assert scheme_transliterate("Юлия", "icao_ru") == "IULIIA"
    assert scheme_transliterate("Щербаков", "icao_ru") == "SHCHERBAKOV"
    assert scheme_transliterate("Юлия", "old_ru") == "YULIYA"
    assert scheme_transliterate("Андрій", "kmu_ua") == "ANDRII"
    assert scheme_transliterate("Юрій", "kmu_ua") == "YURII"
    assert scheme_transliterate("Євген", "kmu_ua") == "YEVHEN"
    assert scheme_transliterate("Згорани", "kmu_ua") == "ZGHORANY"
    # the Russian table's first spelling is the ICAO one
    for entry in cultures()["russian"].given["M"] + cultures()["russian"].given["F"]:
        assert entry.latin[0] == scheme_transliterate(entry.native, "icao_ru"), entry


def test_diacritics_follow_doc_9303():
    german = {e.native: e.latin[0] for e in cultures()["german"].surnames}
    assert german["Müller"] == "MUELLER" and german["Weiß"] == "WEISS"
    spanish = {e.native: e.latin[0] for e in cultures()["spanish_mexican"].surnames}
    assert spanish["Muñoz"] == "MUNOZ" and spanish["Hernández"] == "HERNANDEZ"
    vietnamese = {e.native: e.latin[0] for e in cultures()["vietnamese"].surnames}
    assert vietnamese["Nguyễn"] == "NGUYEN" and vietnamese["Đặng"] == "DANG"
    assert transliterate("Marie-Ève") == "MARIE EVE"


def test_culture_habits():
    rng = Random(1)
    # Russian women carry the feminine surname form, in the native script too.
    for _ in range(50):
        man = draw_name(rng, "russian", "M", "RUS")
        wife = relative_name(rng, man, "F", "child")
        if man.native_surname.endswith("ов"):
            assert wife.native_surname == man.native_surname + "а"
            assert wife.surname == man.surname + "A"
    # Mexican children: father's first surname, then the mother's.
    compound = 0
    for _ in range(50):
        father = draw_name(rng, "spanish_mexican", "M", "MEX")
        mother = draw_name(rng, "spanish_mexican", "F", "MEX")
        child = relative_name(rng, father, "F", "child", other_parent=mother)
        assert child.surname.split()[0] == father.surname.split()[0]
        compound += len(child.family) == 2
    assert compound > 40
    # Chinese: given names joined in pinyin, native name without spaces.
    for _ in range(20):
        name = draw_name(rng, "chinese", "F", "CHN")
        assert " " not in name.given_names and " " not in name.native_given_names
    # Spellings vary by passport: Hong Kong Cantonese, Taiwan Wade-Giles.
    hk = Counter(draw_name(rng, "chinese", "M", "HKG").surname for _ in range(300))
    assert {"CHAN", "WONG", "CHEUNG", "LAU", "LEUNG"} & set(hk)


def test_persons_native_file(small_set):
    rows = small_set.native
    assert rows
    scripts = Counter(row["script"] for row in rows)
    assert {"Arab", "Cyrl", "Hani"} <= set(scripts)
    keys = {f"{m}/{p['person_id']}" for m, (f, manifest) in small_set.manifests.items() for p in manifest["persons"]}
    sent = {f"{m}/{p['person_id']}": p for m, (f, manifest) in small_set.manifests.items() for p in manifest["persons"]}
    for row in rows:
        assert row["record_key"] in keys
        assert set(row) >= {"record_key", "culture", "native_surname", "native_given_names"}
        person = sent[row["record_key"]]
        if person["surname"]:  # not blanked by a planted defect
            assert person["surname"] == row["surname"]
    # Every person of a non-Latin culture is listed.
    by_culture = Counter(row["culture"] for row in rows)
    assert by_culture["russian"] + by_culture["arabic"] + by_culture["chinese"] > 0


def test_several_cultures_on_board(small_set):
    cultures_seen = small_set.summary["cultures"]
    assert len(cultures_seen) >= 12
    assert cultures_seen["english"] and cultures_seen["spanish_mexican"] and cultures_seen["french_canadian"]
    surnames = Counter(p["surname"] for _, _, p in small_set.persons() if p["surname"])
    assert any(" " in s for s in surnames)  # compound surnames
