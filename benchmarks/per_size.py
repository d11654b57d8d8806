"""One subprocess per list size, for the screening benchmarks: a fresh process per size keeps one
size's memory and compiled caches out of the next one's figures.

``run_sizes(script, sizes, extra_args, out)`` runs ``python SCRIPT --one SIZE EXTRA_ARGS...`` for
each size, reads the JSON row the child prints last, prints it as it comes and keeps the rows so
far in ``out``; returns the rows, or the failing child's exit status (its stderr's end printed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_sizes(script: str, sizes: list[int], extra_args: list[str], out: str) -> list[dict] | int:
    rows = []
    for size in sizes:
        proc = subprocess.run([sys.executable, script, "--one", str(size), *extra_args], capture_output=True,
                              text=True)
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(rows, indent=2))
    return rows
