"""The real pipeline (``paxshare run`` on the DirectRunner) killed with SIGKILL inside the disclosure
path, then re-run: no partner file is ever visible before its audit entries, and after the re-run
every partner record has exactly one ``share`` entry and the signed chain verifies. (The many-point
fault test of the same path, without Beam, is ``test_disclosure_faults.py``.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from pipelines import crypto
from pipelines.cli import main as paxshare
from test_disclosure_faults import _check, _visible_files_are_logged
from tests.spine.factories import avro_bytes, manifest, person

#: fault points: while staging partner files, inside the audit segment's write, while publishing
KILL_POINTS = [int(p) for p in os.environ.get("PAXSHARE_PIPELINE_KILL_POINTS", "4,20,33").split(",")]


def _legs(origin, destination):
    return {"carrier": "AM", "number": "401", "operating_carrier": None, "in_transit": False,
            "legs": [{"departure_airport": origin, "departure_local": "2026-11-23T08:15", "departure_utc": "2026-11-23T16:15Z",
                      "arrival_airport": destination, "arrival_local": "2026-11-23T13:40", "arrival_utc": "2026-11-23T19:40Z"}]}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    inputs = root / "in"
    inputs.mkdir()
    manifests = [manifest(f"AM-{i:04d}", persons=[person(j, nationality="MEX") for j in range(1, 5)],
                          flight=_legs(*(("LAX", "MEX") if i % 2 else ("MEX", "ORD")))) for i in range(8)]
    (inputs / "api.avro").write_bytes(avro_bytes("api_manifest", manifests))
    keys = root / "keys"
    assert paxshare(["keys", "demo", "--dir", str(keys)]) == 0
    assert paxshare(["rules", "check", "--init-keys", str(keys)]) == 0
    return root, inputs, keys, {"keyring": crypto.load_private_keys(keys), "trusted": crypto.load_verify_keys(keys)}


def _run(inputs, out, keys, fault_at=None):
    env = dict(os.environ)
    env.pop("PAXSHARE_FAULT_AT", None)
    if fault_at:
        env["PAXSHARE_FAULT_AT"] = str(fault_at)
    command = [sys.executable, "-m", "pipelines.cli", "run", str(inputs), "--output", str(out), "--rules", "rules",
               "--keys", str(keys), "--quiet", "--", "--runner=DirectRunner"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_pipeline_then_re_run(setup, point):
    root, inputs, keys, key_set = setup
    out = root / f"out-{point}"
    killed = _run(inputs, out, keys, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    _visible_files_are_logged(out, key_set)
    again = _run(inputs, out, keys)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _check(out, key_set) > 0
