"""Keys at rest: passphrase-encrypted private keys, owner-only secrets and folders whatever the umask."""

from __future__ import annotations

import os
import stat

import pytest

from pipelines import crypto
from pipelines.flags import cli_keys
from pipelines.sharing.engine import KeyError_, create_secret, read_secret


def test_private_keys_can_be_encrypted_with_a_passphrase(tmp_path, monkeypatch):
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "correct horse battery staple")
    key = crypto.generate_signing_key("pipeline-signing")
    path = crypto.save_private_key(key, tmp_path / "pipeline-signing.key.json")
    assert "ENCRYPTED PRIVATE KEY" in path.read_text() and "BEGIN PRIVATE KEY" not in path.read_text()
    assert crypto.load_signing_key(path).fingerprint == key.fingerprint
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "wrong")
    with pytest.raises(crypto.KeyFileError, match="wrong passphrase"):
        crypto.load_signing_key(path)
    monkeypatch.delenv(crypto.PASSPHRASE_ENV)
    with pytest.raises(crypto.KeyFileError, match="encrypted; give its passphrase"):
        crypto.load_signing_key(path)
    crypto.set_passphrase_provider(lambda: b"correct horse battery staple")  # a KMS-style hook
    try:
        assert crypto.load_signing_key(path).fingerprint == key.fingerprint
    finally:
        crypto.set_passphrase_provider(None)


def test_recipient_keys_encrypted_still_open_sealed_data(tmp_path, monkeypatch):
    monkeypatch.setenv(crypto.PASSPHRASE_ENV, "s3cret")
    key = crypto.generate_recipient_key("CAN", crypto.HYBRID)
    crypto.save_private_key(key, tmp_path / "CAN.key.json")
    keyring = crypto.load_private_keys(tmp_path)
    assert crypto.open_sealed(crypto.seal(b"data", key.public_key(), b"aad"), keyring, b"aad") == b"data"


def test_a_group_or_world_readable_pseudonym_secret_is_refused(tmp_path):
    path = tmp_path / "pseudonym-USA-CAN.key"
    assert create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(read_secret(path)) == 32
    path.chmod(0o644)
    with pytest.raises(KeyError_, match="readable by group or others"):
        read_secret(path)


def test_keys_folder_and_secrets_are_owner_only_under_umask_000(tmp_path):
    old = os.umask(0)
    try:
        cli_keys.create_demo_keys(tmp_path / "keys")
        create_secret(tmp_path / "secrets" / "pseudonym-X.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    for path in (tmp_path / "keys").glob("*.key.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
