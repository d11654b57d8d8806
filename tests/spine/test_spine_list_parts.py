"""A passenger list too long for one PAXLST message comes in parts (UNH ``+REF+01:C`` ...
``+REF+02:F``). The parts together are the list: a batch run screens and shares every part's
persons, and no part withdraws the persons of the parts before it."""

from __future__ import annotations

import glob
import json

import pytest

from pipelines import crypto
from pipelines.cli import main as paxshare
from pipelines.flags.reader import read_flags
from pipelines.validation import derive
from tests.spine.factories import manifest, person

WATCHLIST = ("entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,"
             "document_issuer,category,list_owner,receivers\n"
             "E1,Okafor,Chidi,,,1980-06-01,M,NGA,,,LOOKOUT,USA,USA|CAN|MEX\n")
FLIGHT = ["TDT+20+AC0871+++AC", "LOC+125+YYZ", "DTM+189:2611231930:201", "LOC+87+IAH", "DTM+232:2611232215:201"]


def _person(surname: str, given: str, born: str, nationality: str, document: str) -> list[str]:
    return [f"NAD+FL+++{surname}:{given}", "ATT+2++M", f"DTM+329:{born}", f"NAT+2+{nationality}",
            f"DOC+P+{document}", "DTM+36:300101", f"LOC+91+{nationality}"]


def _part(reference: str, status: str, persons: list[list[str]], declared: int | None = None) -> list[str]:
    count = len(persons) if declared is None else declared
    body = ["BGM+745", "NAD+MS+++OPS", *FLIGHT, *[s for p in persons for s in p], f"CNT+42:{count}"]
    return [f"UNH+{reference}+PAXLST:D:05B:UN:IATA+AC0871/261123/1930+{status}", *body,
            f"UNT+{len(body) + 2}+{reference}"]


@pytest.mark.parametrize("declared", [None, 3], ids=["count-per-part", "whole-list-count-in-each-part"])
def test_every_part_of_a_list_is_screened_and_shared_and_none_is_withdrawn(tmp_path, declared):
    first = [_person("OKAFOR", "CHIDI", "800601", "NGA", "A1000001"), _person("TREMBLAY", "LUC", "750203", "CAN", "C2000002")]
    second = [_person("GARCIA", "ANA", "910912", "MEX", "M3000003")]
    segments = ["UNB+UNOA:4+ACAPI:ZZ+USCSAPIS:ZZ+261123:1200+IC42++APIS",
                *_part("PAX001", "01:C", first, declared), *_part("PAX002", "02:F", second, declared), "UNZ+2+IC42"]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ac0871.edi").write_text("UNA:+.? '" + "'".join(segments) + "'", encoding="ascii")
    keys, converted, out = tmp_path / "keys", tmp_path / "converted", tmp_path / "out"
    assert paxshare(["keys", "demo", "--dir", str(keys)]) == 0
    assert paxshare(["rules", "check", "--init-keys", str(keys)]) == 0
    (tmp_path / "watch.csv").write_text(WATCHLIST, encoding="utf-8")
    assert paxshare(["convert", str(tmp_path / "in" / "ac0871.edi"), "--out", str(converted), "--quiet"]) == 0
    assert paxshare(["run", str(converted / "api"), "--output", str(out), "--watchlists", str(tmp_path / "watch.csv"),
                     "--keys", str(keys), "--rules", "rules", "--run-id", "parts1", "--quiet"]) == 0

    report = json.loads((out / "report" / "run_report.json").read_text())
    assert report["reconciled"] and report["totals"]["persons_in"] == report["totals"]["persons_valid"] == 3
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    flags = [f for p in glob.glob(str(out / "flags" / "*" / "*.sealed")) for f in read_flags(p, keyring, trusted)]
    assert flags and {(f["traveller"]["surname"], f["withdrawn"]) for f in flags} == {("OKAFOR", None)}  # one per unit
    sharing = report["stages"]["sharing"]
    assert sharing.get("records shared", 0) >= 1 and sharing.get("withdrawal notices", 0) == 0


def test_a_part_may_declare_the_whole_lists_count_but_not_fewer_than_it_holds():
    def difference(declared, part):
        record = manifest("M1", persons=[person(1), person(2)], declared_passenger_count=declared,
                          list_part={"reference": "R", "number": 1, "last": False} if part else None)
        return derive.manifest_row(record)["passenger_count_difference"]

    assert difference(5, part=True) is None      # the whole list's count: judged nowhere per part
    assert difference(1, part=True) == -1        # fewer than the part holds: wrong anyway
    assert difference(5, part=False) == 3        # a list sent whole must match
    assert difference(2, part=False) == 0
