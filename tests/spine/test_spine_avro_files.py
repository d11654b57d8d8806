"""Reading Avro files: every way a file can be bad is reported with its name, never raised."""

from __future__ import annotations

import io

import fastavro
import pytest

from pipelines import schemas
from pipelines.io.avro_files import DecodedRecord, FileProblem, read_records
from tests.spine.factories import avro_bytes, manifest, person, pnr


def read_all(data: bytes, name: str = "in.avro"):
    items = list(read_records(io.BytesIO(data), name))
    return [i for i in items if isinstance(i, DecodedRecord)], [i for i in items if isinstance(i, FileProblem)]


def test_round_trip_keeps_records_and_positions():
    records, problems = read_all(avro_bytes("api_manifest", [manifest("M1"), manifest("M2")]))
    assert problems == []
    assert [(r.schema_name, r.position, r.record["message_id"]) for r in records] == [
        ("api_manifest", 0, "M1"), ("api_manifest", 1, "M2")]


def test_pnr_files_are_recognised():
    records, problems = read_all(avro_bytes("pnr", [pnr()]))
    assert problems == [] and records[0].schema_name == "pnr"


def test_not_avro_names_the_file_and_keeps_the_bytes():
    records, problems = read_all(b"UNA:+.? 'UNB+UNOA:4+AIRLINE'", "landing/paxlst.edi")
    assert records == []
    assert problems[0].code == "NOT_AVRO"
    assert "landing/paxlst.edi" in problems[0].message
    assert problems[0].raw_head.startswith(b"UNA")


def test_empty_file_is_not_avro():
    records, problems = read_all(b"", "empty.avro")
    assert records == [] and problems[0].code == "NOT_AVRO"


def test_truncated_file_keeps_the_records_before_the_damage():
    many = [manifest(f"M{i}", persons=[person(j) for j in range(200)]) for i in range(30)]
    data = avro_bytes("api_manifest", many)
    buffer = io.BytesIO()
    fastavro.writer(buffer, schemas.load("api_manifest"), many, sync_interval=4000,
                    metadata=schemas.file_metadata("api_manifest"))
    data = buffer.getvalue()
    records, problems = read_all(data[: len(data) * 2 // 3], "cut.avro")
    assert 0 < len(records) < 30
    assert problems[0].code == "TRUNCATED"
    assert "cut.avro" in problems[0].message
    assert problems[0].records_before == len(records)


def test_unknown_schema_is_rejected_by_name():
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema({"type": "record", "name": "acme.Invoice",
                                                   "fields": [{"name": "id", "type": "string"}]}), [{"id": "1"}])
    records, problems = read_all(buffer.getvalue(), "invoice.avro")
    assert records == [] and problems[0].code == "UNKNOWN_SCHEMA"
    assert "acme.Invoice" in problems[0].message


def test_incompatible_version_of_a_known_schema_is_a_schema_mismatch():
    broken = schemas.raw_schema("pnr")
    broken["fields"] = [f for f in broken["fields"] if f["name"] not in ("message_id",)] + [
        {"name": "message_id", "type": "long"}]
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(broken), [dict(pnr(), message_id=5)])
    records, problems = read_all(buffer.getvalue(), "old.avro")
    assert records == [] and problems[0].code == "SCHEMA_MISMATCH"


def test_files_written_with_schema_version_1_still_read():
    """An API manifest file written with the first schema version reads into the current one."""
    old_schema = fastavro.parse_schema(schemas.raw_schema("api_manifest", history_version=1))
    old_record = manifest("OLD-1")
    old_record["schema_version"] = 1
    for field in ("warnings",):
        old_record.pop(field)
    for leg in old_record["flight"]["legs"]:
        leg.pop("departure_utc"), leg.pop("arrival_utc")
    for p in old_record["persons"]:
        for field in ("place_of_birth", "bag_count", "bag_weight_kg", "bag_tags"):
            p.pop(field)
        for document in p["documents"]:
            document.pop("mrz_line")
    buffer = io.BytesIO()
    fastavro.writer(buffer, old_schema, [old_record])
    records, problems = read_all(buffer.getvalue(), "2025/api.avro")
    assert problems == []
    current = records[0].record
    assert current["schema_version"] == 1  # the writer's value, not the new default
    assert current["warnings"] == [] and current["persons"][0]["bag_tags"] == []
    assert current["persons"][0]["place_of_birth"] is None
    assert current["persons"][0]["surname"] == "TREMBLAY"
    assert current["list_part"] is None


def test_files_written_with_schema_version_2_read_as_whole_lists():
    """A version 2 file has no list parts: each of its lists reads as sent whole."""
    old_schema = fastavro.parse_schema(schemas.raw_schema("api_manifest", history_version=2))
    old_record = dict(manifest("OLD-2"), schema_version=2)
    old_record.pop("list_part", None)
    buffer = io.BytesIO()
    fastavro.writer(buffer, old_schema, [old_record])
    records, problems = read_all(buffer.getvalue(), "2026/api.avro")
    assert problems == []
    assert records[0].record["schema_version"] == 2 and records[0].record["list_part"] is None


def test_current_schema_version_is_newer_than_history():
    assert schemas.version("api_manifest") == 3
    history = sorted((schemas.schema_dir() / "history").glob("api_manifest.v*.avsc"))
    assert [p.name for p in history] == ["api_manifest.v1.avsc", "api_manifest.v2.avsc"]


@pytest.mark.parametrize("name", sorted(set(schemas.SCHEMA_BY_FULL_NAME.values())))
def test_every_schema_field_is_documented(name):
    def fields(node):
        if isinstance(node, dict):
            if node.get("type") == "record":
                yield from node["fields"]
            for value in node.values():
                yield from fields(value)
        elif isinstance(node, list):
            for value in node:
                yield from fields(value)

    undocumented = [f["name"] for f in fields(schemas.raw_schema(name)) if not f.get("doc")]
    assert undocumented == []
    assert schemas.raw_schema(name).get("namespace", "").startswith("paxshare")
