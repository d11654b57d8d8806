"""Key files: format, permissions, overwrite refusal, rotation, and no private material in outputs."""

from __future__ import annotations

import json
import os
import pickle
import stat

import pytest

from pipelines import crypto
from pipelines.crypto import KeyFileError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("suite", crypto.SUITES)
def test_save_and_load_recipient_keys(tmp_path, suite):
    key = crypto.generate_recipient_key("jpau-yvr", suite)
    private = crypto.save_private_key(key, tmp_path / crypto.private_key_file_name(key.key_id))
    public = crypto.save_public_key(key, tmp_path / crypto.public_key_file_name(key.key_id))
    assert _mode(private) == 0o600 and _mode(public) == 0o644
    loaded_public = crypto.load_public_key(public)
    assert loaded_public == key.public_key() and loaded_public.suite == suite
    keyring = crypto.load_private_keys(tmp_path)
    assert list(keyring) == ["jpau-yvr"]
    blob = crypto.seal(b"round trip", loaded_public, b"aad")
    assert crypto.open_sealed(blob, keyring, b"aad") == b"round trip"
    document = json.loads(public.read_text())
    assert document["format"] == "paxshare-key" and document["suite"] == suite and document["part"] == "public"


def test_signing_key_files(tmp_path):
    key = crypto.generate_signing_key("pipeline-signing")
    crypto.save_private_key(key, tmp_path / "pipeline-signing.key.json")
    crypto.save_public_key(key, tmp_path / "pipeline-signing.pub.json")
    signer = crypto.load_signing_key(tmp_path / "pipeline-signing.key.json")
    verify = crypto.load_verify_key(tmp_path / "pipeline-signing.pub.json")
    assert verify.verify(signer.sign(b"m"), b"m") and not verify.verify(signer.sign(b"m"), b"n")
    assert crypto.load_verify_keys(tmp_path) == {"pipeline-signing": verify}
    assert len(crypto.load_private_keys(tmp_path)) == 0  # signing keys are not recipient keys


def test_umask_does_not_change_modes(tmp_path):
    old = os.umask(0o077)
    try:
        key = crypto.generate_recipient_key("k")
        assert _mode(crypto.save_public_key(key, tmp_path / "k.pub.json")) == 0o644
        assert _mode(crypto.save_private_key(key, tmp_path / "k.key.json")) == 0o600
    finally:
        os.umask(old)


def test_refuses_to_overwrite(tmp_path):
    key = crypto.generate_recipient_key("k")
    path = crypto.save_private_key(key, tmp_path / "k.key.json")
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        crypto.save_private_key(crypto.generate_recipient_key("k"), path)
    with pytest.raises(FileExistsError):
        crypto.save_public_key(key, path)
    assert path.read_bytes() == before


def test_loading_private_key_readable_by_others_is_refused(tmp_path):
    path = crypto.save_private_key(crypto.generate_signing_key("s"), tmp_path / "s.key.json")
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match=r"s\.key\.json: private key file is accessible.*chmod 600"):
        crypto.load_signing_key(path)


def test_wrong_kind_and_broken_files_name_the_file(tmp_path):
    key = crypto.generate_recipient_key("k")
    public = crypto.save_public_key(key, tmp_path / "k.pub.json")
    with pytest.raises(KeyFileError, match=r"k\.pub\.json: expected a signing public"):
        crypto.load_verify_key(public)
    (tmp_path / "bad.pub.json").write_text("{not json")
    with pytest.raises(KeyFileError, match=r"bad\.pub\.json: not a paxshare key file"):
        crypto.load_public_key(tmp_path / "bad.pub.json")
    with pytest.raises(KeyFileError, match="not found"):
        crypto.load_public_key(tmp_path / "missing.pub.json")


def test_altered_public_key_file_is_detected(tmp_path):
    public = crypto.save_public_key(crypto.generate_recipient_key("k"), tmp_path / "k.pub.json")
    document = json.loads(public.read_text())
    document["components"]["x25519"] = crypto._spki_pem(crypto.generate_recipient_key("z")._components["x25519"].public_key())
    altered = tmp_path / "altered.pub.json"
    altered.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match="fingerprint does not match"):
        crypto.load_public_key(altered)


def test_invalid_key_ids_are_refused():
    for bad in ("", "../etc", "a/b", "-x", "x" * 65):
        with pytest.raises(ValueError, match="invalid key id"):
            crypto.generate_recipient_key(bad)


@pytest.mark.parametrize("suite", crypto.SUITES)
def test_private_material_never_in_repr_describe_or_pickle(tmp_path, suite):
    key = crypto.generate_recipient_key("k", suite)
    crypto.save_private_key(key, tmp_path / "k.key.json")
    secret_pems = json.loads((tmp_path / "k.key.json").read_text())["components"].values()
    shown = repr(key) + str(key) + json.dumps(key.describe()) + repr(crypto.Keyring([key]))
    assert "PRIVATE" not in shown
    for pem in secret_pems:
        body = "".join(pem.splitlines()[1:-1])
        assert body[:40] not in shown
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(crypto.Keyring([key]))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(crypto.generate_signing_key("s"))
    assert pickle.loads(pickle.dumps(key.public_key())) == key.public_key()


def test_rotation_keeps_old_envelopes_readable(tmp_path):
    old = crypto.generate_recipient_key("jpau-yvr")
    new = crypto.generate_recipient_key("jpau-yvr.2", name="jpau-yvr", generation=2)
    for key in (old, new):
        crypto.save_private_key(key, tmp_path / crypto.private_key_file_name(key.key_id))
        crypto.save_public_key(key, tmp_path / crypto.public_key_file_name(key.key_id))
    assert crypto.current_public_key_path(tmp_path, "jpau-yvr").name == "jpau-yvr.2.pub.json"
    sealed_before = crypto.seal(b"old flag", crypto.load_public_key(tmp_path / "jpau-yvr.pub.json"), b"a")
    sealed_after = crypto.seal(b"new flag", crypto.load_public_key(crypto.current_public_key_path(tmp_path, "jpau-yvr")), b"a")
    keyring = crypto.load_private_keys(tmp_path)
    assert crypto.open_sealed(sealed_before, keyring, b"a") == b"old flag"
    assert crypto.open_sealed(sealed_after, keyring, b"a") == b"new flag"
    assert crypto.envelope_info(sealed_after).recipient_key_id == "jpau-yvr.2"


def test_keyring_refuses_two_keys_with_one_id():
    with pytest.raises(KeyFileError, match="share the key id"):
        crypto.Keyring([crypto.generate_recipient_key("k"), crypto.generate_recipient_key("k")])


def test_current_key_of_unknown_name_is_an_error(tmp_path):
    with pytest.raises(KeyFileError, match="no recipient public key named 'nobody'"):
        crypto.current_public_key_path(tmp_path, "nobody")
