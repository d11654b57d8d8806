"""The same pipeline through Beam's portability layer, as Flink, Spark or Dataflow run Python:
``PortableRunner`` with the embedded job service, and SDK workers in a separate worker-pool
process (``apache_beam.runners.worker.worker_pool_main``). Outputs must equal the local run's."""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import fastavro
import pytest

from pipelines.batch import run
from tests.spine.factories import avro_bytes, manifest, person, pnr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker_pool():
    """A worker pool in its own process; it starts SDK workers with the same Python as the tests."""
    port = free_port()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    process = subprocess.Popen(
        [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None:
            pytest.fail("worker pool exited at start")
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("worker pool did not start listening")
    yield port
    process.terminate()
    process.wait(timeout=30)


def outputs(folder: Path) -> dict:
    def records(pattern):
        found = []
        for path in glob.glob(str(folder / pattern)):
            with open(path, "rb") as handle:
                found.extend(fastavro.reader(handle))
        return found

    report = json.loads((folder / "report" / "run_report.json").read_text())
    return {
        "travellers": sorted(json.dumps(t, sort_keys=True) for t in records("valid/api_travellers/*.avro")),
        "pnrs": sorted(json.dumps(p, sort_keys=True) for p in records("valid/pnr/*.avro")),
        "dead_letters": sorted(json.dumps(d, sort_keys=True, default=str) for d in records("dead_letter/*.avro")),
        "partitions": sorted(Path(p).name.split("-0")[0] for p in glob.glob(str(folder / "valid/*/*.avro"))),
        "matches": sorted(json.dumps(m, sort_keys=True) for m in records("matches/*.avro")),
        "report": {k: v for k, v in report.items() if k != "timing"},  # timing differs run to run
    }


def test_portable_runner_gives_the_same_outputs(tmp_path: Path, worker_pool: int):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "api.avro").write_bytes(avro_bytes("api_manifest", [
        manifest(f"M{i}", persons=[person(j, sex="?" if j == 7 else "F") for j in range(20)],
                 declared_passenger_count=20 if i % 4 else 19) for i in range(12)]))
    (inputs / "pnr.avro").write_bytes(avro_bytes("pnr", [pnr("ABC123"), pnr("bad")]))
    (inputs / "junk.avro").write_bytes(b"\x00\x01 not avro")
    # screening too: the compiled pre-scoring and the per-process shared index in SDK workers
    watchlist = tmp_path / "watchlist.csv"
    watchlist.write_text(
        "entry_id,surname,given_names,full_name,aliases,date_of_birth,gender,nationality,document_number,"
        "document_issuer,category\n"
        "E1,Tremblay,Marie Claire,,,1984-03-09,F,CAN,,,LOOKOUT\n"
        "E2,,,,,,,,AB000003,CAN,LOST_STOLEN_DOCUMENT\n", encoding="utf-8")
    common = [f"--input={inputs}", "--run_id=portability", f"--watchlists={watchlist}"]

    run(common + [f"--output={tmp_path / 'local'}", "--runner=DirectRunner"])
    run(common + [f"--output={tmp_path / 'portable'}", "--runner=PortableRunner", "--job_endpoint=embed",
                  "--environment_type=EXTERNAL", f"--environment_config=localhost:{worker_pool}"])

    local, portable = outputs(tmp_path / "local"), outputs(tmp_path / "portable")
    assert len(local["travellers"]) == 9 * 19  # 3 manifests rejected for counts, one bad person in each other
    assert local["matches"] and any('"E2"' in m for m in local["matches"])
    assert local == portable
