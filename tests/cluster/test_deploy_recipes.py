"""The deployment recipes in deploy/ (docs/cluster.md), checked as far as a machine without a
container engine or Kubernetes can: they parse, name the SDK version that setup.py pins, and the
Flink pieces agree with each other (worker pool sidecar port, job server endpoint, Flink version)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import apache_beam
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _manifests() -> dict[str, dict]:
    found = {}
    for path in sorted((DEPLOY / "flink-operator").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def test_sdk_image_is_the_pinned_beam_version():
    text = (DEPLOY / "Dockerfile.sdk").read_text()
    base = re.search(r"^FROM apache/beam_python(\d)\.(\d+)_sdk:(\S+)$", text, re.M)
    assert base, "the SDK image must start from Beam's Python SDK image"
    assert base.group(3) == apache_beam.__version__
    setup = (DEPLOY.parent / "setup.py").read_text()
    assert f"apache-beam[dataframe]=={base.group(3)}" in setup


def test_flink_operator_manifests_agree():
    docs = _manifests()
    flink = docs["FlinkDeployment/paxshare-flink"]
    assert flink["apiVersion"] == "flink.apache.org/v1beta1"
    sidecar = next(c for c in flink["spec"]["taskManager"]["podTemplate"]["spec"]["containers"]
                   if c["name"] == "beam-worker-pool")
    assert sidecar["args"] == ["--worker_pool"]
    pool_port = next(p["containerPort"] for p in sidecar["ports"] if p["name"] == "worker-pool")
    assert int(flink["spec"]["flinkConfiguration"]["taskmanager.numberOfTaskSlots"]) >= 1
    assert "execution.checkpointing.interval" in flink["spec"]["flinkConfiguration"]

    server = docs["Deployment/beam-job-server"]["spec"]["template"]["spec"]["containers"][0]
    image, tag = server["image"].rsplit(":", 1)
    assert tag == apache_beam.__version__
    flink_minor = flink["spec"]["flinkVersion"].removeprefix("v").replace("_", ".")
    assert image == f"apache/beam_flink{flink_minor}_job_server"
    assert flink["spec"]["image"].startswith(f"flink:{flink_minor}.")
    assert f"--flink-master={flink['metadata']['name']}-rest:8081" in server["args"]
    service_ports = {p["name"]: p["port"] for p in docs["Service/beam-job-server"]["spec"]["ports"]}

    submit = docs["Job/paxshare-stream-submit"]["spec"]["template"]["spec"]["containers"][0]
    args = submit["args"]
    assert args[0] == "stream" and "--" in args
    beam_args = args[args.index("--") + 1:]
    assert f"--environment_config=localhost:{pool_port}" in beam_args
    assert "--environment_type=EXTERNAL" in beam_args and "--streaming" in beam_args
    assert f"--job_endpoint=beam-job-server:{service_ports['job']}" in beam_args
    assert submit["image"] == sidecar["image"]


def test_dataflow_flex_template_parses():
    metadata = json.loads((DEPLOY / "dataflow" / "metadata.json").read_text())
    names = {p["name"] for p in metadata["parameters"]}
    assert {"kafka-bootstrap", "output", "watchlists", "keys", "rules"} <= names
    docker = (DEPLOY / "dataflow" / "Dockerfile").read_text()
    assert "FLEX_TEMPLATE_PYTHON_PY_FILE=/template/launch.py" in docker
    compile((DEPLOY / "dataflow" / "launch.py").read_text(), "launch.py", "exec")
