"""Schema paths: the vocabulary of the field allow-lists.

A path names a field of a source schema by its field names joined with dots; an array of records
is entered with ``[]``: ``person.surname``, ``person.documents[].number``, ``travellers[].surname``,
``flights[].carrier``. ``schema_paths(kind)`` lists every path of ``schemas/api_traveller.avsc``
(kind ``API``) or ``schemas/pnr.avsc`` (kind ``PNR``) with what it leads to, so that an
arrangement naming a field that does not exist fails on load rather than silently sending
nothing (or, worse, something else).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pipelines import schemas

#: Source schema file for each data kind an arrangement can cover.
SCHEMA_FOR_KIND = {"API": "api_traveller", "PNR": "pnr"}
#: Full Avro name of each kind's source schema, carried in shared records.
FULL_NAME_FOR_KIND = {"API": "paxshare.api.ApiTraveller", "PNR": "paxshare.pnr.Pnr"}

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


@dataclass(frozen=True)
class PathInfo:
    """What a schema path leads to.

    ``kind`` is ``primitive`` (a string, number, boolean or enum), ``primitive_array`` (an array
    of those, e.g. ``person.bag_tags``), ``record`` or ``record_array``; ``avro_type`` is the
    primitive's Avro type (``string``, ``int``, ``enum``...) or the record's name.
    """

    kind: str
    avro_type: str

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("primitive", "primitive_array")


def _named_types() -> dict[str, dict]:
    """Every named type (record, enum) declared in the schema files, by full name."""
    named: dict[str, dict] = {}

    def collect(node, namespace: str) -> None:
        if isinstance(node, list):
            for item in node:
                collect(item, namespace)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") in ("record", "enum", "fixed") and "name" in node:
            ns = node.get("namespace", namespace)
            full = node["name"] if "." in node["name"] else f"{ns}.{node['name']}"
            named[full] = node
            namespace = ns
        for key in ("type", "items", "values", "fields"):
            if key in node:
                collect(node[key], namespace)

    for name in ("api_manifest", "api_traveller", "pnr"):
        raw = schemas.raw_schema(name)
        collect(raw, raw.get("namespace", ""))
    return named


def _resolve(avro_type, named: dict[str, dict], namespace: str):
    """Strip ``null`` from unions and follow named references."""
    if isinstance(avro_type, list):
        rest = [t for t in avro_type if t != "null"]
        avro_type = rest[0] if len(rest) == 1 else rest
    if isinstance(avro_type, str) and avro_type not in _PRIMITIVES:
        full = avro_type if "." in avro_type else f"{namespace}.{avro_type}"
        return named[full]
    return avro_type


@functools.lru_cache(maxsize=None)
def schema_paths(kind: str) -> dict[str, PathInfo]:
    """All paths of the ``kind`` (``API`` or ``PNR``) source schema."""
    named = _named_types()
    raw = schemas.raw_schema(SCHEMA_FOR_KIND[kind])
    out: dict[str, PathInfo] = {}

    def walk(record: dict, prefix: str, namespace: str) -> None:
        namespace = record.get("namespace", namespace)
        for field in record["fields"]:
            path = f"{prefix}{field['name']}"
            ftype = _resolve(field["type"], named, namespace)
            if isinstance(ftype, dict) and ftype.get("type") == "array":
                items = _resolve(ftype["items"], named, namespace)
                if isinstance(items, dict) and items.get("type") == "record":
                    out[path + "[]"] = PathInfo("record_array", items["name"])
                    walk(items, path + "[].", namespace)
                else:
                    out[path] = PathInfo("primitive_array", items if isinstance(items, str) else items.get("type", "?"))
            elif isinstance(ftype, dict) and ftype.get("type") == "record":
                out[path] = PathInfo("record", ftype["name"])
                walk(ftype, path + ".", namespace)
            elif isinstance(ftype, dict):
                out[path] = PathInfo("primitive", ftype.get("type", "?"))
            else:
                out[path] = PathInfo("primitive", ftype if isinstance(ftype, str) else "union")

    walk(raw, "", raw.get("namespace", ""))
    return out


def split_path(path: str) -> list[tuple[str, bool]]:
    """``person.documents[].number`` -> ``[("person", False), ("documents", True), ("number", False)]``."""
    parts = []
    for piece in path.split("."):
        is_array = piece.endswith("[]")
        parts.append((piece[:-2] if is_array else piece, is_array))
    return parts


def suggest(path: str, kind: str) -> str | None:
    """A likely intended path for a misspelt or mis-bracketed one, or None."""
    import difflib

    known = schema_paths(kind)
    bare = path.replace("[]", "")
    for candidate in known:
        if candidate.replace("[]", "") == bare:
            return candidate
    close = difflib.get_close_matches(path, list(known), n=1, cutoff=0.75)
    return close[0] if close else None
