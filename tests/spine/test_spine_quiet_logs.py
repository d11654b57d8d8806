"""Quiet by default: the runner's and SDK workers' log lines go to OUTPUT/paxshare.log, paxshare's
progress and summary lines stay on the terminal; ``--verbose`` shows everything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines import runlog

REPO = Path(__file__).resolve().parent.parent.parent


def _paxshare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "paxshare"), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=540)


def test_subprocess_workers_log_to_the_output_folder_not_the_terminal(tmp_path):
    # multi-processing: SDK workers are subprocesses that inherit the terminal; before, each
    # wrote a dozen INFO lines there at start-up
    output = tmp_path / "out"
    done = _paxshare("run", "sample_manifests/api/api-00000.avro", "--output", str(output), "--",
                     "--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2")
    assert done.returncode == 0, done.stderr[-2000:]
    progress = done.stderr.splitlines()
    assert progress and all(line.startswith("[paxshare]") for line in progress), done.stderr[-2000:]
    assert any("read sample_manifests/api/api-00000.avro" in line for line in progress)
    assert "RECONCILED" in done.stdout and "INFO" not in done.stdout
    log = (output / runlog.LOG_FILE).read_text()
    assert "sdk_worker" in log or "sdk harness" in log.lower()
    assert (output / runlog.LOG_FILE).stat().st_mode & 0o077 == 0  # owner-only, like the output folder


def test_log_file_takes_child_process_output_and_keeps_progress_lines(tmp_path, capfd):
    path = tmp_path / "run.log"
    with runlog.to_log_file(str(path)):
        print("[paxshare] launcher progress", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", "import sys; print('INFO:worker noise', file=sys.stderr); "
                        "print('[paxshare] worker progress', file=sys.stderr)"], check=True)
        os.write(2, b"WARNING:partial line without newline")
    print("after", file=sys.stderr)
    err = capfd.readouterr().err
    assert err.splitlines() == ["[paxshare] launcher progress", "[paxshare] worker progress", "after"]
    assert path.read_text() == "INFO:worker noise\nWARNING:partial line without newline"


def test_without_a_log_file_nothing_is_redirected(capfd):
    with runlog.to_log_file(None):
        subprocess.run([sys.executable, "-c", "import sys; print('INFO:shown', file=sys.stderr)"], check=True)
    assert "INFO:shown" in capfd.readouterr().err
