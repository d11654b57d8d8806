"""Synthetic inputs for tests and benchmarks: API manifests and large watchlists.

Stands in for the project generator (``pipelines/generate``) where that is not available, and
builds the million-entry lists the speed benchmark needs. Names come from a small multi-origin
pool and from syllables, with a heavy-tailed (Zipf-like) choice so that common names are common,
which is what makes blocking hard.
"""

from __future__ import annotations

import random
from typing import Iterator

import fastavro

__all__ = ["GIVEN", "SURNAMES", "fake_manifests", "write_fake_manifests", "fake_entries"]

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


def _zipf_choice(rng: random.Random, pool: list[str]) -> str:
    """Heavy-tailed pick: early pool members are much more frequent."""
    return pool[min(int(rng.paretovariate(1.3)) - 1, len(pool) - 1)] if rng.random() < 0.3 else rng.choice(pool)


def _syllable_name(rng: random.Random, parts: tuple[int, int]) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(*parts))).upper()


def _person(rng: random.Random, number: int) -> dict:
    given = [_zipf_choice(rng, GIVEN)] + ([rng.choice(GIVEN)] if rng.random() < 0.4 else [])
    surname = _zipf_choice(rng, SURNAMES) if rng.random() < 0.6 else _syllable_name(rng, (2, 3))
    nationality = rng.choice(_NATIONALITIES)
    dob = f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "person_id": f"P{number}", "role": "PASSENGER", "surname": surname, "given_names": " ".join(given),
        "date_of_birth": dob, "sex": rng.choice("MF"), "nationality": nationality, "residence_country": None,
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
            "schema_version": 2, "message_id": f"FAKE{seed}-{m:05d}", "sender": "AC",
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
    document-only, dates full/partial/missing."""
    rng = random.Random(seed)
    for i in range(n):
        if rng.random() < 0.05:
            yield {"schema_version": 1, "entry_id": f"E{i}", "list_id": "BENCH-SLTD", "list_owner": "USA",
                   "category": "LOST_STOLEN_DOCUMENT", "severity": "HIGH", "names": [], "dates_of_birth": [],
                   "sex": None, "nationalities": [], "receivers": ["USA"], "remarks": None,
                   "documents": [{"type": "P", "number": f"L{rng.randrange(10**9):09d}", "issuer": rng.choice(_NATIONALITIES)}]}
            continue
        given = _zipf_choice(rng, GIVEN) if rng.random() < 0.5 else _syllable_name(rng, (2, 3))
        if rng.random() < 0.3:
            given += " " + rng.choice(GIVEN)
        surname = _zipf_choice(rng, SURNAMES) if rng.random() < 0.3 else _syllable_name(rng, (2, 4))
        names = [{"full_name": None, "surname": surname, "given_names": given, "kind": "PRIMARY", "quality": "GOOD", "script": None}]
        if rng.random() < 0.1:
            names.append({"full_name": f"{_syllable_name(rng, (2, 3))} {surname}", "surname": None, "given_names": None,
                          "kind": "ALIAS", "quality": "LOW", "script": None})
        year = rng.randint(1940, 2005)
        dob = rng.choice([f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", str(year), None])
        yield {"schema_version": 1, "entry_id": f"E{i}", "list_id": "BENCH", "list_owner": "USA", "category": category,
               "severity": "NORMAL", "names": names, "dates_of_birth": [dob] if dob else [],
               "sex": rng.choice(["M", "F", None]), "nationalities": [rng.choice(_NATIONALITIES)], "documents": [],
               "receivers": ["USA"], "remarks": None}
