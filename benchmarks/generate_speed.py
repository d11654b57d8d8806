"""How fast ``paxshare generate`` writes: travellers per second for a run (default 200,000).

    python benchmarks/generate_speed.py [--travellers 200000] [--workers 0] [--out DIR]

Prints wall time, travellers/s, output size and the peak memory of the busiest process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.generate import generate  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--travellers", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=0, help="processes (0: one per CPU)")
    parser.add_argument("--persons-per-file", type=int, default=50_000)
    parser.add_argument("--codec", default="deflate", choices=("deflate", "null"))
    parser.add_argument("--out", help="output folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="paxshare-bench-"))
    try:
        started = time.perf_counter()
        summary = generate(out, travellers=args.travellers, workers=args.workers,
                           persons_per_file=args.persons_per_file, codec=args.codec)
        elapsed = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(f"{summary['persons']:,} travellers ({summary['manifests']:,} manifests, {summary['pnrs']:,} PNRs, "
              f"{len(summary['files'])} files, {size / 1e6:.1f} MB) in {elapsed:.1f} s: "
              f"{summary['persons'] / elapsed:,.0f} travellers/s; peak RSS per process {peak_kb / 1024:.0f} MB")
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
