"""Streaming on the cluster route against the local runner, on the same input in the same run.

Needs the components of ``make cluster-up`` (Kafka, Prism job server + SDK worker pool). For each
route, fresh Kafka topics get the same generated flight messages (resends, changes, close-outs,
late ones) at a fixed offered rate while the streaming job runs; the outputs are read back from
Kafka and must equal the reference by id (correctness at the same scale as the speed figure).

  cluster  Prism as a standalone job server, SDK harness in the separate worker-pool process
           (--runner=PortableRunner --environment_type=EXTERNAL), as a cluster runs Python
  local    Prism started by the SDK in the launching process (--runner=PrismRunner, LOOPBACK)

Figures: persons/s sustained (person records out, over the time from the first message in to the
last record out), and p50/p99 latency from a message's Kafka timestamp to the Kafka timestamp of
each record it produced (what a consumer of the output topic sees).

  .venv/bin/python benchmarks/cluster_streaming.py [--flights 1500] [--rate 50]

An offered rate above what a route sustains shows as growing latency: persons/s then is its
ceiling on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import apache_beam as beam  # noqa: E402
from apache_beam.options.pipeline_options import PipelineOptions  # noqa: E402

from tests.cluster import flightlog, harness  # noqa: E402

ROUTES = {
    "cluster": lambda: harness.beam_args(),
    "local": lambda: ["--runner=PrismRunner", f"--prism_location={REPO / '.cluster' / 'bin' / 'prism'}",
                      "--environment_type=LOOPBACK", "--streaming"],
}


def _with_arrival(record, timestamp=beam.DoFn.TimestampParam):
    """Carry the input message's Kafka timestamp (the element's event time) into the output."""
    key, value = record
    return key, json.dumps({"in_ms": int(timestamp.micros // 1000), "record": json.loads(value)}).encode()


def _pipeline(args: list[str], topics: dict) -> beam.Pipeline:
    pipeline = beam.Pipeline(options=PipelineOptions(args))
    flightlog.build(pipeline, harness.KAFKA, topics["in"], topics["out"], before_write=beam.Map(_with_arrival))
    return pipeline


def run_route(name: str, messages, expected: dict, rate: float) -> dict:
    topics = harness.new_topics("in", "out")
    result = _pipeline(ROUTES[name](), topics).run()
    reader = harness.TopicReader(topics["out"])
    try:
        # Wait for the job to read (an empty topic) before the clock starts.
        time.sleep(5)
        started = time.time()
        publisher = threading.Thread(target=harness.publish, args=(topics["in"], messages),
                                     kwargs={"per_second": rate})
        publisher.start()
        done = reader.read_until(lambda r: len({k for k, _v, _t in r}) >= len(expected), timeout=900)
        publisher.join()
    finally:
        result.cancel()
        reader.close()
    outputs = {}
    latencies = []
    for key, value, out_ms in reader.records:
        body = json.loads(value)
        outputs[key.decode()] = body["record"]
        latencies.append(out_ms - body["in_ms"])
    persons = sum(1 for r in outputs.values() if r["kind"] == "active")
    missing, extra = expected.keys() - outputs.keys(), outputs.keys() - expected.keys()
    differ = [k for k in expected.keys() & outputs.keys() if expected[k] != outputs[k]]
    if missing or extra or differ:
        print(f"{name}: {len(missing)} missing, {len(extra)} unexpected, {len(differ)} differ; "
              f"e.g. {sorted(missing)[:2]} {sorted(extra)[:2]} {differ[:2]}", file=sys.stderr)
    last_out = max(ts for _k, _v, ts in reader.records) / 1000
    latencies.sort()
    return {
        "route": name, "complete": done and outputs == expected, "messages": len(messages),
        "records": len(reader.records), "persons": persons,
        "persons_per_s": persons / (last_out - started),
        "p50_ms": statistics.median(latencies), "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flights", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=50.0, help="messages offered per second")
    parser.add_argument("--routes", default="cluster,local")
    args = parser.parse_args(argv)
    for need in (harness.KAFKA, harness.JOB_ENDPOINT, harness.WORKER_POOL):
        if not harness.listening(need):
            sys.exit(f"nothing listening on {need}: run `make cluster-up` first")
    messages = flightlog.generate(args.flights, seed=31)
    expected = flightlog.reference(messages)
    persons_in = sum(len(json.loads(b)["persons"]) for _k, b in set(messages))
    print(f"{len(messages)} messages for {args.flights} flights, offered at {args.rate:.0f}/s "
          f"(about {persons_in / len(set(messages)) * args.rate:.0f} persons/s); "
          f"{len(expected)} expected output records; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = [run_route(route, messages, expected, args.rate) for route in args.routes.split(",")]
    print(f"{'route':8} {'correct':>7} {'records':>8} {'persons':>8} {'persons/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r['route']:8} {str(r['complete']):>7} {r['records']:>8} {r['persons']:>8} "
              f"{r['persons_per_s']:>10.0f} {r['p50_ms']:>8.0f} {r['p99_ms']:>8.0f}")
    return 0 if all(r["complete"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
