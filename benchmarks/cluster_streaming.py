"""``paxshare stream`` on the cluster route against the local runner, on the same input in one run.

Needs the components of ``make cluster-up`` (Kafka, Prism job server + SDK worker pool). For each
route, fresh Kafka topics get the same generated API and PNR messages (``paxshare replay``: time
order, resends, changes and late lists) at a fixed offered rate while ``paxshare stream`` runs every stage (decode,
per-flight state, validation, screening against the generated watchlists, sealed flags published
to a Kafka topic per unit, per-window partner files and audit). Correctness at the same scale as
the speed: each route's flags and partner records, opened with the keys, must equal by id those
of ``paxshare run`` on the same input (less the messages the stream labelled late).

  cluster  Prism as a standalone job server, SDK harness in the separate worker-pool process
           (--runner=PortableRunner --environment_type=EXTERNAL), as a cluster runs Python
  local    Prism started by ``paxshare stream`` itself (its default runner), LOOPBACK workers

Figures per route:
- persons/s: persons validated (the window report snapshots) over the time from the first message
  in to the last snapshot written;
- latency from a message's Kafka timestamp to the Kafka timestamp of each sealed flag it raised
  (what a JPAU consumer of the flag topic sees): p50, p99, max.

  .venv/bin/python benchmarks/cluster_streaming.py [--travellers 3000] [--rate 100]

An offered rate above what a route sustains shows as growing latency: persons/s then is its
ceiling on this machine.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.cluster import harness, paxshare_outputs as px  # noqa: E402

FLAG_PREFIX = "flags-"
ROUTES = {"cluster": harness.beam_args, "local": lambda: []}  # local: paxshare stream's default (Prism, LOOPBACK)


def _read_all(topic: str) -> list[tuple[bytes | None, bytes, int]]:
    """Every record the topic holds now: (key, value, Kafka timestamp ms)."""
    reader = harness.TopicReader(topic)
    try:
        while reader.poll(2.0):
            pass
    finally:
        reader.close()
    return reader.records


def _arrivals(topics: dict) -> dict[str, int]:
    """Message id (or PNR locator) -> Kafka timestamp (ms) of its first copy on the input topics."""
    from pipelines.io.messages import decode_message

    first: dict[str, int] = {}
    for topic in topics.values():
        for _key, value, ts in _read_all(topic):
            for item in decode_message(value, topic, "bench").records:
                ident = item.record.get("message_id") or item.record.get("record_locator")
                first[ident] = min(ts, first.get(ident, ts))
    return first


def _flag_latencies(work: Path, units: list[str], suffix: str, arrivals: dict[str, int]) -> list[float]:
    """Seconds from each flag's message arriving to the flag on its unit's topic."""
    from pipelines import crypto
    from pipelines.flags.reader import read_flags

    keys = work / "keys"
    keyring, trusted = crypto.load_private_keys(keys), crypto.load_verify_keys(keys)
    seen, latencies = set(), []
    for unit in units:
        for key, value, ts in _read_all(f"{FLAG_PREFIX}{suffix}-{unit}"):
            if key in seen:  # at-least-once sink: a repeat of a flag file already counted
                continue
            seen.add(key)
            path = work / "flags-from-kafka" / unit / Path(key.decode()).name  # the reader checks the place
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(value)
            for flag in read_flags(str(path), keyring, trusted):
                if flag.get("withdrawn"):  # a withdrawal of a flag raised earlier, not a new flag
                    continue
                message = flag["traveller_id"].rsplit("/", 1)[0]
                if message in arrivals:
                    latencies.append((ts - arrivals[message]) / 1000)
    return latencies


def _persons_and_end(out: Path) -> tuple[int, float]:
    """Persons validated (the last pane of each window) and when the last of those was written."""
    from pipelines.report import latest_panes

    last = latest_panes(dict(json.loads(Path(path).read_text()), mtime=os.path.getmtime(path))
                        for path in glob.glob(str(out / "report" / "window-*.json")))
    persons = sum(s["validation"].get("persons_in", 0) for s in last.values())
    return persons, max((s["mtime"] for s in last.values()), default=time.time())


def _wait_for_reports(out: Path, seconds: float, limit: float) -> None:
    """The last windows' report snapshots come when the watermark passes their end: wait until
    the persons they count stop changing."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + limit
    while time.monotonic() < deadline and time.monotonic() - since < seconds:
        persons = _persons_and_end(out)[0]
        if persons != last:
            last, since = persons, time.monotonic()
        time.sleep(2)


def run_route(name: str, work: Path, common: list[str], units: list[str], rate: float) -> dict:
    out = work / f"out-{name}"
    topics = harness.new_topics("api", "pnr")
    suffix = topics["api"].rsplit("-", 1)[1]
    command = px.stream_command(topics, out, common, ROUTES[name](), "--flags-topic-prefix",
                                f"{FLAG_PREFIX}{suffix}-")
    harness.new_topics(*[f"{FLAG_PREFIX}{suffix}-{u}" for u in units])  # created up front, read back below
    stream = subprocess.Popen(command, cwd=REPO, stdout=open(work / f"stream-{name}.log", "wb"),
                              stderr=subprocess.STDOUT)
    try:
        time.sleep(20)  # job submission, the watchlist index built in the worker
        started = time.time()
        subprocess.run(px.replay_command(work / "data", topics, rate), cwd=REPO, check=True, timeout=3600)
        offered = time.time() - started
        done = px.settled(out, work / "keys", seconds=20, limit=900)
        _wait_for_reports(out, seconds=15, limit=300)
    finally:
        stream.terminate()
        stream.wait(timeout=120)
        if name == "cluster":
            harness.cancel_running_jobs()
    persons, finished = _persons_and_end(out)
    expected_flags, expected_shared, late = px.batch_reference(work, out, common)
    problems = [d for d in (px.differences("flags", px.flags(out, work / "keys"), expected_flags),
                            px.differences("partner records", px.shared(out, work / "keys"), expected_shared)) if d]
    for problem in problems:
        print(f"{name}: {problem}", file=sys.stderr)
    latencies = sorted(_flag_latencies(work, units, suffix, _arrivals(topics)))
    at = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")  # noqa: E731
    return {"route": name, "correct": done and not problems, "persons": persons, "offered_s": offered,
            "persons_per_s": persons / (finished - started), "flags": len(latencies), "late": len(late),
            "p50": at(0.5), "p99": at(0.99), "max": latencies[-1] if latencies else float("nan")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--travellers", type=int, default=3000, help="generated travellers (with their PNRs)")
    parser.add_argument("--rate", type=float, default=100.0, help="messages offered per second")
    parser.add_argument("--routes", default="cluster,local")
    parser.add_argument("--workdir", help="keep everything here (default: a temporary folder)")
    args = parser.parse_args(argv)
    for need in (harness.KAFKA, harness.JOB_ENDPOINT, harness.WORKER_POOL):
        if not harness.listening(need):
            sys.exit(f"nothing listening on {need}: run `make cluster-up` first")
    from pipelines.flags import routing

    work = Path(args.workdir or tempfile.mkdtemp(prefix="paxshare-cluster-bench-"))
    common = px.prepare(work, args.travellers)
    units = list(routing.load_units(None).unit_ids)
    print(f"{args.travellers:,} travellers, messages offered at {args.rate:.0f}/s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; work folder {work}")
    rows = []
    for route in args.routes.split(","):
        rows.append(run_route(route, work, common, units, args.rate))
    print(f"{'route':8} {'correct':>7} {'persons':>8} {'persons/s':>10} {'flags':>6} {'late':>5} "
          f"{'p50 s':>6} {'p99 s':>6} {'max s':>6}")
    for r in rows:
        print(f"{r['route']:8} {str(r['correct']):>7} {r['persons']:>8} {r['persons_per_s']:>10.0f} {r['flags']:>6} "
              f"{r['late']:>5} {r['p50']:>6.1f} {r['p99']:>6.1f} {r['max']:>6.1f}")
    return 0 if all(r["correct"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
