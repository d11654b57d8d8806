"""The compiled encoder writes the same bytes as fastavro."""

from __future__ import annotations

import filecmp
import io

import fastavro
import pytest
from fastavro.write import Writer

from pipelines import schemas
from pipelines.generate import generate
from pipelines.generate.avro_fast import BlockWriter, compile_encoder, long_bytes


def _both(schema_name: str, records: list[dict], **kwargs) -> tuple[bytes, bytes]:
    out = []
    for cls in (Writer, BlockWriter):
        buffer = io.BytesIO()
        writer = cls(buffer, schemas.load(schema_name), metadata=schemas.file_metadata(schema_name),
                     sync_marker=b"0123456789abcdef", **kwargs)
        for record in records:
            writer.write(record)
        writer.flush()
        out.append(buffer.getvalue())
    return out[0], out[1]


def test_generated_files_are_identical_with_either_writer(tmp_path):
    args = dict(travellers=1200, seed=4, persons_per_file=500, invalid_rate=0.1)
    a = generate(tmp_path / "compiled", avro_writer="compiled", **args)
    generate(tmp_path / "fastavro", avro_writer="fastavro", **args)
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "compiled", tmp_path / "fastavro", a["files"], shallow=False)
    assert not mismatch and not errors


@pytest.mark.parametrize("codec,level,interval", [("null", None, 16000), ("deflate", None, 1000), ("deflate", 1, 64000)])
def test_same_bytes_as_fastavro_for_the_sample(codec, level, interval, repo_root):
    for name, folder in (("api_manifest", "api"), ("pnr", "pnr")):
        with open(repo_root / "sample_manifests" / folder / f"{folder}-00000.avro", "rb") as handle:
            records = list(fastavro.reader(handle))
        a, b = _both(name, records, codec=codec, compression_level=level, sync_interval=interval)
        assert a == b


def test_edge_values():
    record = {
        "schema_version": 2, "message_id": "M" * 20000, "sender": "ÄÖÜ中文", "message_type": "CREW_LIST",
        "message_function": "UNKNOWN", "flight": {"carrier": None, "number": None, "in_transit": True, "legs": []},
        "declared_passenger_count": -5, "declared_crew_count": 2 ** 30, "persons": [], "warnings": ["w"] * 3,
    }
    a, b = _both("api_manifest", [record])
    assert a == b
    assert list(fastavro.reader(io.BytesIO(b)))[0]["declared_crew_count"] == 2 ** 30


def test_varints():
    for n in (0, 1, -1, 63, 64, -64, -65, 8191, 8192, 16383, 16384, 2 ** 31, -(2 ** 40)):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, "long", n)
        assert long_bytes(n) == buffer.getvalue(), n


def test_a_value_outside_the_union_is_refused():
    encode = compile_encoder(schemas.load("api_manifest"))
    with pytest.raises((ValueError, AttributeError, TypeError, KeyError)):
        encode({"schema_version": 2, "message_id": "x", "sender": 5}, [].append)
