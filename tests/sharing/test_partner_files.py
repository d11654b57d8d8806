"""Partner files are signed by the pipeline: readers need a trusted signer and refuse unsigned,
forged, replaced or renamed files with a message naming the file and the check."""

from __future__ import annotations

import pytest

from pipelines import crypto
from pipelines.sharing import output
from pipelines.sharing.engine import SharingEngine
from sharing_samples import default_arrangements, secrets_for, traveller

ARRANGEMENTS = default_arrangements()
ENGINE = SharingEngine(ARRANGEMENTS, secrets_for(ARRANGEMENTS))
NAME = output.file_name("MEX", "run-1")


@pytest.fixture(scope="module")
def keys():
    mex = crypto.generate_recipient_key("MEX")
    signer = crypto.generate_signing_key("pipeline-signing")
    keyring = crypto.Keyring([mex])
    return mex, signer, keyring, {signer.key_id: signer.public_key()}


def _records():
    return [s.record for s in ENGINE.share_traveller(traveller(route=("LAX", "MEX"))) if s.record["recipient"] == "MEX"]


def _file(keys, records=None, signer=None, manifest_extra=None):
    mex, pipeline_signer, _, _ = keys
    signer = signer or pipeline_signer
    records = _records() if records is None else records
    envelope = output.seal_records(records, mex.public_key(), "MEX", NAME, signer)
    manifest = {"recipient": "MEX", "file": "shared-MEX-run-1-00000-of-00001.avro.sealed", "run_id": "run-1",
                "records": len(records), "checkpoint": {}, "disclosures": [[i + 1, r["content_hash"]] for i, r in enumerate(records)]}
    manifest.update(manifest_extra or {})
    return output.partner_file(manifest, envelope, signer)


def test_a_signed_file_opens(keys):
    _, _, keyring, trusted = keys
    manifest, records = output.open_partner_file(_file(keys), keyring, trusted, "MEX", NAME)
    assert records == _records() and manifest["signer"] == "pipeline-signing"


def test_a_file_sealed_with_only_the_partners_public_key_is_refused(keys):
    """The review's forgery: anyone holding MEX's public key could seal records MEX would accept."""
    mex, _, keyring, trusted = keys
    forged = [dict(_records()[0], payload_json='{"person":{"surname":"FORGED"}}')]
    blob = output.seal_records(forged, mex.public_key(), "MEX", NAME)
    with pytest.raises(output.PartnerFileError, match=rf"^{NAME}: not a signed paxshare partner file"):
        output.open_records(blob, keyring, "MEX", NAME, trusted)
    with pytest.raises(output.PartnerFileError, match="no trusted signer given"):
        output.open_records(_file(keys), keyring, "MEX", NAME)


def test_a_file_signed_by_another_key_is_refused(keys):
    _, _, keyring, trusted = keys
    with pytest.raises(output.PartnerFileError, match="not a trusted signer"):
        output.open_records(_file(keys, signer=crypto.generate_signing_key("mallory")), keyring, "MEX", NAME, trusted)
    same_name = crypto.generate_signing_key("pipeline-signing")
    with pytest.raises(output.PartnerFileError, match="bad manifest signature"):
        output.open_records(_file(keys, signer=same_name), keyring, "MEX", NAME, trusted)


def test_a_replaced_envelope_or_edited_manifest_is_refused(keys):
    mex, signer, keyring, trusted = keys
    good = _file(keys)
    other = output.seal_records(_records()[:0], mex.public_key(), "MEX", NAME, signer)
    manifest, envelope = output.read_manifest(good, NAME, trusted)
    with pytest.raises(output.PartnerFileError, match="not the one the signed manifest names"):
        output.open_records(good[: len(good) - len(envelope)] + other, keyring, "MEX", NAME, trusted)
    edited = good.replace(b'"records":1', b'"records":0')
    with pytest.raises(output.PartnerFileError, match="bad manifest signature"):
        output.open_records(edited, keyring, "MEX", NAME, trusted)


def test_a_renamed_or_misaddressed_file_is_refused(keys):
    _, _, keyring, trusted = keys
    with pytest.raises(output.PartnerFileError, match="misaddressed"):
        output.open_records(_file(keys), keyring, "CAN", NAME, trusted)
    renamed = output.file_name("MEX", "run-2")
    with pytest.raises(output.PartnerFileError, match="renamed or replayed"):
        output.open_records(_file(keys), keyring, "MEX", renamed, trusted)
