"""Sharing speed: the engine alone, and the real pipeline with and without sharing.

    .venv/bin/python benchmarks/sharing_speed.py [--records 20000] [--pnr-ratio 0.3]
    .venv/bin/python benchmarks/sharing_speed.py --pipeline [--travellers 100000 | --data DIR] [--repeat 2]

Engine mode generates travellers over a mix of routes (US-Canada, US-Mexico, Central America,
Europe, domestic), flags 5% of them, and times ``SharingEngine.share_traveller`` / ``share_pnr``
over all default arrangements (the sensitive filter, scope, allow-list, treatments, HMAC
pseudonyms, content hash), then the Avro encoding and HPKE sealing of the output per partner.

``--pipeline`` measures what the requirement is about: ``paxshare run`` (the spine) on the same
data twice, without and with ``--rules rules --keys KEYS`` (every default arrangement), by default
on the DirectRunner in multi_processing mode with 2 workers. The data are made with ``paxshare
generate --travellers N`` (or taken from ``--data DIR``, which holds api/ and pnr/), the keys with
``paxshare keys demo`` and ``paxshare rules check --init-keys``. Runs alternate (spine, sharing,
spine, sharing...) so a busy machine hurts both alike; it prints each run's wall time and CPU time
(the launcher and its worker processes), the best of each, and the cost of sharing in % of the
spine. The requirement: applying all default arrangements costs no more than 30% of the spine's
throughput, i.e. ``spine_time / sharing_time >= 0.7``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "sharing"))

from sharing_samples import RULES, pnr, secrets_for, traveller  # noqa: E402

from pipelines.sharing import output  # noqa: E402
from pipelines.sharing.engine import SharingEngine  # noqa: E402
from pipelines.sharing.rules import load_rules  # noqa: E402

ROUTES = [("JFK", "YYZ"), ("YVR", "SEA"), ("LAX", "MEX"), ("ORD", "LAX", "MEX"), ("GUA", "MEX"), ("MEX", "IAH"),
          ("CUN", "DFW"), ("LHR", "JFK"), ("FRA", "ORD", "YYZ"), ("JFK", "LAX"), ("YUL", "CDG"), ("SAL", "LAX")]


def generate(n: int, pnr_ratio: float, seed: int = 7):
    rng = random.Random(seed)
    travellers, pnrs, flagged = [], [], set()
    for i in range(n):
        route = rng.choice(ROUTES)
        tid = f"MSG{i // 90}/{i % 90}"
        travellers.append(traveller(tid, route, role=rng.choice(["PASSENGER"] * 12 + ["CREW"]),
                                    surname=f"SURNAME{i}", doc_number=f"P{i:08d}", locator=f"L{i:05d}"))
        if rng.random() < 0.05:
            flagged.add(tid)
        if rng.random() < pnr_ratio:
            pnrs.append((pnr(f"L{i:05d}", route, ssrs=[("MOML", None), ("FQTV", "AC123")],
                             remarks=[("OSI", "VIP"), ("GENERAL", "KOSHER MEAL")]), tid in flagged))
    return travellers, pnrs, flagged


PAXSHARE = [sys.executable, "-m", "pipelines.cli"]


def _cli(*args: str) -> None:
    subprocess.run([*PAXSHARE, *args], check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _timed_run(data: Path, out: Path, sharing_args: list[str], beam_args: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the run and its worker processes) of one ``paxshare run``."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*PAXSHARE, "run", str(data / "api"), str(data / "pnr"), "--output", str(out), "--quiet",
                    *sharing_args, "--", *beam_args], check=True, cwd=REPO, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pipeline_benchmark(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="sharing-speed-"))
    try:
        data = Path(args.data) if args.data else work / "data"
        if not args.data:
            print(f"generating {args.travellers} travellers ...", flush=True)
            _cli("generate", "--out", str(data), "--travellers", str(args.travellers), "--seed", "1",
                 "--mean-passengers", "12.0")
        keys = work / "keys"
        _cli("keys", "demo", "--dir", str(keys))
        _cli("rules", "check", "--init-keys", str(keys))
        beam_args = ["--runner=DirectRunner"]
        if args.workers > 1:
            beam_args += ["--direct_running_mode=multi_processing", f"--direct_num_workers={args.workers}"]
        variants = {"spine": [], "spine + sharing": ["--rules", str(REPO / "rules"), "--keys", str(keys)]}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for round_ in range(args.repeat):
            for name, extra in variants.items():
                wall, cpu = _timed_run(data, work / "out", extra, beam_args)
                times[name].append((wall, cpu))
                print(f"run {round_ + 1} {name:16s} wall {wall:6.1f} s  cpu {cpu:6.1f} s", flush=True)
        report = json.loads((work / "out" / "report" / "run_report.json").read_text())
        shared = report.get("stages", {}).get("sharing", {}).get("records shared", 0)
        best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in times.items()}
        (spine_wall, spine_cpu), (share_wall, share_cpu) = best["spine"], best["spine + sharing"]
        print(f"data: {args.data or f'{args.travellers} generated travellers'} ({args.workers} worker(s)); records shared: {shared}")
        print(f"spine only:      best wall {spine_wall:6.1f} s, best cpu {spine_cpu:6.1f} s")
        print(f"spine + sharing: best wall {share_wall:6.1f} s, best cpu {share_cpu:6.1f} s")
        print(f"cost of sharing: wall +{(share_wall / spine_wall - 1) * 100:.1f}% time "
              f"(throughput -{(1 - spine_wall / share_wall) * 100:.1f}%), "
              f"cpu +{(share_cpu / spine_cpu - 1) * 100:.1f}% (throughput -{(1 - spine_cpu / share_cpu) * 100:.1f}%); "
              f"budget: throughput -30%")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--pnr-ratio", type=float, default=0.3)
    parser.add_argument("--pipeline", action="store_true",
                        help="time 'paxshare run' without and with sharing on the same generated data")
    parser.add_argument("--travellers", type=int, default=100000, help="--pipeline: travellers to generate")
    parser.add_argument("--data", help="--pipeline: use this generated data folder (api/, pnr/) instead")
    parser.add_argument("--workers", type=int, default=2, help="--pipeline: DirectRunner workers (multi_processing)")
    parser.add_argument("--repeat", type=int, default=2, help="--pipeline: rounds (best of each is reported)")
    args = parser.parse_args(argv)
    if args.pipeline:
        return pipeline_benchmark(args)
    arrangements = load_rules(RULES)
    engine = SharingEngine(arrangements, secrets_for(arrangements))
    travellers, pnrs, flagged = generate(args.records, args.pnr_ratio)

    engine.share_traveller(travellers[0], True)  # warm up: airport table, regexes
    by_partner = defaultdict(list)
    start = time.perf_counter()
    for t in travellers:
        for share in engine.share_traveller(t, t["traveller_id"] in flagged, "bench", "2026-11-23T00:00:00Z"):
            by_partner[share.record["recipient"]].append(share.record)
    api_s = time.perf_counter() - start
    start = time.perf_counter()
    for p, is_flagged in pnrs:
        for share in engine.share_pnr(p, is_flagged, "bench", "2026-11-23T00:00:00Z"):
            by_partner[share.record["recipient"]].append(share.record)
    pnr_s = time.perf_counter() - start
    shared = sum(len(v) for v in by_partner.values())
    print(f"arrangements: {len(arrangements)}; records in: {len(travellers)} API + {len(pnrs)} PNR; shared: {shared}")
    print(f"engine API: {len(travellers) / api_s:,.0f} records/s ({api_s * 1e6 / len(travellers):.1f} us/record)")
    if pnrs:
        print(f"engine PNR: {len(pnrs) / pnr_s:,.0f} records/s ({pnr_s * 1e6 / len(pnrs):.1f} us/record)")

    try:
        from pipelines import crypto
    except ImportError:
        return 0
    start = time.perf_counter()
    size = 0
    for recipient, records in by_partner.items():
        key = crypto.generate_recipient_key(recipient).public_key()
        size += len(output.seal_records(records, key, recipient, output.file_name(recipient, "bench")))
    seal_s = time.perf_counter() - start
    total = len(travellers) + len(pnrs)
    print(f"encode+seal: {shared / seal_s:,.0f} shared records/s; {size / 1e6:.1f} MB sealed")
    print(f"overall (engine + encode + seal): {total / (api_s + pnr_s + seal_s):,.0f} input records/s")

    return 0


if __name__ == "__main__":
    sys.exit(main())
