from pipelines.screening.engine.score import Screener
from pipelines.screening.engine.suppression import Suppressor
from pipelines.screening.lists.cleared import load_cleared, load_trusted
from screening_helpers import make_entry, traveller


def _screener(tmp_path):
    (tmp_path / "cleared.csv").write_text(
        "cleared_id,surname,given_names,date_of_birth,entry_ids\nR-1,KARIMOV,RUSTAM,1980-02-02,E1\n", encoding="utf-8")
    (tmp_path / "trusted.csv").write_text(
        "trusted_id,program,document_number,document_issuer,surname,given_names\nN-9,NEXUS,C7654321,CAN,HADDAD,NASSER\n",
        encoding="utf-8")
    entries = [make_entry("E1", surname="KARIMOV", given="RUSTAM"), make_entry("E2", surname="KARIMOV", given="RUSTAM", list_id="OTHER"),
               make_entry("E3", surname="HADDAD", given="NASSER"),
               make_entry("E4", docs=[("C7654321", "CAN")], category="LOST_STOLEN_DOCUMENT")]
    return Screener(entries, suppressor=Suppressor(load_cleared(tmp_path / "cleared.csv"), load_trusted(tmp_path / "trusted.csv")))


def test_cleared_traveller_suppressed_only_for_cleared_entry(tmp_path):
    found = {c.entry_id: c for c in _screener(tmp_path).screen(traveller("KARIMOV", "RUSTAM", dob="1980-02-02"))}
    assert found["E1"].suppressed_by == "cleared:R-1" and not found["E1"].alert
    assert "suppressed: by cleared:R-1" in found["E1"].explanation
    assert found["E2"].suppressed_by is None and found["E2"].alert


def test_cleared_record_does_not_hide_another_person(tmp_path):
    found = {c.entry_id: c for c in _screener(tmp_path).screen(traveller("KARIMOV", "RUSTAM", dob="1966-07-07"))}
    assert found["E1"].suppressed_by is None


def test_trusted_traveller_keyed_by_document(tmp_path):
    screener = _screener(tmp_path)
    found = {c.entry_id: c for c in screener.screen(traveller("HADDAD", "NASSER", docs=[("C7654321", "CAN")]))}
    assert found["E3"].suppressed_by == "trusted:NEXUS:N-9"
    assert found["E4"].suppressed_by is None and found["E4"].alert  # lost/stolen hits are never suppressed
    impostor = {c.entry_id: c for c in screener.screen(traveller("HADDAD", "NASSER", docs=[("C0000000", "CAN")]))}
    assert impostor["E3"].suppressed_by is None
