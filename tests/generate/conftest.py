"""A small generated set shared by the generator's tests (built once per session)."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import pytest

from pipelines.generate import generate

SMALL = dict(travellers=4000, seed=11, invalid_rate=0.05, persons_per_file=1500, with_native_names=True)


class GeneratedSet:
    def __init__(self, root: Path, summary: dict):
        self.root = root
        self.summary = summary
        self.manifests: dict[str, tuple[str, dict]] = {}
        self.pnrs: list[tuple[str, dict]] = []
        for path in sorted((root / "api").glob("*.avro")):
            with open(path, "rb") as handle:
                for record in fastavro.reader(handle):
                    self.manifests[record["message_id"]] = (f"api/{path.name}", record)
        for path in sorted((root / "pnr").glob("*.avro")):
            with open(path, "rb") as handle:
                for record in fastavro.reader(handle):
                    self.pnrs.append((f"pnr/{path.name}", record))
        self.truth = [json.loads(line) for line in (root / "truth" / "planted_invalid.jsonl").read_text().splitlines()]
        native = root / "truth" / "persons_native.jsonl"
        self.native = [json.loads(line) for line in native.read_text(encoding="utf-8").splitlines()] \
            if native.exists() else []

    def persons(self):
        for message_id, (file, manifest) in self.manifests.items():
            for person in manifest["persons"]:
                yield file, manifest, person


@pytest.fixture(scope="session")
def small_set(tmp_path_factory) -> GeneratedSet:
    root = tmp_path_factory.mktemp("generated")
    summary = generate(root, **SMALL)
    return GeneratedSet(root, summary)
