"""Whole-pipeline throughput against the raw fastavro decode ceiling, measured in the same run.

    python benchmarks/pipeline_throughput.py --travellers 1000000 --watchlist-size 1000000
    python benchmarks/pipeline_throughput.py --data GEN --work DIR --watchlist-size 1000000 \\
        --compare DIR/before/digest.json          # the same outputs as a run made before a change?

1. Generates N travellers with their PNRs and planted watchlists (``paxshare generate``), or
   reuses ``--data``; pads the watchlists to ``--watchlist-size`` entries with a national-scale
   list (:mod:`pipelines.generate.watchlist_scale`, cached under the work folder); makes demo keys.
2. Decodes every API and PNR file with plain fastavro in one process: the ceiling per core.
3. Runs ``paxshare run`` with every stage (validate, screen against the lists, raise sealed flags,
   share with partners, audit) on the DirectRunner, ``--direct_num_workers`` workers in
   multi-processing mode, sampling the peak memory of the whole process tree. ``--spine-only``
   runs validation alone (the earlier benchmark).
4. Prints persons/s for both, their ratio, the wall time without the one-off watchlist index
   build, peak memory, the worker seconds per stage (the runner's execution-time metrics, from
   the run report), and checks that counts reconcile, that every planted defect is caught with
   its reason and no valid record is rejected, and says how many planted watchlist matches are
   candidates (screening quality has its own benchmarks). ``--compare`` checks that the outputs (flags and partner records
   opened with the demo keys) are identical to an earlier run's (``benchmarks/output_digest.py``).

Targets (issue 20, two cores): ratio >= 0.25 at 1M travellers against a 1M-entry list; 372,000
travellers through every stage in <= 60 s without the index build; peak memory < 6 GB.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import fastavro
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.output_digest import differences, digest  # noqa: E402
from pipelines.generate.truth_check import compare  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def raw_decode(files: list[str]) -> tuple[int, float]:
    """Decode every file with plain fastavro in one process; returns (API persons, seconds)."""
    persons, started = 0, time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            for record in fastavro.reader(handle):
                persons += len(record.get("persons") or ())
    return persons, time.perf_counter() - started


def run_with_peak_memory(command: list[str], log_path: Path | None = None) -> tuple[float, int, str, dict]:
    """Wall time, peak RSS of the process tree (bytes, sampled every 0.2 s), output of ``command``
    (also written to ``log_path``) and CPU seconds: the launcher's and its child processes' (the
    SDK workers), each as last sampled."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample():
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root] + root.children(recursive=True)
                rss = 0
                for member in tree:
                    with member.oneshot():
                        rss += member.memory_info().rss
                        times = member.cpu_times()
                        cpu[member.pid] = times.user + times.system
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if log_path is not None:
        log_path.write_text(output)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}):\n{output[-3000:]}")
    launcher = cpu.pop(process.pid, 0.0)
    return time.perf_counter() - started, peak, output, {"launcher": launcher, "workers": sum(cpu.values())}


def padded_watchlist(data: Path, size: int, work: Path) -> tuple[list[str], int]:
    """The generated watchlists plus a national-scale list padding them to ``size`` entries
    (made once per size under ``work``); returns (files, entries)."""
    from pipelines.screening.lists.watchlist import read_watchlists, write_watchlist_avro

    planted = sorted(glob.glob(str(data / "watchlists" / "*.avro")))
    have = len(read_watchlists(planted))
    files = list(planted)
    if size > have:
        scale = work / f"national-list-{size - have}.avro"
        if not scale.exists():
            from pipelines.generate.watchlist_scale import ScaleWorld

            started = time.perf_counter()
            entries = (entry for entry, _ in ScaleWorld(seed=15).fillers(size - have))
            write_watchlist_avro(entries, str(scale.with_suffix(".tmp")))
            scale.with_suffix(".tmp").rename(scale)
            print(f"made a {size - have:,}-entry national-scale list in {time.perf_counter() - started:.0f} s")
        files.append(str(scale))
    return files, max(size, have)


def make_keys(keys: Path, paxshare: str) -> None:
    if not keys.exists():
        subprocess.run([paxshare, "keys", "demo", "--dir", str(keys)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([paxshare, "rules", "check", str(REPO / "rules"), "--init-keys", str(keys)], check=True,
                       stdout=subprocess.DEVNULL)


def watchlist_recall(data: Path, output: Path) -> tuple[int, int]:
    """(planted matches found among the candidates, planted matches)."""
    truth_path = data / "watchlists" / "truth.jsonl"
    if not truth_path.exists():
        return 0, 0
    truth = [json.loads(line) for line in truth_path.open()]
    found = set()
    for path in glob.glob(str(output / "matches" / "*.avro")):
        with open(path, "rb") as handle:
            found.update((c["traveller_id"], c["entry_id"]) for c in fastavro.reader(handle))
    return sum((t["record_key"], t["entry_id"]) in found for t in truth), len(truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--travellers", type=int, default=200_000)
    parser.add_argument("--data", help="reuse a folder written by 'paxshare generate' instead of generating")
    parser.add_argument("--watchlist-size", type=int, default=1_000_000,
                        help="watchlist entries in all (the generated lists padded with a national-scale list)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--running-mode", default="multi_processing", choices=("multi_processing", "in_memory"),
                        help="DirectRunner mode: worker processes (default) or one process, one thread "
                             "(multi_threading loses records: paxshare run refuses it)")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one); lists and keys are "
                        "kept there between runs")
    parser.add_argument("--spine-only", action="store_true", help="validation only: no screening, flags or sharing")
    parser.add_argument("--label", default="run", help="name of this run's output folder under --work")
    parser.add_argument("--compare", help="digest JSON of an earlier run: fail unless the outputs are identical")
    args = parser.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="paxshare-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.data) if args.data else work / f"data-{args.travellers}"
    paxshare = str(Path(sys.executable).parent / "paxshare")
    if not (data / "api").is_dir():
        started = time.perf_counter()
        subprocess.run([paxshare, "generate", "--out", str(data), "--travellers", str(args.travellers),
                        "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {args.travellers:,} travellers in {time.perf_counter() - started:.1f} s")
    api_files = sorted(glob.glob(str(data / "api" / "*.avro")))
    pnr_files = sorted(glob.glob(str(data / "pnr" / "*.avro")))

    stages: list[str] = []
    entries = 0
    keys = work / "keys"
    if not args.spine_only:
        watchlists, entries = padded_watchlist(data, args.watchlist_size, work)
        make_keys(keys, paxshare)
        for path in watchlists:
            stages += ["--watchlists", path]
        stages += ["--rules", str(REPO / "rules"), "--keys", str(keys)]

    uptime = os.getloadavg()
    persons, api_seconds = raw_decode(api_files)
    _, pnr_seconds = raw_decode(pnr_files)
    raw_rate = persons / (api_seconds + pnr_seconds)  # the same files the pipeline reads

    output = work / args.label
    seconds, peak, log, cpu = run_with_peak_memory([
        paxshare, "run", str(data / "api"), str(data / "pnr"), "--output", str(output), "--quiet", *stages, "--",
        "--runner=DirectRunner", f"--direct_running_mode={args.running_mode}",
        f"--direct_num_workers={args.workers}"], work / f"{args.label}.log")
    report = json.loads((output / "report" / "run_report.json").read_text())
    timing = report["timing"]
    truth = compare(str(data), str(output))
    found, planted = watchlist_recall(data, output)
    parts = digest(str(output), None if args.spine_only else str(keys))
    (work / f"{args.label}-digest.json").write_text(json.dumps(parts, indent=2, sort_keys=True))

    pipeline_rate = persons / seconds
    build = timing.get("index_build_seconds", 0.0)
    print(f"load average before the run: {uptime[0]:.2f} {uptime[1]:.2f} {uptime[2]:.2f}")
    print(f"files: {len(api_files)} API + {len(pnr_files)} PNR, {persons:,} persons, "
          f"{report['totals'].get('pnrs_in', 0):,} PNRs; watchlist entries: {entries:,}"
          + (" (spine only: no screening, flags or sharing)" if args.spine_only else ""))
    print(f"raw fastavro decode of the same files (1 process): {raw_rate:,.0f} persons/s "
          f"(API {api_seconds:.1f} s, PNR {pnr_seconds:.1f} s)")
    print(f"paxshare run ({args.workers} workers, {args.running_mode}, whole command incl. start-up): {pipeline_rate:,.0f} persons/s "
          f"in {seconds:.1f} s; pipeline itself {timing['seconds']:.1f} s")
    print(f"ratio pipeline / raw decode: {pipeline_rate / raw_rate:.3f}  (target >= 0.25)")
    if build:
        print(f"watchlist index builds: {timing.get('index_builds')}, the longest {build:.1f} s; the run without it: {seconds - build:.1f} s "
              f"({persons / (seconds - build):,.0f} persons/s)")
    without_build = persons / (seconds - build)
    print(f"a US day (372,000 travellers) at this rate, without the index build: {372_000 / without_build:.0f} s "
          "(target <= 60 s)")
    print(f"peak memory of the process tree: {peak / 2**30:.2f} GiB  (target < 6 GiB)")
    print(f"CPU seconds: launcher (the runner: data between stages) {cpu['launcher']:.0f} s, "
          f"worker processes {cpu['workers']:.0f} s")
    stage_seconds = timing.get("worker_seconds_by_stage", {})
    if stage_seconds:
        total = sum(stage_seconds.values())
        print(f"worker seconds by stage (all workers, {total:.0f} s in all):")
        for stage, value in sorted(stage_seconds.items(), key=lambda item: -item[1]):
            print(f"  {stage:32} {value:8.1f} s  {100 * value / total:5.1f}%")
    print(f"reconciled: {report['reconciled']}; planted defects caught with the right reason: "
          f"{truth['caught_with_right_reason']}/{truth['planted']}; false rejections: "
          f"{len(truth['false_rejections'])}" + (f"; planted watchlist matches found: {found}/{planted}" if planted else ""))
    stages_report = report.get("stages", {})
    if stages_report:
        print("stage counts: " + "; ".join(
            f"{stage} " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()) if " " not in k or k == "records shared")
            for stage, counts in sorted(stages_report.items())))
    print("output digest: " + ", ".join(f"{part} {value['records']:,} {value['sha256'][:12]}"
                                       for part, value in parts.items()))
    after = os.getloadavg()
    print(f"load average after the run: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    problems = []
    if not report["reconciled"]:
        problems.append("counts do not reconcile")
    if not truth["exact"]:
        problems.append("planted-truth check failed")
    if args.compare:
        different = differences(json.loads(Path(args.compare).read_text()), parts)
        print("outputs identical to " + args.compare if not different else "outputs DIFFERENT:\n  " + "\n  ".join(different))
        if different:
            problems.append("outputs differ from " + args.compare)
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))


if __name__ == "__main__":
    main()
