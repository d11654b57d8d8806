"""Pipeline throughput against the raw fastavro decode ceiling, measured in the same run.

Generates N travellers (or reuses --data), decodes every API file with plain fastavro in one
process (the ceiling per core), then runs ``paxshare run`` (validation spine) on the DirectRunner
with --direct_num_workers=2 in multi-processing mode, sampling the peak memory of the whole
process tree. Prints travellers/s for both, their ratio, peak memory, and checks that the run
reconciled and matched the planted truth exactly.

    python benchmarks/pipeline_throughput.py --travellers 1000000
Target (issue 2): ratio >= 0.25 at 1M travellers, peak memory < 2 GB.
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import fastavro
import psutil

from pipelines.generate.truth_check import compare


def raw_decode(files: list[str]) -> tuple[int, float]:
    """Decode every file with plain fastavro in one process; returns (API persons, seconds)."""
    persons, started = 0, time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            for record in fastavro.reader(handle):
                persons += len(record.get("persons") or ())
    return persons, time.perf_counter() - started


def run_with_peak_memory(command: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS of the process tree (bytes), and output of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root] + root.children(recursive=True)
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    if process.returncode not in (0,):
        raise SystemExit(f"paxshare run failed ({process.returncode}):\n{output[-3000:]}")
    return time.perf_counter() - started, peak, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--travellers", type=int, default=200_000)
    parser.add_argument("--data", help="reuse a generated folder instead of generating")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="paxshare-bench-"))
    data = Path(args.data) if args.data else work / "data"
    paxshare = str(Path(sys.executable).parent / "paxshare")
    if not args.data:
        started = time.perf_counter()
        subprocess.run([paxshare, "generate", "--out", str(data), "--travellers", str(args.travellers),
                        "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {args.travellers:,} travellers in {time.perf_counter() - started:.1f} s")
    api_files = sorted(glob.glob(str(data / "api" / "*.avro")))
    pnr_files = sorted(glob.glob(str(data / "pnr" / "*.avro")))
    persons, api_seconds = raw_decode(api_files)
    _, pnr_seconds = raw_decode(pnr_files)
    raw_rate = persons / (api_seconds + pnr_seconds)  # the same files the pipeline reads

    output = work / "out"
    seconds, peak, log = run_with_peak_memory([
        paxshare, "run", str(data / "api"), str(data / "pnr"), "--output", str(output), "--quiet", "--",
        "--runner=DirectRunner", "--direct_running_mode=multi_processing",
        f"--direct_num_workers={args.workers}"])
    report = json.loads((output / "report" / "run_report.json").read_text())
    truth = compare(str(data), str(output))
    pipeline_rate = persons / seconds
    print(f"files: {len(api_files)} API + {len(pnr_files)} PNR files, {persons:,} persons, {report['totals']['pnrs_in']:,} PNRs")
    print(f"raw fastavro decode of the same files (1 process): {raw_rate:,.0f} persons/s "
          f"(API files alone {persons / api_seconds:,.0f}/s, PNR files {pnr_seconds:.1f} s)")
    print(f"paxshare run ({args.workers} workers, whole command incl. start-up): {pipeline_rate:,.0f} persons/s "
          f"in {seconds:.1f} s")
    print(f"ratio pipeline / raw decode: {pipeline_rate / raw_rate:.3f}  (target >= 0.25)")
    print(f"peak memory of the process tree: {peak / 2**30:.2f} GiB  (target < 2 GiB)")
    print(f"reconciled: {report['reconciled']}; planted defects caught with the right reason: "
          f"{truth['caught_with_right_reason']}/{truth['planted']}; false rejections: "
          f"{len(truth['false_rejections'])}")


if __name__ == "__main__":
    main()
