"""The operator's own stores follow the providing country's schedule, with audit entries."""

from __future__ import annotations

import argparse
import io
import json

import fastavro
import pytest

from pipelines import crypto, schemas
from pipelines.sharing import cli_retention
from pipelines.sharing.audit import LocalStore, segment_names, verify
from pipelines.sharing.disclose import SIGNING_KEY_NAME
from sharing_samples import RULES, pnr, traveller


def _write(path, schema_name, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fastavro.writer(buffer, schemas.load(schema_name), records, codec="deflate", metadata=schemas.file_metadata(schema_name))
    path.write_bytes(buffer.getvalue())


def _read(path):
    with path.open("rb") as handle:
        return list(fastavro.reader(handle))


@pytest.fixture
def outputs(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    signer = crypto.generate_signing_key(SIGNING_KEY_NAME)
    crypto.save_private_key(signer, keys / crypto.private_key_file_name(SIGNING_KEY_NAME))
    crypto.save_public_key(signer, keys / crypto.public_key_file_name(SIGNING_KEY_NAME))
    out = tmp_path / "out"
    api = out / "valid" / "api_travellers" / "flight_date=2026-01-10-00000-of-00001.avro"
    _write(api, "api_traveller", [traveller("M1/1", date="2026-01-10"), traveller("M1/2", surname="ROE", date="2026-01-10")])
    _write(out / "valid" / "pnr" / "flight_date=2026-01-10-00000-of-00001.avro", "pnr", [pnr("ABC123", date="2026-01-10")])
    return out, keys


def _retention(out, keys, now, confirmed=None, dry_run=False):
    return cli_retention.main(argparse.Namespace(outputs=str(out), rules=str(RULES), keys=str(keys), now=now,
                                                 audit=None, dry_run=dry_run, confirmed=confirmed))


def test_own_stores_are_masked_then_deleted_except_confirmed_matches_with_audit_entries(outputs, tmp_path, capsys):
    out, keys = outputs
    api = out / "valid" / "api_travellers" / "flight_date=2026-01-10-00000-of-00001.avro"
    before = api.read_bytes()
    assert _retention(out, keys, "2026-03-01T00:00:00Z") == 0      # seven weeks: nothing due
    assert api.read_bytes() == before
    assert _retention(out, keys, "2026-08-01T00:00:00Z", dry_run=True) == 0
    assert api.read_bytes() == before and "(dry run)" in capsys.readouterr().out

    confirmed = tmp_path / "confirmed.txt"
    confirmed.write_text("M1/2  # confirmed by the JPAU\n")
    assert _retention(out, keys, "2026-08-01T00:00:00Z", confirmed=str(confirmed)) == 0   # 29 weeks: masked
    travellers = {t["traveller_id"]: t for t in _read(api)}
    assert travellers["M1/1"]["person"]["surname"] == "****" and travellers["M1/1"]["person"]["documents"][0]["number"] == "****"
    assert travellers["M1/1"]["flight_key"] == "AC0871/2026-01-10"      # the rest stays usable
    assert travellers["M1/2"]["person"]["surname"] == "ROE"             # confirmed match: kept
    (pnr_record,) = _read(out / "valid" / "pnr" / "flight_date=2026-01-10-00000-of-00001.avro")
    assert pnr_record["travellers"][0]["surname"] == "****" and pnr_record["contacts"][0]["value"] == "****"

    assert _retention(out, keys, "2031-02-01T00:00:00Z", confirmed=str(confirmed)) == 0   # 5 years: deleted
    assert [t["traveller_id"] for t in _read(api)] == ["M1/2"]
    assert not (out / "valid" / "pnr" / "flight_date=2026-01-10-00000-of-00001.avro").exists()

    store = LocalStore(out / "audit")
    assert verify(store, trusted=crypto.load_verify_keys(keys)).ok
    entries = [json.loads(line) for name in segment_names(store) for line in store.read(name).splitlines()]
    events = [e["event"] for e in entries if e["event"].startswith("own_store")]
    assert events == ["own_store_mask", "own_store_mask", "own_store_delete", "own_store_delete"]
    assert all(e["old_sha256"] for e in entries if e["event"].startswith("own_store"))


def test_rules_check_validates_the_own_stores_schedule(tmp_path, capsys):
    import shutil

    from pipelines.sharing import cli_rules

    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    text = (folder / "own-stores.yaml").read_text()
    (folder / "own-stores.yaml").write_text(text.replace("- person.surname", "- person.surnam").replace("90d", "soon"))
    args = argparse.Namespace(rules_dir=str(folder), init_keys=None, keys=None)
    assert cli_rules.main(args) == 1
    error = capsys.readouterr().err
    assert "'person.surnam' is not a field" in error and "'soon' is not a duration" in error
