"""Sealing round trips and every failure open_sealed reports, on both suites."""

from __future__ import annotations

import pytest

from pipelines import crypto
from pipelines.crypto import SealError

AAD = b"paxshare.test|unit=jpau-yvr|run=r1"


@pytest.fixture(scope="module", params=crypto.SUITES)
def recipient(request):
    return crypto.generate_recipient_key(f"unit-{request.param}", request.param)


@pytest.fixture(scope="module")
def signer():
    return crypto.generate_signing_key("pipeline-signing")


def _trusted(signer):
    return {signer.key_id: signer.public_key()}


def test_round_trip_signed(recipient, signer):
    blob = crypto.seal(b"flag bytes", recipient.public_key(), AAD, signer)
    opened = crypto.open_sealed(blob, crypto.Keyring([recipient]), AAD, _trusted(signer), source="f.sealed")
    assert opened == b"flag bytes"
    info = crypto.envelope_info(blob)
    assert (info.suite, info.recipient_key_id, info.signer_key_id) == (recipient.suite, recipient.key_id, signer.key_id)


def test_round_trip_unsigned_without_trusted_signers(recipient):
    blob = crypto.seal(b"", recipient.public_key(), AAD)
    assert crypto.open_sealed(blob, crypto.Keyring([recipient]), AAD) == b""


def test_seal_is_randomised(recipient):
    public = recipient.public_key()
    assert crypto.seal(b"same", public, AAD) != crypto.seal(b"same", public, AAD)


def test_unknown_recipient_key_id_names_source(recipient, signer):
    other = crypto.generate_recipient_key("jpau-mia", recipient.suite)
    blob = crypto.seal(b"x", recipient.public_key(), AAD, signer)
    with pytest.raises(SealError, match=r"^flags/jpau-mia/x\.sealed: addressed to key id 'unit-.*not in this keyring"):
        crypto.open_sealed(blob, crypto.Keyring([other]), AAD, _trusted(signer), source="flags/jpau-mia/x.sealed")


def test_same_key_id_but_different_key_fails_decryption(recipient):
    impostor = crypto.generate_recipient_key(recipient.key_id, recipient.suite)
    blob = crypto.seal(b"x", recipient.public_key(), AAD)
    with pytest.raises(SealError, match="decryption failed"):
        crypto.open_sealed(blob, crypto.Keyring([impostor]), AAD, source="f")


def test_wrong_aad_is_reported(recipient, signer):
    blob = crypto.seal(b"x", recipient.public_key(), AAD, signer)
    with pytest.raises(SealError, match=r"^f\.sealed: associated data does not match"):
        crypto.open_sealed(blob, crypto.Keyring([recipient]), AAD + b"-other", _trusted(signer), source="f.sealed")


def _flip(blob: bytes, index: int) -> bytes:
    data = bytearray(blob)
    data[index] ^= 0x01
    return bytes(data)


def test_tampered_ciphertext_fails_signature(recipient, signer):
    blob = crypto.seal(b"secret flag", recipient.public_key(), AAD, signer)
    tampered = _flip(blob, len(blob) - 80)  # inside the HPKE ciphertext, before the signature
    with pytest.raises(SealError, match=r"^f\.sealed: bad signature by 'pipeline-signing'"):
        crypto.open_sealed(tampered, crypto.Keyring([recipient]), AAD, _trusted(signer), source="f.sealed")


def test_tampered_ciphertext_fails_decryption_when_unsigned(recipient):
    blob = crypto.seal(b"secret flag", recipient.public_key(), AAD)
    tampered = _flip(blob, len(blob) - 5)
    with pytest.raises(SealError, match=r"^f\.sealed: decryption failed .*tampered"):
        crypto.open_sealed(tampered, crypto.Keyring([recipient]), AAD, source="f.sealed")


def test_untrusted_signer_is_rejected(recipient, signer):
    stranger = crypto.generate_signing_key("stranger")
    blob = crypto.seal(b"x", recipient.public_key(), AAD, stranger)
    with pytest.raises(SealError, match="'stranger', which is not a trusted signer"):
        crypto.open_sealed(blob, crypto.Keyring([recipient]), AAD, _trusted(signer), source="f")


def test_forged_signature_under_trusted_id_is_rejected(recipient, signer):
    forger = crypto.generate_signing_key(signer.key_id)  # same id, different key
    blob = crypto.seal(b"x", recipient.public_key(), AAD, forger)
    with pytest.raises(SealError, match="bad signature"):
        crypto.open_sealed(blob, crypto.Keyring([recipient]), AAD, _trusted(signer), source="f")


def test_unsigned_envelope_rejected_when_signature_required(recipient, signer):
    blob = crypto.seal(b"x", recipient.public_key(), AAD)
    with pytest.raises(SealError, match="not signed"):
        crypto.open_sealed(blob, crypto.Keyring([recipient]), AAD, _trusted(signer), source="f")


def test_swapping_signature_breaks_decryption(recipient, signer):
    """Replacing the signer id in the clear header breaks the HPKE context even without verification."""
    blob = crypto.seal(b"x", recipient.public_key(), AAD, signer)
    info = crypto.envelope_info(blob)
    start = blob.index(signer.key_id.encode())
    renamed = blob[:start] + b"pipeline-signinG" + blob[start + len(signer.key_id):]
    assert crypto.envelope_info(renamed).signer_key_id == "pipeline-signinG"
    assert info.signer_key_id == signer.key_id
    with pytest.raises(SealError, match="decryption failed"):
        crypto.open_sealed(renamed, crypto.Keyring([recipient]), AAD, source="f")


@pytest.mark.parametrize("blob, reason", [
    (b"", "truncated|bad magic"),
    (b"NOTSEALED" * 10, "bad magic"),
    (b"PXSEAL\x09\x01", "unsupported envelope version"),
])
def test_malformed_envelopes(blob, reason):
    with pytest.raises(SealError, match=rf"^in\.bin: .*({reason})"):
        crypto.open_sealed(blob, crypto.Keyring(), AAD, source="in.bin")


def test_truncated_and_extended_envelopes(recipient):
    blob = crypto.seal(b"x", recipient.public_key(), AAD)
    with pytest.raises(SealError, match="truncated"):
        crypto.envelope_info(blob[:-3], "f")
    with pytest.raises(SealError, match="trailing bytes"):
        crypto.envelope_info(blob + b"\x00", "f")


def test_error_messages_leak_no_plaintext_or_key_bytes(recipient, signer):
    secret = b"SURNAME=DOE;DOB=1970-01-01"
    blob = crypto.seal(secret, recipient.public_key(), AAD, signer)
    messages = []
    for attempt in (
        lambda: crypto.open_sealed(_flip(blob, len(blob) - 80), crypto.Keyring([recipient]), AAD, _trusted(signer)),
        lambda: crypto.open_sealed(blob, crypto.Keyring([recipient]), b"other", _trusted(signer)),
        lambda: crypto.open_sealed(_flip(blob, len(blob) - 80), crypto.Keyring([recipient]), AAD),
    ):
        with pytest.raises(SealError) as caught:
            attempt()
        messages.append(str(caught.value))
    text = "\n".join(messages)
    assert "DOE" not in text and "PRIVATE" not in text


def test_seal_rejects_wrong_argument_types(recipient, signer):
    with pytest.raises(TypeError):
        crypto.seal(b"x", recipient, AAD)  # a private key, not the public one
    with pytest.raises(TypeError):
        crypto.seal(b"x", recipient.public_key(), "text aad")
    with pytest.raises(TypeError):
        crypto.seal(b"x", recipient.public_key(), AAD, signer.public_key())


def test_unknown_suite_is_refused():
    with pytest.raises(ValueError, match="unknown suite"):
        crypto.generate_recipient_key("k", "rsa")
