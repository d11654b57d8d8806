"""The live landing folder on the Prism runner: files written after the pipeline started are read
(the DirectRunner's continuous match misses them), and ``paxshare stream`` fed by
``paxshare replay`` seals flags while it is still running."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.io.stream_transforms import ReadLandingFolder
from pipelines.stream import local_prism

REPO = Path(__file__).resolve().parents[2]
PRISM = local_prism()
needs_prism = pytest.mark.skipif(PRISM is None, reason="no prism binary: run tools/cluster/install.sh prism")


class _Note(beam.DoFn):
    def __init__(self, seen: str):
        self._seen = seen

    def process(self, item):
        with open(self._seen, "a", encoding="utf-8") as handle:
            handle.write(os.path.basename(item[0]) + "\n")
        yield item


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def _state(stream, landing: Path, out: Path, log: Path) -> str:
    """What a failed wait saw: the stream's exit code, the folders, and the end of its log."""
    listing = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) if out.exists() else []
    return (f"stream exit code {stream.poll()}; {len(list(landing.iterdir()))} files landed; outputs: "
            f"{listing[:40]}\n--- stream log (end) ---\n{log.read_text(errors='replace')[-6000:]}")


@needs_prism
def test_files_written_after_start_are_read_once_and_unfinished_ones_wait(tmp_path):
    landing, seen = tmp_path / "landing", tmp_path / "seen.txt"
    landing.mkdir()
    (landing / "before.edi").write_bytes(b"UNA:+.? 'UNB+UNOA:4+X+Y'")
    # its own job server: Beam shares one per process, and an earlier test may have made it from
    # another (or no) prism binary
    options = PipelineOptions(["--runner=PrismRunner", f"--prism_location={PRISM}", "--environment_type=LOOPBACK",
                               "--streaming", "--experiments=disable_prism_server_singleton"])
    pipeline = beam.Pipeline(options=options)
    pipeline | ReadLandingFolder(str(landing), interval=0.5) | beam.ParDo(_Note(str(seen)))
    result = pipeline.run()
    try:
        assert _wait_for(lambda: seen.exists() and "before.edi" in seen.read_text(), 90)
        for i in range(4):
            (landing / f"after{i}.edi").write_bytes(b"UNH")
            time.sleep(0.7)
        (landing / ".partial.edi.tmp").write_bytes(b"half")  # a transfer in progress
        names = {f"after{i}.edi" for i in range(4)}
        assert _wait_for(lambda: names <= set(seen.read_text().split()), 60), seen.read_text()
        assert ".partial.edi.tmp" not in seen.read_text().split()
        os.rename(landing / ".partial.edi.tmp", landing / "partial.edi")  # complete: now it is read
        assert _wait_for(lambda: "partial.edi" in seen.read_text().split(), 60)
        time.sleep(2)
        lines = seen.read_text().split()
        assert len(lines) == len(set(lines)) == 6  # each file once
    finally:
        result.cancel()


@needs_prism
def test_stream_command_seals_flags_while_running(tmp_path):
    keys, landing, out = tmp_path / "keys", tmp_path / "landing", tmp_path / "out"
    paxshare = [sys.executable, "-m", "pipelines.cli"]
    subprocess.run([*paxshare, "keys", "demo", "--dir", str(keys)], check=True, cwd=REPO, capture_output=True)
    subprocess.run([*paxshare, "rules", "check", "rules", "--init-keys", str(keys)], check=True, cwd=REPO,
                   capture_output=True)
    landing.mkdir()
    log = tmp_path / "stream.log"
    watchlists = [a for w in sorted(glob.glob(str(REPO / "sample_manifests" / "watchlists" / "*.avro")))
                  for a in ("--watchlists", w)]
    stream = subprocess.Popen(
        [*paxshare, "stream", "--landing", str(landing), "--output", str(out), *watchlists, "--keys", str(keys),
         "--rules", "rules", "--window-seconds", "5", "--duration", "150", "--quiet",
         "--", f"--prism_location={PRISM}"], cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        time.sleep(15)  # the stream is up and watching before anything lands
        replay = subprocess.run([*paxshare, "replay", str(REPO / "sample_manifests" / "api"), "--landing",
                                 str(landing), "--rate", "40", "--limit", "200", "--quiet"],
                                cwd=REPO, capture_output=True, text=True, timeout=120)
        assert replay.returncode == 0, replay.stdout + replay.stderr
        flags_seen = _wait_for(lambda: glob.glob(str(out / "flags" / "*" / "*.sealed")), 90)
        # flags appear while the stream still runs
        assert flags_seen and stream.poll() is None, _state(stream, landing, out, log)
        assert _wait_for(lambda: glob.glob(str(out / "report" / "window-*.json")), 60), _state(stream, landing, out, log)
        # while it ran, nothing of paxshare failed (a job being stopped fails bundles in flight,
        # which are retried on a restart: only what was logged before the stop counts)
        output = log.read_text(errors="replace")
        if (out / "paxshare.log").exists():  # the runner's and workers' log lines (quiet by default)
            output += (out / "paxshare.log").read_text(errors="replace")
        ours = [line for line in output.splitlines() if 'File "' in line and "/pipelines/" in line]
        assert not ours, output[-4000:]
    finally:
        if stream.poll() is None:
            stream.terminate()
        stream.wait(timeout=60)
    opened = subprocess.run([*paxshare, "audit", "verify", str(out / "audit")], cwd=REPO, capture_output=True,
                            text=True)
    assert opened.returncode == 0, opened.stdout + opened.stderr
