"""``paxshare stream`` on the cluster route against ``paxshare run`` on the same input: the
generated input, the stream command, and the sealed outputs opened and listed by id. Used by
tests/cluster/test_paxshare_stream_e2e.py and benchmarks/cluster_streaming.py."""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
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


def paxshare(*args: str, timeout: float = 600) -> None:
    done = subprocess.run([*PAXSHARE, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"paxshare {args[0]}: {done.stdout[-2000:]}{done.stderr[-4000:]}"


def prepare(work: Path, travellers: int, seed: int = 11) -> list[str]:
    """Demo keys, the default rules' keys, and a generated set of flights from tomorrow on (so none
    is late by the clock and batch sees what the stream sees) in ``work``; returns the options
    both commands share (watchlists, keys, rules, run id)."""
    keys, data = work / "keys", work / "data"
    paxshare("keys", "demo", "--dir", str(keys))
    paxshare("rules", "check", "rules", "--init-keys", str(keys))
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date().isoformat()
    paxshare("generate", "--out", str(data), "--travellers", str(travellers), "--seed", str(seed),
             "--reference-date", tomorrow, "--days", "2", "--persons-per-file", "500", "--codec", "null",
             "--workers", "1", timeout=1200)
    watchlists = [a for w in sorted(glob.glob(str(data / "watchlists" / "*.avro"))) for a in ("--watchlists", w)]
    return [*watchlists, "--keys", str(keys), "--rules", "rules", "--run-id", "e2e", "--quiet"]


def stream_command(topics: dict, out: Path, common: list[str], beam_args: list[str], *extra: str) -> list[str]:
    return [*PAXSHARE, "stream", "--kafka-bootstrap", harness.KAFKA, "--api-topic", topics["api"],
            "--pnr-topic", topics["pnr"], "--output", str(out), "--window-seconds", "5", "--duration", "1200",
            *extra, *common, "--", *beam_args]


#: the generated API and PNR messages in time order: 20% resent, 10% of API lists followed by a
#: change (the last person removed), 3% also sent again for a flight that departed two days ago
REPLAY_PLAN = ["--resend-rate", "0.2", "--change-rate", "0.1", "--late-rate", "0.03", "--no-shift", "--seed", "5"]


def replay_command(data: Path, topics: dict, rate: float) -> list[str]:
    return [*PAXSHARE, "replay", str(data / "api"), str(data / "pnr"), "--kafka-bootstrap", harness.KAFKA,
            "--api-topic", topics["api"], "--pnr-topic", topics["pnr"], "--rate", str(rate), *REPLAY_PLAN, "--quiet"]


def sent_messages(work: Path) -> Path:
    """The same plan (same seed) written to a folder, one Avro file per message: what batch reads."""
    sent = work / "sent"
    if not sent.exists():
        data = work / "data"
        paxshare("replay", str(data / "api"), str(data / "pnr"), "--landing", str(sent), "--rate", "0",
                 *REPLAY_PLAN, "--quiet")
    return sent


def flags(out: Path, keys: Path) -> list[tuple]:
    """(flag id, traveller id, unit, entry, score, withdrawal id, reason) of every sealed flag file
    under ``out``; a withdrawn flag comes twice: as raised, and sealed again with ``withdrawn``."""
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    return [(f["flag_id"], f["traveller_id"], f["unit_id"], f["entry_id"], f["score"],
             (f.get("withdrawn") or {}).get("withdrawal_id", ""), (f.get("withdrawn") or {}).get("reason", ""))
            for path in sorted(glob.glob(str(out / "flags" / "*" / "*.sealed")))
            for f in read_flags(path, keyring, trusted)]


def shared(out: Path, keys: Path) -> list[tuple]:
    """(record id, arrangement, recipient) of every record in the sealed partner files."""
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    return [(r["record_id"], r["arrangement_id"], r["recipient"])
            for p in sorted(glob.glob(str(out / "partners" / "*" / "*.sealed")))
            for r in shared_output.open_records(Path(p).read_bytes(), keyring, Path(p).parent.name,
                                                str(Path(p).relative_to(out)), trusted)]


def late_keys(out: Path) -> set[str]:
    return {r["record_key"] for p in glob.glob(str(out / "late" / "*.avro"))
            for r in fastavro.reader(open(p, "rb"))}


def without(source: Path, target: Path, keys: set[str]) -> int:
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


def settled(out: Path, keys: Path, seconds: float, limit: float) -> bool:
    """Wait until the stream's flags and partner records stop changing for ``seconds``."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline:
        now = (len(flags(out, keys)), len(shared(out, keys)), len(late_keys(out)))
        if now != last:
            last, since = now, time.monotonic()
        elif now[0] and time.monotonic() - since >= seconds:
            return True
        time.sleep(3)
    return False


def batch_reference(work: Path, stream_out: Path, common: list[str]) -> tuple[list, list, set]:
    """``paxshare run`` on every message the stream was sent (resends, changes and late ones
    included), less those the stream labelled late (after the flight closed: batch has no
    notion of arrival); returns its flags, its partner records and the late keys."""
    late = late_keys(stream_out)
    accepted, batch = work / "accepted", work / "batch"
    for folder in (accepted, batch):  # a reference made for another stream run
        shutil.rmtree(folder, ignore_errors=True)
    sent = sent_messages(work)
    dropped = without(sent, accepted, late)
    assert dropped >= len(late)  # each late message at least once (a resend is a second copy)
    paxshare("run", "--input", str(accepted), "--output", str(batch), *common, timeout=1200)
    keys = work / "keys"
    return flags(batch, keys), shared(batch, keys), late


def differences(what: str, got: list[tuple], expected: list[tuple]) -> str | None:
    """None when ``got`` holds exactly the rows of ``expected``, each once; else what differs."""
    missing, extra = set(expected) - set(got), set(got) - set(expected)
    repeated = len(got) - len(set(got))
    if not missing and not extra and not repeated:
        return None
    return (f"{what}: {len(missing)} missing {sorted(missing)[:5]}, {len(extra)} not in the batch run "
            f"{sorted(extra)[:5]}, {repeated} rows more than once")
