"""PNRs belong to the API passengers and carry the sensitive elements a filter must catch."""

from __future__ import annotations

from collections import Counter

from tests.generate import checker

TITLES = {"MR", "MRS", "MS", "MSTR", "MISS"}


def _strip_title(given: str) -> str:
    words = given.split()
    if words and words[-1] in TITLES:
        words = words[:-1]
    return " ".join(words)


def test_pnrs_link_to_api_persons_by_locator_flight_and_name(small_set):
    invalid = {row["record_key"] for row in small_set.truth}
    by_locator = {p["record_locator"]: p for _, p in small_set.pnrs if p["record_locator"]}
    linked = 0
    for file, manifest, person in small_set.persons():
        if person["role"].endswith("CREW"):
            assert person["pnr_locator"] is None
            continue
        pnr = by_locator.get(person["pnr_locator"])
        if pnr is None:
            # only a PNR planted without its locator is missing
            assert any(row["kind"] == "PNR" and row["field"] == "record_locator" for row in small_set.truth)
            continue
        if manifest["message_id"] in invalid or f"{manifest['message_id']}/{person['person_id']}" in invalid \
                or pnr["record_locator"] in invalid:
            continue
        flight = manifest["flight"]
        segments = [s for s in pnr["flights"] if s["carrier"] == flight["carrier"] and s["number"] == flight["number"]]
        assert segments, (pnr["record_locator"], flight["carrier"], flight["number"])
        assert segments[0]["departure_airport"] == person["embarkation_airport"]
        assert segments[-1]["arrival_airport"] == person["debarkation_airport"]
        leg = next(l for l in flight["legs"] if l["departure_airport"] == person["embarkation_airport"])
        assert segments[0]["departure_local"] == leg["departure_local"]
        names = {(t["surname"], _strip_title(t["given_names"]) if t["given_names"] != "FNU" else "")
                 for t in pnr["travellers"]}
        assert (person["surname"], person["given_names"]) in names
        traveller = next(t for t in pnr["travellers"] if t["surname"] == person["surname"]
                         and _strip_title(t["given_names"] or "") in (person["given_names"], "FNU"))
        assert traveller["date_of_birth"] == person["date_of_birth"]
        linked += 1
    assert linked > 0.8 * small_set.summary["passengers"]  # the rest are planted invalid (5%)


def test_pnrs_hold_parties_with_infants_and_the_19_groups(small_set):
    pnrs = [p for _, p in small_set.pnrs]
    sizes = Counter(len(p["travellers"]) for p in pnrs)
    assert sizes[1] and sizes[2] and sum(n for size, n in sizes.items() if size >= 3)
    infants = [t for p in pnrs for t in p["travellers"] if t["traveller_type"] == "IN"]
    assert infants and all(t["infant_of"] for t in infants)
    assert all(t["sex"] in ("MI", "FI", "U") for t in infants)
    assert all(p["party_size"] == len(p["travellers"]) for p in pnrs)
    assert sum(1 for p in pnrs if p["travel_agency"]) > 0.2 * len(pnrs)
    assert sum(1 for p in pnrs if p["frequent_flyer"]) > 0.1 * len(pnrs)
    assert all(p["tickets"] for p in pnrs)
    assert all(p["history"] for p in pnrs)
    assert any(p["split_from"] or p["split_into"] for p in pnrs)
    cards = [pay for p in pnrs for pay in p["payments"] if pay["method"] == "CC"]
    assert cards and all(c["masked_card_number"].startswith("XXXXXXXXXXXX") and
                         c["masked_card_number"][-4:].isdigit() for c in cards)
    kinds = Counter(c["kind"] for p in pnrs for c in p["contacts"])
    assert kinds["PHONE"] and kinds["EMAIL"]
    codes = Counter(s["code"] for p in pnrs for s in p["ssrs"])
    assert codes["DOCS"] >= sum(len(p["travellers"]) for p in pnrs) * 0.9
    assert codes["DOCO"] and codes["FQTV"] and codes["CTCE"]
    assert any(len(p["flights"]) > 1 for p in pnrs)
    seats = [s for p in pnrs for s in p["seats"]]
    assert seats and all(0 <= s["segment"] for s in seats)


def test_sensitive_codes_and_free_text_are_planted():
    from pipelines.generate import generate
    import tempfile
    import fastavro
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        summary = generate(tmp, travellers=12000, seed=5, invalid_rate=0.0, persons_per_file=12000)
        codes = Counter()
        remarks = []
        with open(Path(tmp) / "pnr" / "pnr-00000.avro", "rb") as handle:
            for pnr in fastavro.reader(handle):
                codes.update(s["code"] for s in pnr["ssrs"])
                remarks.extend(r["text"] for r in pnr["remarks"] if r["kind"] == "OSI")
    sensitive = {"MOML", "KSML", "HNML", "VJML", "AVML", "DBML", "GFML", "LSML", "WCHR", "MEDA", "BLND", "DEAF"}
    present = {c for c in sensitive if codes[c]}
    assert len(present) >= 9, present
    assert codes["MOML"] and codes["KSML"] and codes["WCHR"] and codes["DBML"]
    assert any("PRAYER" in r or "INSULIN" in r or "DIALYSIS" in r for r in remarks)
    assert summary["sensitive"]["SENSITIVE_REMARK"] == len(remarks)
    for code in present:
        assert summary["sensitive"][code] == codes[code]


def test_valid_pnrs_follow_the_conventions(small_set):
    invalid = {row["record_key"] for row in small_set.truth if row["kind"] == "PNR"}
    for _, pnr in small_set.pnrs:
        if (pnr["record_locator"] or pnr["message_id"]) in invalid:
            continue
        assert checker.pnr_defects(pnr) == set()
        assert pnr["creation_date"] <= pnr["flights"][0]["departure_local"][:10]
