"""End to end on the cluster route: ``paxshare replay`` publishes a generated set to the real Kafka
broker (with resends), ``paxshare stream`` runs on the Prism job server with SDK workers in the
external worker pool, and the sealed flags and partner files it writes, opened with the units' and
partners' keys, hold the same flag ids and partner record ids as ``paxshare run`` on the same
input less the messages the stream labelled late (a list or PNR that arrives after its flight's
close-out goes to late/, where batch has no notion of arrival): none missing, none duplicated.
Cancellations agree without help: neither run shares a person a cancellation names.

Runs in CI with the cluster up (.ci/run); by hand:
    make cluster-up && .venv/bin/pytest -q -s tests/cluster/test_paxshare_stream_e2e.py"""

from __future__ import annotations

import collections
import os
import datetime as dt
import glob
import subprocess
import sys
import time
from pathlib import Path

import fastavro

from pipelines import crypto
from pipelines.flags.reader import read_flags
from pipelines.sharing import output as shared_output
from tests.cluster import harness

REPO = harness.REPO_ROOT
PAXSHARE = [sys.executable, "-m", "pipelines.cli"]


def _paxshare(*args: str, timeout: float = 600) -> None:
    done = subprocess.run([*PAXSHARE, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"paxshare {args[0]}: {done.stdout[-2000:]}{done.stderr[-4000:]}"


def _flags(out: Path, keys: Path) -> list[tuple]:
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    return [(f["flag_id"], f["traveller_id"], f["unit_id"], f["entry_id"], f["score"])
            for path in sorted(glob.glob(str(out / "flags" / "*" / "*.sealed")))
            for f in read_flags(path, keyring, trusted)]


def _shared(out: Path, keys: Path) -> list[tuple]:
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    return [(r["record_id"], r["arrangement_id"], r["recipient"])
            for p in sorted(glob.glob(str(out / "partners" / "*" / "*.sealed")))
            for r in shared_output.open_records(Path(p).read_bytes(), keyring, Path(p).parent.name,
                                                str(Path(p).relative_to(out)), trusted)]


def _late_keys(out: Path) -> set[str]:
    return {r["record_key"] for p in glob.glob(str(out / "late" / "*.avro"))
            for r in fastavro.reader(open(p, "rb"))}


def _without(source: Path, target: Path, keys: set[str]) -> int:
    """Copy the Avro files of ``source`` to ``target`` less the records named in ``keys``."""
    dropped = 0
    for path in sorted(source.glob("*.avro")):
        with open(path, "rb") as handle:
            reader = fastavro.reader(handle)
            schema, records = reader.writer_schema, list(reader)
        kept = [r for r in records if (r.get("message_id") or r.get("record_locator")) not in keys]
        dropped += len(records) - len(kept)
        os.makedirs(target, exist_ok=True)
        with open(target / path.name, "wb") as handle:
            fastavro.writer(handle, schema, kept)
    return dropped


def _settled(out: Path, keys: Path, seconds: float, limit: float) -> bool:
    """Wait until the stream's flags and partner records stop changing for ``seconds``."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        now = (len(_flags(out, keys)), len(_shared(out, keys)), len(_late_keys(out)))
        if now != last:
            last, since = now, time.monotonic()
        elif now[0] and time.monotonic() - since >= seconds:
            return True
        time.sleep(3)
    return False


def test_stream_on_the_cluster_route_equals_the_batch_run(prism, tmp_path):
    keys, data, batch, stream = tmp_path / "keys", tmp_path / "data", tmp_path / "batch", tmp_path / "stream"
    _paxshare("keys", "demo", "--dir", str(keys))
    _paxshare("rules", "check", "rules", "--init-keys", str(keys))
    # Flights from tomorrow on, so that none is late by the clock and batch sees what stream sees.
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date().isoformat()
    _paxshare("generate", "--out", str(data), "--travellers", "1500", "--seed", "11", "--reference-date",
              tomorrow, "--days", "2", "--persons-per-file", "500", "--codec", "null", "--workers", "1")
    watchlists = [a for w in sorted(glob.glob(str(data / "watchlists" / "*.avro"))) for a in ("--watchlists", w)]
    common = [*watchlists, "--keys", str(keys), "--rules", "rules", "--run-id", "e2e", "--quiet"]

    topics = harness.new_topics("api", "pnr")
    runner = subprocess.Popen(
        [*PAXSHARE, "stream", "--kafka-bootstrap", harness.KAFKA, "--api-topic", topics["api"],
         "--pnr-topic", topics["pnr"], "--output", str(stream), "--window-seconds", "5", "--duration", "1200",
         *common, "--", *harness.beam_args()],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        time.sleep(10)
        _paxshare("replay", str(data / "api"), str(data / "pnr"), "--kafka-bootstrap", harness.KAFKA,
                  "--api-topic", topics["api"], "--pnr-topic", topics["pnr"], "--rate", "200",
                  "--resend-rate", "0.2", "--change-rate", "0", "--late-rate", "0", "--no-shift", "--seed", "5",
                  "--quiet")
        settled = _settled(stream, keys, seconds=30, limit=400)
        running = runner.poll() is None
    finally:
        if runner.poll() is None:
            runner.terminate()
        log = runner.communicate(timeout=120)[0].decode(errors="replace")
        harness.cancel_running_jobs()
    assert running and settled, f"the stream stopped early or never settled:\n{log[-4000:]}"
    late = _late_keys(stream)
    accepted = tmp_path / "accepted"
    dropped = sum(_without(data / kind, accepted / kind, late) for kind in ("api", "pnr"))
    assert dropped == len(late)  # every late message is one record of the input
    _paxshare("run", "--input", str(accepted / "api"), "--input", str(accepted / "pnr"), "--output", str(batch),
              *common)
    expected_flags, expected_shared = _flags(batch, keys), _shared(batch, keys)
    assert expected_flags and expected_shared
    got_flags, got_shared = _flags(stream, keys), _shared(stream, keys)
    assert sorted(got_flags) == sorted(expected_flags), log[-3000:]
    assert sorted(got_shared) == sorted(expected_shared)
    for listing in (got_flags, got_shared):
        assert max(collections.Counter(row[0] for row in listing).values()) == 1  # no id twice
    print(f"{len(got_flags)} flags, {len(got_shared)} partner records, equal to the batch run; {len(late)} late")


def test_a_timed_stream_on_the_job_server_stops_by_itself(prism, tmp_path):
    """``--duration`` on the PortableRunner: the stream ends by itself, cleanly, when its time is
    up, and cancels its job on the job server. (A longer run was once seen to end in
    DEADLINE_EXCEEDED from ``wait_until_finish(duration=...)``; this short one does not reproduce
    that, it guards the polling that replaced it.)"""
    keys, out = tmp_path / "keys", tmp_path / "out"
    _paxshare("keys", "demo", "--dir", str(keys))
    topics = harness.new_topics("api", "pnr")
    started = time.monotonic()
    done = subprocess.run(
        [*PAXSHARE, "stream", "--kafka-bootstrap", harness.KAFKA, "--api-topic", topics["api"],
         "--pnr-topic", topics["pnr"], "--output", str(out), "--keys", str(keys), "--duration", "20",
         "--", *harness.beam_args()],
        cwd=REPO, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "DEADLINE_EXCEEDED" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-4000:]
    assert "stream stopped after" in done.stderr
    assert time.monotonic() - started < 200
    assert harness.cancel_running_jobs() == 0  # nothing left running
