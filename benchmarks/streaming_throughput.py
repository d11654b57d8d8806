"""Streaming throughput and latency: ``paxshare stream`` on a landing folder, fed at a fixed rate.

Starts ``paxshare stream`` (Prism runner, all stages: validation, screening against the sample
watchlists, sealed flags, per-window sharing and audit), then lands API manifests in its folder at
``--rate`` messages per second through ``paxshare replay``'s writer, recording when each message
landed. Measures:

- sustained persons/s: persons landed / (time the last message's window snapshot was written -
  first arrival), and whether the stream kept up with the offered rate;
- latency from a message's arrival (its file landing) to each of its sealed flag files (the flag
  file's modification time): p50, p99, max;
- that every window reconciled.

    python benchmarks/streaming_throughput.py --rate 100 --seconds 60
Targets (issue 16): 1,000 persons/s sustained, p99 arrival-to-sealed-flag latency under 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO / "sample_manifests" / "api"), help="API Avro files to replay")
    parser.add_argument("--watchlists", default=str(REPO / "sample_manifests" / "watchlists" / "*.avro"))
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second offered")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to offer messages")
    parser.add_argument("--window-seconds", type=int, default=5)
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the stream to catch up")
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder)")
    args = parser.parse_args()

    from pipelines import replay
    from pipelines.stream import local_prism

    prism = local_prism()
    if prism is None:
        raise SystemExit("no prism binary: run tools/cluster/install.sh prism")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="paxshare-stream-bench-"))
    keys, landing, out = work / "keys", work / "landing", work / "out"
    landing.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "pipelines.cli"]
    subprocess.run([*cli, "keys", "demo", "--dir", str(keys)], check=True, capture_output=True, cwd=REPO)
    subprocess.run([*cli, "rules", "check", "rules", "--init-keys", str(keys)], check=True, capture_output=True,
                   cwd=REPO)

    records, _ = replay.load_inputs([args.data])
    shift = replay.shift_to_today(records)
    wanted = int(args.rate * args.seconds)
    plan = []
    # each copy of the sample set a day later: its own flights, not lists that replace the first
    # copy's (a list of the same flight would supersede them and withdraw their persons)
    for day in range(wanted):
        plan += replay.plan_messages(records, [], random.Random(1), 0.0, 0.0, 0.0, shift + dt.timedelta(days=day),
                                     landing=True)
        if len(plan) >= wanted:
            break
    # each message its own label (message id): latency is matched per message
    plan = [_renamed(m, i) for i, m in enumerate(plan[:wanted])]

    watchlists = [a for w in sorted(glob.glob(args.watchlists)) for a in ("--watchlists", w)]
    stream = subprocess.Popen(
        [*cli, "stream", "--landing", str(landing), "--output", str(out), *watchlists, "--keys", str(keys),
         "--rules", "rules", "--window-seconds", str(args.window_seconds), "--poll-seconds", "0.5", "--quiet",
         "--", f"--prism_location={prism}"], cwd=REPO, stdout=open(work / "stream.log", "wb"), stderr=subprocess.STDOUT)
    try:
        time.sleep(20)  # start-up: job submission, watchlist index built in the worker
        writer = replay.LandingWriter(str(landing))
        landed: dict[str, float] = {}
        started = time.time()
        for index, message in enumerate(plan):
            wait = started + index / args.rate - time.time()
            if wait > 0:
                time.sleep(wait)
            writer(message)
            landed[message.label] = time.time()
        offered_seconds = time.time() - started
        persons = sum(message.persons for message in plan)
        # until every person is validated, or the count has not moved for 15 s (lists superseded
        # by a later list and cancellations are never validated), or the drain time is up
        deadline, seen, still = time.time() + args.drain, -1, time.time()
        while time.time() < deadline and _persons_validated(out) < persons and time.time() - still < 15:
            now = _persons_validated(out)
            if now != seen:
                seen, still = now, time.time()
            time.sleep(1)
        finished = max((os.path.getmtime(p) for p in glob.glob(str(out / "report" / "window-*.json"))), default=time.time())
    finally:
        stream.terminate()
        stream.wait(timeout=60)

    latencies = []
    for path in glob.glob(str(out / "flags" / "*" / "*.sealed")):
        if path.endswith(".withdrawn.sealed"):  # a flag sent again withdrawn: not a screening latency
            continue
        message_id = _message_of_flag(path, keys)
        if message_id in landed:
            latencies.append(os.path.getmtime(path) - landed[message_id])
    snapshots = _last_panes(out)
    validated = _persons_validated(out)
    intake = _intake(out)
    handled = intake.get("messages_in", 0)
    elapsed = finished - started
    print(f"offered   {len(plan):,} messages, {persons:,} persons in {offered_seconds:.1f} s "
          f"({len(plan) / offered_seconds:,.0f} msg/s, {persons / offered_seconds:,.0f} persons/s)")
    print(f"processed {validated:,} persons by {elapsed:.1f} s after the first arrival: "
          f"{validated / elapsed:,.0f} persons/s sustained, {handled / elapsed:,.0f} messages/s "
          f"({intake.get('messages_superseded', 0)} lists superseded by a later one and "
          f"{intake.get('messages_withdrawing_only', 0)} cancellations are not validated; "
          f"{intake.get('withdrawals', 0)} withdrawals)")
    if latencies:
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        print(f"latency   arrival -> sealed flag over {len(latencies)} flags: p50 {p(0.5):.2f} s, p99 {p(0.99):.2f} s, "
              f"max {latencies[-1]:.2f} s, mean {statistics.mean(latencies):.2f} s")
    print(f"windows   {len(snapshots)}, reconciled {sum(s['reconciled'] for s in snapshots.values())}")
    print(f"work folder {work}")
    return 0


def _renamed(message, index):
    """A copy of an API message with its own message id (the label carries it for latency)."""
    import io

    import fastavro

    from pipelines.io.avro_files import write_records

    import dataclasses

    message = dataclasses.replace(message)  # the plan repeats messages: each copy its own object
    [record] = list(fastavro.reader(io.BytesIO(message.body)))
    record["message_id"] = f"{record['message_id']}#{index}"
    buffer = io.BytesIO()
    write_records(buffer, "api_manifest", [record], codec="null")
    message.body, message.label = buffer.getvalue(), record["message_id"]
    message.persons = len(record.get("persons") or [])
    return message


def _message_of_flag(path: str, keys: Path) -> str | None:
    from pipelines import crypto
    from pipelines.flags.reader import read_flags

    flags = read_flags(path, crypto.load_private_keys(keys), crypto.load_verify_keys(keys))
    return flags[0]["traveller_id"].rsplit("/", 1)[0] if flags else None


def _last_panes(out: Path) -> dict[str, dict]:
    from pipelines.report import latest_panes

    snapshots = []
    for path in glob.glob(str(out / "report" / "window-*.json")):
        try:
            snapshots.append(json.loads(Path(path).read_text()))
        except ValueError:
            continue
    return latest_panes(snapshots)


def _intake(out: Path) -> dict:
    """The intake counts (messages in, persons in them, superseded, ...) summed over windows."""
    total: dict = {}
    for snapshot in _last_panes(out).values():
        for name, value in snapshot.get("intake", {}).items():
            total[name] = total.get(name, 0) + value
    return total


def _persons_validated(out: Path) -> int:
    return sum(s["validation"].get("persons_in", 0) for s in _last_panes(out).values())


if __name__ == "__main__":
    sys.exit(main())
