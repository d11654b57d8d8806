"""Sealed flag files: round trips on both suites, tamper/misaddress detection naming the file, rotation."""

from __future__ import annotations

import shutil

import pytest

from flag_samples import candidate
from pipelines import crypto
from pipelines.flags import cli_keys, reader, records, writer
from pipelines.flags.reader import FlagFileError, read_flags


def _flags(units, unit_id, run_id="run-1", count=2):
    return [
        records.build_flag(candidate((("YUL", "MIA"),), person_id=str(i)), units.unit(unit_id),
                           run_id=run_id, rules_version="t", created_utc="2026-11-23T00:00:00Z")
        for i in range(count)
    ]


def _write(units, keys_dir, out, unit_id, run_id="run-1", flags=None):
    recipient = crypto.load_public_key(crypto.current_public_key_path(keys_dir, units.unit(unit_id).public_key))
    signer = crypto.load_signing_key(crypto.current_signing_key_path(keys_dir, units.signing_key))
    return writer.write_flags_file(out, _flags(units, unit_id, run_id) if flags is None else flags,
                                   unit_id, run_id, recipient, signer)


@pytest.mark.parametrize("unit_id, suite", [("jpau-yvr", "x25519"), ("jpau-mia", "mlkem768-x25519")])
def test_round_trip_both_suites(units, keys_dir, keyring, trusted, tmp_path, unit_id, suite):
    path = _write(units, keys_dir, tmp_path, unit_id)
    assert path == tmp_path / "flags" / unit_id / "flags-run-1.sealed"
    label, _, envelope = reader.read_label(path.read_bytes())
    assert crypto.envelope_info(envelope).suite == suite
    flags = read_flags(path, keyring, trusted, expect_unit=unit_id)
    assert flags == sorted(_flags(units, unit_id), key=lambda f: f["flag_id"])


def test_empty_file_round_trips(units, keys_dir, keyring, trusted, tmp_path):
    assert read_flags(_write(units, keys_dir, tmp_path, "jpau-yvr", flags=[]), keyring, trusted) == []


def test_rewrite_replaces_rather_than_duplicates(units, keys_dir, keyring, trusted, tmp_path):
    _write(units, keys_dir, tmp_path, "jpau-yvr")
    path = _write(units, keys_dir, tmp_path, "jpau-yvr")
    assert sorted(p.name for p in path.parent.iterdir()) == ["flags-run-1.sealed"]
    ids = [flag["flag_id"] for flag in read_flags(path, keyring, trusted)]
    assert len(ids) == len(set(ids)) == 2


def test_tampered_file_fails_naming_it(units, keys_dir, keyring, trusted, tmp_path):
    path = _write(units, keys_dir, tmp_path, "jpau-yvr")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(crypto.SealError, match=rf"^{path}: bad signature"):
        read_flags(path, keyring, trusted)


def test_relabelled_file_fails(units, keys_dir, keyring, trusted, tmp_path):
    path = _write(units, keys_dir, tmp_path, "jpau-yvr", run_id="run-1")
    data = path.read_bytes().replace(b'"run_id":"run-1"', b'"run_id":"run-9"')
    moved = tmp_path / "flags" / "jpau-yvr" / "flags-run-9.sealed"
    moved.write_bytes(data)
    with pytest.raises(crypto.SealError, match=rf"^{moved}: associated data does not match"):
        read_flags(moved, keyring, trusted)


def test_file_moved_to_another_units_folder_is_misaddressed(units, keys_dir, keyring, trusted, tmp_path):
    path = _write(units, keys_dir, tmp_path, "jpau-yvr")
    target = tmp_path / "flags" / "jpau-mia" / path.name
    target.parent.mkdir(parents=True)
    shutil.copy(path, target)
    with pytest.raises(FlagFileError, match=rf"^{target}: misaddressed: found in the folder of unit 'jpau-mia'"):
        read_flags(target, keyring, trusted)
    renamed = path.with_name("flags-run-2.sealed")
    shutil.copy(path, renamed)
    with pytest.raises(FlagFileError, match=rf"^{renamed}: file name says run 'run-2'"):
        read_flags(renamed, keyring, trusted)
    with pytest.raises(FlagFileError, match="misaddressed: sealed for unit 'jpau-yvr', expected 'jpau-mia'"):
        read_flags(path, keyring, trusted, expect_unit="jpau-mia")


def test_wrong_units_keyring_cannot_open(units, keys_dir, trusted, tmp_path):
    path = _write(units, keys_dir, tmp_path, "jpau-yvr")
    mia_only = crypto.load_private_keys(keys_dir / crypto.private_key_file_name("jpau-mia"))
    with pytest.raises(crypto.SealError, match=rf"^{path}: addressed to key id 'jpau-yvr"):
        read_flags(path, mia_only, trusted)


def test_untrusted_signer_and_missing_trust(units, keys_dir, keyring, tmp_path):
    path = _write(units, keys_dir, tmp_path, "jpau-yvr")
    stranger = crypto.generate_signing_key("stranger").public_key()
    with pytest.raises(crypto.SealError, match="not a trusted signer"):
        read_flags(path, keyring, {"stranger": stranger})
    with pytest.raises(ValueError, match="trusted_signers"):
        read_flags(path, keyring, None)


def test_not_a_flags_file(keyring, trusted, tmp_path):
    path = tmp_path / "flags-x.sealed"
    path.write_bytes(b"hello")
    with pytest.raises(FlagFileError, match=rf"^{path}: not a paxshare flags file"):
        read_flags(path, keyring, trusted)
    with pytest.raises(FlagFileError, match="not found"):
        read_flags(tmp_path / "missing.sealed", keyring, trusted)


def test_rotation_keeps_old_flags_readable(units, tmp_path):
    keys = tmp_path / "keys"
    cli_keys.create_demo_keys(keys)
    old = _write(units, keys, tmp_path, "jpau-yvr", run_id="before")
    rotated = cli_keys.rotate_key(keys, "jpau-yvr")
    new = _write(units, keys, tmp_path, "jpau-yvr", run_id="after")
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    assert crypto.envelope_info(reader.read_label(new.read_bytes())[2]).recipient_key_id == rotated.key_id == "jpau-yvr.2"
    assert len(read_flags(old, keyring, trusted)) == len(read_flags(new, keyring, trusted)) == 2
    # Signing key rotation: files signed by the old key still verify while its public key is kept.
    cli_keys.rotate_key(keys, "pipeline-signing")
    trusted = crypto.load_verify_keys(keys)
    assert set(trusted) == {"pipeline-signing", "pipeline-signing.2"}
    assert len(read_flags(old, keyring, trusted)) == 2


def test_invalid_run_ids_are_refused():
    for bad in ("", "../x", "a/b", "run 1"):
        with pytest.raises(ValueError, match="invalid run id"):
            writer.flags_relative_path("jpau-yvr", bad)


@pytest.mark.parametrize("place", ["elsewhere/jpau-mia/flags-run-1.sealed", "jpau-mia/flags-run-1.sealed",
                                   "flags/jpau-yvr/copy.sealed", "inbox.sealed"])
def test_file_outside_its_units_place_is_always_refused(units, keys_dir, keyring, trusted, tmp_path, place):
    """Without a 'flags' folder above it, or under another name, the location was not checked."""
    path = _write(units, keys_dir, tmp_path / "out", "jpau-yvr")
    target = tmp_path / place
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    with pytest.raises(FlagFileError, match=rf"^{target}: (misaddressed|not where a flags file belongs)"):
        read_flags(target, keyring, trusted)
    home = tmp_path / "inbox" / "jpau-yvr" / path.name
    home.parent.mkdir(parents=True)
    shutil.copy(path, home)
    assert len(read_flags(home, keyring, trusted)) == 2
