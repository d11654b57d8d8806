"""Same command, same bytes, also across processes: Python's per-process string-hash seed must not
leak into file headers (fastavro orders schema properties through a set) or sync markers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def generate_in_new_process(out: Path, hash_seed: str) -> None:
    subprocess.run([sys.executable, "-m", "pipelines.cli", "generate", "--out", str(out), "--travellers", "400",
                    "--seed", "3", "--watchlist-fillers", "50"],
                   env=dict(os.environ, PYTHONHASHSEED=hash_seed), check=True, stdout=subprocess.DEVNULL)


def test_identical_bytes_whatever_the_hash_seed(tmp_path):
    generate_in_new_process(tmp_path / "a", "1")
    generate_in_new_process(tmp_path / "b", "2")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert any(str(f).startswith("watchlists/") for f in files) and any(str(f).startswith("api/") for f in files)
    def content(run: str, name: Path) -> bytes:  # GENERATED.md records the --out folder itself
        return (tmp_path / run / name).read_bytes().replace(str(tmp_path / run).encode(), b"OUT")

    different = [str(f) for f in files if content("a", f) != content("b", f)]
    assert different == []
