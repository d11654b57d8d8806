import json

import fastavro
import pytest

from pipelines.schemas import schema_dir
from pipelines.screening.lists.watchlist import (ScreeningInputError, read_travellers, read_watchlist,
                                                 write_watchlist_avro, write_watchlist_csv)

HEADER = "entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,document_issuer,category"


def test_schema_is_documented_and_versioned():
    raw = json.loads((schema_dir() / "watchlist_entry.avsc").read_text())
    assert raw["namespace"] == "paxshare.screening"
    assert "schema_version" in [f["name"] for f in raw["fields"]]
    assert all(f.get("doc") for f in raw["fields"])
    fastavro.parse_schema(raw)


def test_csv_is_read_liberally(tmp_path):
    path = tmp_path / "usa.csv"
    path.write_text("\ufeff" + HEADER.upper() + ",extra\n\n"
                    "E1,Karimov,Rustam,,Abu Yusuf|Рустам Каримов,1971|1972-03,m,uz,P123456|X99999,UZB|RUS,terrorism,zzz\n"
                    "E2,,,,,,,,L7777777,CAN,LOST_STOLEN_DOCUMENT,\n", encoding="utf-8")
    entries = list(read_watchlist(str(path)))
    assert [e["entry_id"] for e in entries] == ["E1", "E2"]
    e1 = entries[0]
    assert e1["list_id"] == "usa" and e1["category"] == "TERRORISM" and e1["sex"] == "M"
    assert e1["nationalities"] == ["UZB"] and e1["dates_of_birth"] == ["1971", "1972-03"]
    assert [n["kind"] for n in e1["names"]] == ["PRIMARY", "ALIAS", "ALIAS"]
    assert [(d["number"], d["issuer"]) for d in e1["documents"]] == [("P123456", "UZB"), ("X99999", "RUS")]


@pytest.mark.parametrize("row,message", [
    (",KARIMOV,RUSTAM,,,,,,,,LOOKOUT", "entry_id is empty"),
    ("E1,KARIMOV,RUSTAM,,,1971-13-45x,,,,,LOOKOUT", "date of birth"),
    ("E1,KARIMOV,RUSTAM,,,,Q,,,,LOOKOUT", "gender"),
    ("E1,,,,,,,,,,LOOKOUT", "neither a name nor a document"),
])
def test_bad_row_names_file_and_line(tmp_path, row, message):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "\nE0,OK,FINE,,,,,,,,LOOKOUT\n\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ScreeningInputError) as error:
        list(read_watchlist(str(path)))
    assert f"{path}:4:" in str(error.value) and message in str(error.value)


def test_duplicate_entry_is_an_error(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(HEADER + "\nE1,A,B,,,,,,,,LOOKOUT\nE1,C,D,,,,,,,,LOOKOUT\n", encoding="utf-8")
    with pytest.raises(ScreeningInputError, match=r"dup.csv:3: .*repeats line 2"):
        list(read_watchlist(str(path)))


def test_avro_and_csv_round_trip(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "\nE1,Karimov,Rustam,,Abu Yusuf,1971,M,UZB,P123456,UZB,LOOKOUT\n", encoding="utf-8")
    entries = list(read_watchlist(str(src)))
    write_watchlist_avro(entries, str(tmp_path / "wl.avro"))
    write_watchlist_csv(entries, str(tmp_path / "wl.csv"))
    assert list(read_watchlist(str(tmp_path / "wl.avro"))) == entries
    again = list(read_watchlist(str(tmp_path / "wl.csv")))
    assert again[0]["names"] == entries[0]["names"] and again[0]["documents"] == entries[0]["documents"]


def test_traveller_csv(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("id,surname,given_names,full_name,date_of_birth,gender,nationality,document_number,document_issuer\n"
                    "T1,DOE,JANE,,1990-01-02,F,ca,ab 123<,CAN\nT2,,,JOHN SMITH,1980,,,,\n\n", encoding="utf-8")
    t1, t2 = list(read_travellers(str(path)))
    assert t1.nationality == "CAN" and t1.documents == (("AB123", "CAN"),)
    assert t2.full_name == "JOHN SMITH"
    path.write_text("id,surname\n,DOE\n", encoding="utf-8")
    with pytest.raises(ScreeningInputError, match=r"q.csv:2: id is empty"):
        list(read_travellers(str(path)))
