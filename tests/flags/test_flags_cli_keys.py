"""`paxshare keys`: new/list/rotate/demo, safe permissions, refusal to overwrite, no secrets printed."""

from __future__ import annotations

import json
import os
import stat

from pipelines import cli, crypto


def _run(capsys, *argv):
    code = cli.main(["keys", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _private_texts(directory):
    """Base64 lines of every private PEM in the folder, to look for in outputs."""
    texts = []
    for path in directory.glob("*.key.json"):
        for pem in json.loads(path.read_text())["components"].values():
            texts.extend(line for line in pem.splitlines() if line and not line.startswith("-----"))
    return texts


def test_new_list_rotate_and_no_secrets_printed(tmp_path, capsys):
    keys = tmp_path / "keys"
    outputs = []
    code, out, err = _run(capsys, "new", "--dir", str(keys), "--id", "jpau-yvr", "--suite", "mlkem768-x25519")
    assert code == 0 and "jpau-yvr" in out
    outputs.append(out + err)
    code, out, err = _run(capsys, "new", "--dir", str(keys), "--id", "pipeline-signing", "--kind", "signing")
    assert code == 0
    outputs.append(out + err)
    assert stat.S_IMODE(os.stat(keys / "jpau-yvr.key.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(keys / "jpau-yvr.pub.json").st_mode) == 0o644

    code, out, err = _run(capsys, "rotate", "--dir", str(keys), "--id", "jpau-yvr")
    assert code == 0 and "jpau-yvr.2" in out
    outputs.append(out + err)

    code, out, err = _run(capsys, "list", "--dir", str(keys), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    outputs.append(out + err)
    by_id = {row["key_id"]: row for row in rows}
    assert set(by_id) == {"jpau-yvr", "jpau-yvr.2", "pipeline-signing"}
    assert by_id["jpau-yvr.2"]["current"] and not by_id["jpau-yvr"]["current"]
    assert by_id["jpau-yvr.2"]["suite"] == "mlkem768-x25519" and by_id["pipeline-signing"]["kind"] == "signing"
    assert by_id["jpau-yvr"]["fingerprint"].startswith("sha256:")

    code, out, err = _run(capsys, "list", "--dir", str(keys))
    outputs.append(out + err)
    assert "jpau-yvr.2" in out

    printed = "\n".join(outputs)
    assert "PRIVATE KEY" not in printed
    for secret in _private_texts(keys):
        assert secret[:32] not in printed


def test_new_refuses_an_existing_name(tmp_path, capsys):
    keys = tmp_path / "keys"
    assert _run(capsys, "new", "--dir", str(keys), "--id", "USA")[0] == 0
    before = (keys / "USA.key.json").read_bytes()
    code, _, err = _run(capsys, "new", "--dir", str(keys), "--id", "USA")
    assert code == 1 and "exists" in err
    assert (keys / "USA.key.json").read_bytes() == before


def test_demo_creates_every_needed_key_once(tmp_path, capsys, units):
    keys = tmp_path / "keys"
    code, out, _ = _run(capsys, "demo", "--dir", str(keys))
    assert code == 0 and out.count("created") == 6
    names = {row.name.split(".")[0] for row in keys.glob("*.pub.json")}
    assert names == {"jpau-yvr", "jpau-mia", "USA", "CAN", "MEX", "pipeline-signing"}
    assert crypto.load_public_key(keys / "jpau-mia.pub.json").suite == units.unit("jpau-mia").suite
    mtimes = {p.name: p.stat().st_mtime_ns for p in keys.iterdir()}
    code, out, _ = _run(capsys, "new", "--demo", "--dir", str(keys))
    assert code == 0 and out.count("exists") == 6 and "created" not in out
    assert {p.name: p.stat().st_mtime_ns for p in keys.iterdir()} == mtimes


def test_rotate_unknown_key_fails(tmp_path, capsys):
    code, _, err = _run(capsys, "rotate", "--dir", str(tmp_path), "--id", "nobody")
    assert code == 1 and "no key named 'nobody'" in err


def test_invalid_key_id_is_refused(tmp_path, capsys):
    code, _, err = _run(capsys, "new", "--dir", str(tmp_path), "--id", "../evil")
    assert code == 1 and "invalid key id" in err
    assert not any(tmp_path.iterdir())
