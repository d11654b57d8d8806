"""Determinism, streaming, the command line and the benchmark."""

from __future__ import annotations

import argparse
import filecmp
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.generate import generate
from pipelines.generate import cli

REPO = Path(__file__).resolve().parents[2]


def _all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    args = dict(travellers=2500, seed=3, persons_per_file=800, with_native_names=True)
    a = generate(tmp_path / "a", workers=1, **args)
    b = generate(tmp_path / "b", workers=2, **args)
    assert a == b
    files = _all_files(tmp_path / "a")
    assert files == _all_files(tmp_path / "b")
    assert "api/api-00003.avro" in files and "truth/persons_native.jsonl" in files
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files, shallow=False)
    assert not mismatch and not errors


def test_other_seed_other_data(tmp_path):
    generate(tmp_path / "a", travellers=300, seed=1)
    generate(tmp_path / "b", travellers=300, seed=2)
    assert (tmp_path / "a" / "api" / "api-00000.avro").read_bytes() != (tmp_path / "b" / "api" / "api-00000.avro").read_bytes()


def test_rerun_replaces_previous_output(tmp_path):
    generate(tmp_path, travellers=600, persons_per_file=200)
    generate(tmp_path, travellers=300, persons_per_file=200)
    assert sorted(p.name for p in (tmp_path / "api").iterdir()) == ["api-00000.avro", "api-00001.avro"]


def test_zero_invalid_rate_plants_nothing(tmp_path):
    summary = generate(tmp_path, travellers=500, invalid_rate=0.0)
    assert summary["planted_invalid"]["total"] == 0
    assert (tmp_path / "truth" / "planted_invalid.jsonl").read_text() == ""


def test_bad_options_are_refused(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, travellers=0)
    with pytest.raises(ValueError):
        generate(tmp_path, travellers=10, reference_date="2026-02-30")


# Peak RSS of the generating process itself: VmHWM belongs to the process's own address space
# (ru_maxrss would also count the forking parent, e.g. a large pytest process).
_MEMORY_PROBE = """
import resource, sys
from pipelines.generate import generate
generate(sys.argv[1], travellers=int(sys.argv[2]), persons_per_file=5000, workers=1)
try:
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")))
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_kb(tmp_path, travellers: int) -> int:
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(tmp_path / str(travellers)), str(travellers)],
                         cwd=REPO, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_streams_to_disk_in_small_memory(tmp_path):
    started = time.perf_counter()
    small = _peak_kb(tmp_path, 2_000)
    large = _peak_kb(tmp_path, 20_000)
    elapsed = time.perf_counter() - started
    assert large < 200_000, f"peak RSS {large} kB"
    # Ten times the travellers, (almost) the same memory: nothing accumulates.
    assert large - small < 25_000, (small, large)
    assert elapsed < 120
    assert len(list((tmp_path / "20000" / "api").iterdir())) == 4


def test_cli(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path), "--travellers", "400", "--seed", "9", "--with-native-names"])
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "Generated 400 API persons" in printed and "Planted" in printed
    generated = (tmp_path / "GENERATED.md").read_text()
    assert "paxshare generate --out" in generated and "--seed 9" in generated and "fastavro" in generated
    summary = json.loads((tmp_path / "truth" / "summary.json").read_text())
    assert summary["options"]["seed"] == 9 and summary["persons"] == 400


def test_cli_through_the_paxshare_command(tmp_path):
    from pipelines.cli import main
    assert main(["generate", "--out", str(tmp_path), "--travellers", "200"]) == 0
    assert (tmp_path / "api" / "api-00000.avro").exists()


def test_benchmark_runs(tmp_path):
    out = subprocess.run([sys.executable, "benchmarks/generate_speed.py", "--travellers", "3000", "--out", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, check=True)
    assert "travellers/s" in out.stdout
