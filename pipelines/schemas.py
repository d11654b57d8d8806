"""The Avro schemas in ``schemas/``, parsed once and shared.

Schemas may refer to named types defined in other schema files (``api_traveller`` reuses
``paxshare.api.Person`` from ``api_manifest``); ``DEPENDS_ON`` lists what must be parsed first.
The schema files ship inside the package as ``pipelines/avro_schemas`` (see ``setup.py``), so
workers on a cluster find them without a local path.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro

from pipelines import storage

#: Schemas that reference named types from another schema file.
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "api_traveller": ("api_manifest",),
}

#: Metadata keys written into every Avro file paxshare produces.
META_SCHEMA_NAME = "paxshare.schema"
META_SCHEMA_VERSION = "paxshare.schema_version"


@dataclass(frozen=True)
class DecodedRecord:
    """A record read from ``source_file`` at index ``position`` of schema ``schema_name``: what the
    readers (``pipelines.io``) hand to validation."""

    schema_name: str
    source_file: str
    position: int
    record: dict



def schema_dir() -> Path:
    """Folder holding the ``.avsc`` files: the installed copy, else the source checkout's."""
    return Path(storage.packaged("avro_schemas"))


def raw_schema(name: str, history_version: int | None = None) -> dict[str, Any]:
    """The schema document as JSON; ``history_version`` picks a superseded version."""
    folder = schema_dir()
    path = folder / f"{name}.avsc" if history_version is None else folder / "history" / f"{name}.v{history_version}.avsc"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _parsed(name: str) -> tuple[dict, dict]:
    named: dict = {}
    for dependency in DEPENDS_ON.get(name, ()):
        named.update(_parsed(dependency)[1])
    document = raw_schema(name)
    if DEPENDS_ON.get(name):
        # Inline the borrowed definitions so every file written carries a self-contained schema
        # that any Avro reader can decode without paxshare's other schema files.
        fastavro.parse_schema(document, named_schemas=dict(named))  # fails early on a bad reference
        document = _inline_named_types(document, _definitions(*DEPENDS_ON[name]), set())
    parsed = _in_stable_order(fastavro.parse_schema(document, named_schemas=named))
    return parsed, named


def _in_stable_order(node):
    """The parsed schema with its keys sorted. fastavro builds field properties from a set, so the
    JSON it writes into file headers would otherwise change order with each process's string-hash
    seed, and identical runs would write different bytes."""
    if isinstance(node, dict):
        return {key: _in_stable_order(node[key]) for key in sorted(node)}
    if isinstance(node, list):
        return [_in_stable_order(item) for item in node]
    return node


def _definitions(*names: str) -> dict[str, dict]:
    """Full name -> JSON definition of every named type in the given schema files."""
    found: dict[str, dict] = {}

    def walk(node, namespace):
        if isinstance(node, dict):
            if node.get("type") in ("record", "enum", "fixed") and "name" in node:
                space = node.get("namespace", namespace)
                full = node["name"] if "." in node["name"] else f"{space}.{node['name']}"
                found[full] = dict(node, name=full.rsplit(".", 1)[1], namespace=full.rsplit(".", 1)[0])
                namespace = space
            for value in node.values():
                walk(value, namespace)
        elif isinstance(node, list):
            for value in node:
                walk(value, namespace)

    for name in names:
        walk(raw_schema(name), "")
    return found


def _inline_named_types(node, definitions: dict[str, dict], seen: set[str]):
    """Replace the first reference to each borrowed named type by its definition (Avro allows a
    named type to be defined once, then referred to by name)."""
    if isinstance(node, str) and node in definitions and node not in seen:
        seen.add(node)
        return _inline_named_types(definitions[node], definitions, seen)
    if isinstance(node, dict):
        if node.get("type") in ("record", "enum", "fixed") and "name" in node:
            full = node["name"] if "." in node["name"] else f"{node.get('namespace', '')}.{node['name']}"
            seen.add(full)
        return {key: (_inline_named_types(value, definitions, seen) if key in ("type", "items", "values", "fields")
                      else value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_named_types(value, definitions, seen) for value in node]
    return node


def load(name: str) -> dict:
    """Parsed schema ready for fastavro readers and writers, e.g. ``load("api_manifest")``."""
    return _parsed(name)[0]


def version(name: str) -> int:
    """Current version of a schema: the default of its ``schema_version`` field."""
    for field in raw_schema(name)["fields"]:
        if field["name"] == "schema_version":
            return int(field["default"])
    raise KeyError(f"schema {name!r} has no schema_version field")


def file_metadata(name: str) -> dict[str, str]:
    """Avro file metadata naming the schema, so readers can tell what a file holds."""
    return {META_SCHEMA_NAME: name, META_SCHEMA_VERSION: str(version(name))}


def schema_name_of(writer_schema: dict) -> str | None:
    """Which paxshare schema a writer schema is, by its record's full name; None if unknown."""
    full_name = writer_schema.get("name") if isinstance(writer_schema, dict) else None
    return SCHEMA_BY_FULL_NAME.get(full_name)


SCHEMA_BY_FULL_NAME = {
    "paxshare.api.ApiManifest": "api_manifest",
    "paxshare.pnr.Pnr": "pnr",
    "paxshare.api.ApiTraveller": "api_traveller",
    "paxshare.ops.DeadLetter": "dead_letter",
    "paxshare.screening.MatchCandidate": "match_candidate",
    "paxshare.screening.WatchlistEntry": "watchlist_entry",
    "paxshare.flags.RiskFlag": "risk_flag",
    "paxshare.sharing.SharedRecord": "shared_record",
}
