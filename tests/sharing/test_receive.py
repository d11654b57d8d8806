"""``paxshare receive``: the partner's side opens only genuine, correctly addressed, fresh files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines import crypto
from pipelines.cli import main as paxshare
from pipelines.sharing import output
from pipelines.sharing.receive import verify_acknowledgement
from test_disclosure_faults import _disclose, _travellers


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The provider's outputs after two runs, the provider's verify key, and each partner's keys."""
    root = tmp_path_factory.mktemp("world")
    signer = crypto.generate_signing_key("pipeline-signing")
    trust = root / "trust"
    trust.mkdir()
    crypto.save_public_key(signer, trust / crypto.public_key_file_name(signer.key_id))
    public, partner_keys = {}, {}
    for code in ("USA", "CAN", "MEX"):
        folder = root / f"keys-{code}"
        folder.mkdir(mode=0o700)
        key = crypto.generate_recipient_key(code)
        crypto.save_private_key(key, folder / crypto.private_key_file_name(code))
        ack = crypto.generate_signing_key(f"{code.lower()}-receipts")
        crypto.save_private_key(ack, folder / crypto.private_key_file_name(ack.key_id))
        crypto.save_public_key(ack, folder / crypto.public_key_file_name(ack.key_id))
        public[code], partner_keys[code] = key.public_key(), folder
    keys = {"public": public, "signer": signer}
    out = root / "provider"
    _disclose(out, keys, "run-a", _travellers(0, 10))
    first = {p.name: p.read_bytes() for p in (out / "partners" / "MEX").glob("*.sealed")}
    _disclose(out, keys, "run-b", _travellers(5, 15))
    return {"root": root, "out": out, "trust": trust, "keys": partner_keys, "first": first, "provider_keys": keys}


def _receive(world, inbox, *files, code="MEX", ack=True):
    args = ["receive", *map(str, files), "--keys", str(world["keys"][code]), "--trust", str(world["trust"]),
            "--out", str(inbox)]
    return paxshare(args + (["--ack-key", f"{code.lower()}-receipts"] if ack else []))


def _mex_files(world, run):
    return sorted((world["out"] / "partners" / "MEX").glob(f"*-{run}-*.sealed"))


def test_receive_writes_records_with_their_terms_a_receipt_and_a_signed_acknowledgement(world, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    files = _mex_files(world, "run-b")
    assert _receive(world, inbox, *files) == 0
    records = [json.loads(line) for path in sorted((inbox / "records").glob("*.jsonl")) for line in path.open()]
    assert records and all(r["recipient"] == "MEX" and r["arrangement_id"] == "USA-MEX" for r in records)
    assert all("NO ONWARD TRANSFER" in r["onward_transfer"] for r in records)
    assert all(r["retention"]["delete_at"] and r["retention"]["depersonalise"] for r in records)
    receipts = [json.loads(line) for line in (inbox / "receipts.jsonl").open()]
    assert [r["file"] for r in receipts] == [p.name for p in files]
    trusted = crypto.load_verify_keys(world["keys"]["MEX"])
    for path in files:
        ack = json.loads((inbox / "acks" / f"{path.name}.ack.json").read_text())
        assert verify_acknowledgement(ack, trusted)
        manifest, _ = output.read_manifest(path.read_bytes(), str(path), crypto.load_verify_keys(world["trust"]))
        assert ack["statement"]["checkpoint_head"] == manifest["checkpoint"]["statement"]["head"]
    forged = dict(ack, statement=dict(ack["statement"], records=999))
    assert not verify_acknowledgement(forged, trusted)


def test_replayed_and_out_of_order_files_are_refused(world, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    newer = _mex_files(world, "run-b")[0]
    assert _receive(world, inbox, newer, ack=False) == 0
    capsys.readouterr()
    assert _receive(world, inbox, newer, ack=False) == 1
    assert "replayed" in capsys.readouterr().err
    older = tmp_path / "older"
    older.mkdir()
    name, data = next(iter(world["first"].items()))
    (older / name).write_bytes(data)
    assert _receive(world, inbox, older / name, ack=False) == 1
    assert "out of order" in capsys.readouterr().err


@pytest.mark.parametrize("attack", ["renamed", "misaddressed", "tampered", "unsigned", "untrusted"])
def test_forged_or_misdirected_files_are_refused_and_nothing_is_written(world, tmp_path, capsys, attack):
    inbox = tmp_path / "inbox"
    source = _mex_files(world, "run-b")[0]
    data = source.read_bytes()
    target, code = tmp_path / source.name, "MEX"
    if attack == "renamed":
        target = tmp_path / source.name.replace("00000", "00001")
    elif attack == "misaddressed":
        code = "CAN"
    elif attack == "tampered":
        data = data[:-10] + bytes(b ^ 1 for b in data[-10:])
    elif attack == "unsigned":
        manifest, envelope = output.read_manifest(data, "x", crypto.load_verify_keys(world["trust"]))
        data = envelope
    else:
        mallory = crypto.generate_signing_key("mallory")
        manifest, envelope = output.read_manifest(data, "x", crypto.load_verify_keys(world["trust"]))
        data = output.partner_file({k: v for k, v in manifest.items() if k not in ("format", "signer", "envelope_sha256")},
                                   envelope, mallory)
    target.write_bytes(data)
    assert _receive(world, inbox, target, code=code, ack=False) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"refused: {target}")
    assert not (inbox / "records").exists() or not list((inbox / "records").iterdir())
    assert not (inbox / "receipts.jsonl").exists()


def test_records_can_be_written_as_avro(world, tmp_path):
    import fastavro

    inbox = tmp_path / "inbox"
    # every file of the run: record ids come from per-test secrets, so any one shard may be empty
    files = _mex_files(world, "run-a")
    args = ["receive", *map(str, files), "--keys", str(world["keys"]["MEX"]), "--trust", str(world["trust"]),
            "--out", str(inbox), "--format", "avro"]
    assert paxshare(args) == 0
    paths = sorted((inbox / "records").glob("*.avro"))
    rows = [row for path in paths for row in fastavro.reader(path.open("rb"))]
    assert rows and all(json.loads(row["retention_json"])["delete_at"] for row in rows)


def test_a_withdrawal_notice_withdraws_the_record_it_names_and_the_audit_shows_it(world, tmp_path, capsys):
    from test_disclosure_faults import ENGINE, _disclose_shares

    from pipelines.sharing.engine import disclosure_ref

    out = tmp_path / "provider"
    shares = [s for t in _travellers(0, 6) for s in ENGINE.share_traveller(t, flagged=True, run_id="run-1",
                                                                        shared_at="2026-11-23T12:00:00Z")]
    _disclose_shares(out, world["provider_keys"], "run-1", shares)
    mex = [s.record for s in shares if s.record["recipient"] == "MEX"]
    assert len(mex) >= 2
    withdrawn, kept = mex[0], mex[1]
    notice = ENGINE.withdrawal_notice(disclosure_ref(withdrawn), "CANCELLED", "run-2", "2026-11-23T13:00:00Z")
    again = ENGINE.withdrawal_notice(disclosure_ref(withdrawn), "CANCELLED", "run-3", "2026-11-23T14:00:00Z")
    # a stable id from the earlier record's, under the same arrangement, carrying only the reference and reason
    assert notice.record["record_id"] == again.record["record_id"] != withdrawn["record_id"]
    assert notice.record["data_kind"] == "WITHDRAWAL" and notice.record["recipient"] == "MEX"
    assert json.loads(notice.record["payload_json"]) == {"reason": "CANCELLED", "withdrawn_record_id": withdrawn["record_id"]}
    _disclose_shares(out, world["provider_keys"], "run-2", [notice])
    _disclose_shares(out, world["provider_keys"], "run-3", [again])

    # the privacy audit: the notice is a logged disclosure, its copy a re-send of it
    entries = [json.loads(line) for path in sorted((out / "audit").glob("*.jsonl")) for line in path.open()]
    logged = [e for e in entries if e.get("record_id") == notice.record["record_id"]]
    assert [e["event"] for e in logged] == ["withdraw", "resend"]
    assert logged[0]["withdraws_record_id"] == withdrawn["record_id"] and logged[0]["reason"] == "CANCELLED"
    assert paxshare(["audit", "verify", str(out / "audit")]) == 0
    assert "1 withdrawal notices, 1 re-sent" in capsys.readouterr().out

    def receive(inbox, *runs, fmt="jsonl"):
        files = [p for run in runs for p in sorted((out / "partners" / "MEX").glob(f"*-{run}-*.sealed"))]
        args = ["receive", *map(str, files), "--keys", str(world["keys"]["MEX"]), "--trust", str(world["trust"]),
                "--out", str(inbox), "--format", fmt]
        assert paxshare(args) == 0
        from pipelines.sharing.cli_receive import _read_records

        return {r["record_id"]: r for path in sorted((inbox / "records").iterdir()) for r in _read_records(path)}

    for fmt in ("jsonl", "avro"):
        received = receive(tmp_path / f"inbox-{fmt}", "run-1", "run-2", fmt=fmt)
        assert received[withdrawn["record_id"]]["payload"] is None
        assert received[withdrawn["record_id"]]["withdrawn"]["reason"] == "CANCELLED"
        assert received[kept["record_id"]]["payload"] and "withdrawn" not in received[kept["record_id"]]
    # one run holding both the record and its notice (a batch run): the notice's file received
    # first is kept, and applied when the record's file comes
    same = tmp_path / "provider-one-run"
    _disclose_shares(same, world["provider_keys"], "run-1", shares + [notice])
    files = sorted((same / "partners" / "MEX").glob("*.sealed"),
                   key=lambda p: p.name != output.file_name("MEX", "run-1", output.shard_of(notice.record["record_id"], 2), 2).rsplit("/", 1)[-1])
    inbox = tmp_path / "inbox-one-run"
    for path in files:
        assert paxshare(["receive", str(path), "--keys", str(world["keys"]["MEX"]), "--trust", str(world["trust"]),
                         "--out", str(inbox)]) == 0
    from pipelines.sharing.cli_receive import _read_records

    received = {r["record_id"]: r for path in (inbox / "records").iterdir() for r in _read_records(path)}
    assert received[withdrawn["record_id"]]["withdrawn"]["reason"] == "CANCELLED"

