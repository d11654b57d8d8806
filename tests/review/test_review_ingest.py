"""Ingest: sealed, signed per-unit flag files are opened with the unit's key and stored; bad ones are not."""

from __future__ import annotations

import pytest
from review_factories import make_flag

from pipelines import crypto
from pipelines.flags import records
from pipelines.flags.writer import write_flags_file
from pipelines.review.ingest import expand_flag_paths, ingest_flag_files, load_keyring, load_trusted_signers


def _real_flags(unit_id="jpau-yvr", run_id="run-1"):
    """Flags whose ids the reader accepts (derived from traveller, entry and unit)."""
    flags = []
    for index, severity in enumerate(["TOP", "HIGH", "NORMAL"]):
        traveller_id, entry_id = f"MSG1/{index}", f"E{index}"
        flags.append(make_flag(records.flag_id(traveller_id, entry_id, unit_id), severity=severity,
                               traveller_id=traveller_id, entry_id=entry_id, unit_id=unit_id, run_id=run_id))
    return flags


@pytest.fixture
def keys(tmp_path):
    """Unit keys and the pipeline signing key, saved as key files the way 'paxshare keys' does."""
    folder = tmp_path / "keys"
    folder.mkdir()
    yvr = crypto.generate_recipient_key("jpau-yvr.1", name="jpau-yvr")
    mia = crypto.generate_recipient_key("jpau-mia.1", name="jpau-mia")
    signer = crypto.generate_signing_key("pipeline-signing.1", name="pipeline-signing")
    for key in (yvr, mia, signer):
        crypto.save_private_key(key, folder / crypto.private_key_file_name(key.key_id))
        crypto.save_public_key(key, folder / crypto.public_key_file_name(key.key_id))
    return {"folder": folder, "yvr": yvr, "mia": mia, "signer": signer}


def _write(tmp_path, keys, unit_id="jpau-yvr", recipient="yvr"):
    return write_flags_file(tmp_path / "out", _real_flags(unit_id), unit_id, "run-1",
                            keys[recipient].public_key(), keys["signer"])


def test_flag_files_are_decrypted_verified_and_stored(sqlite_store, tmp_path, keys):
    path = _write(tmp_path, keys)
    keyring = load_keyring([keys["folder"] / crypto.private_key_file_name("jpau-yvr.1")])
    trusted = load_trusted_signers([keys["folder"]])
    totals = ingest_flag_files(sqlite_store, [tmp_path / "out"], keyring, trusted, analyst="ana")
    assert totals == {"files": 1, "added": 3, "updated": 0, "unchanged": 0}
    stored = {row["flag"]["flag_id"]: row["flag"] for row in sqlite_store.review_rows()}
    assert stored == {flag["flag_id"]: flag for flag in _real_flags()}
    assert sqlite_store.access_log()[0]["action"] == "INGEST"
    again = ingest_flag_files(sqlite_store, [path], keyring, trusted)
    assert again["unchanged"] == 3 and again["added"] == 0


def test_a_tampered_file_is_refused_by_name_and_nothing_is_stored(sqlite_store, tmp_path, keys):
    good = _write(tmp_path, keys)
    data = bytearray(good.read_bytes())
    data[-80] ^= 0x01
    good.write_bytes(bytes(data))
    keyring, trusted = load_keyring([keys["folder"]]), load_trusted_signers([keys["folder"]])
    with pytest.raises(ValueError, match=str(good.name)):
        ingest_flag_files(sqlite_store, [good], keyring, trusted)
    assert sqlite_store.review_rows() == []


def test_another_units_file_is_refused(sqlite_store, tmp_path, keys):
    mia_file = _write(tmp_path, keys, unit_id="jpau-mia", recipient="mia")
    yvr_only = load_keyring([keys["folder"] / crypto.private_key_file_name("jpau-yvr.1")])
    trusted = load_trusted_signers([keys["folder"]])
    with pytest.raises(ValueError, match="flags-run-1.sealed"):
        ingest_flag_files(sqlite_store, [mia_file], yvr_only, trusted)
    everyone = load_keyring([keys["folder"]])
    with pytest.raises(ValueError, match="misaddressed"):
        ingest_flag_files(sqlite_store, [mia_file], everyone, trusted, expect_unit="jpau-yvr")
    assert sqlite_store.review_rows() == []


def test_an_unknown_signer_is_refused(sqlite_store, tmp_path, keys):
    path = _write(tmp_path, keys)
    stranger = crypto.generate_signing_key("stranger.1")
    with pytest.raises(ValueError, match="not a trusted signer"):
        ingest_flag_files(sqlite_store, [path], load_keyring([keys["folder"]]),
                          {stranger.key_id: stranger.public_key()})


def test_folders_expand_to_sealed_files_only(tmp_path):
    (tmp_path / "flags" / "jpau-yvr").mkdir(parents=True)
    (tmp_path / "flags" / "jpau-yvr" / "flags-r1.sealed").write_bytes(b"x")
    (tmp_path / "flags" / "jpau-yvr" / "notes.txt").write_text("x")
    assert [p.name for p in expand_flag_paths([tmp_path])] == ["flags-r1.sealed"]


def test_a_withdrawn_flag_marks_the_stored_flag_withdrawn_whatever_the_order(sqlite_store, tmp_path, keys):
    flags = _real_flags()
    withdrawal = {"traveller_id": flags[0]["traveller_id"], "reason": "CANCELLED", "by_message_id": "MSG2",
                  "message_function": "CANCEL_RESERVATION"}
    withdrawn = records.withdrawn_flag(flags[0], withdrawal, "run-1.withdrawn")
    assert withdrawn["flag_id"] == flags[0]["flag_id"]
    assert withdrawn["withdrawn"]["withdrawal_id"] == records.withdrawal_id(flags[0]["flag_id"])
    write_flags_file(tmp_path / "out", [withdrawn], "jpau-yvr", "run-1.withdrawn", keys["yvr"].public_key(), keys["signer"])
    keyring = load_keyring([keys["folder"] / crypto.private_key_file_name("jpau-yvr.1")])
    trusted = load_trusted_signers([keys["folder"]])
    # the withdrawal first, then the flag file: the flag stays withdrawn
    ingest_flag_files(sqlite_store, [tmp_path / "out" / "flags" / "jpau-yvr" / "flags-run-1.withdrawn.sealed"],
                      keyring, trusted)
    _write(tmp_path, keys)
    ingest_flag_files(sqlite_store, [tmp_path / "out"], keyring, trusted)
    stored = {row["flag"]["flag_id"]: row["flag"] for row in sqlite_store.review_rows()}
    assert stored[flags[0]["flag_id"]]["withdrawn"]["reason"] == "CANCELLED"
    assert not stored[flags[1]["flag_id"]]["withdrawn"]
