"""A faster Avro record writer for the generator: the same bytes as ``fastavro.write.Writer``.

fastavro resolves every union and looks up every field through generic code, which makes it the
biggest cost of a large generation run. This module compiles an Avro schema (as parsed by
``fastavro.parse_schema``, i.e. ``pipelines.schemas.load``) into a Python function that encodes one
record of exactly that schema into Avro binary, inline, with small varints precomputed. The file
header and metadata are still written by ``fastavro.write.Writer``; :class:`BlockWriter` appends the
data blocks the way fastavro does (same block boundaries, same deflate call, same sync marker), so
the files are byte-identical to fastavro's, which ``tests/generate`` checks.

Supported: null, boolean, int, long, float, double, string, bytes, enum, record, array, map and
unions whose branches are told apart by Python type (``["null", X]`` and the like). Records must be
dicts; a missing key takes the field's default, as in fastavro.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Callable

from fastavro.write import Writer

_SMALL = 1 << 14


def _zigzag_varint(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


#: zig-zag varints of 0 .. _SMALL-1, the lengths and counts almost every value needs.
VARINT = [_zigzag_varint(n) for n in range(_SMALL)]


def long_bytes(n: int) -> bytes:
    return VARINT[n] if 0 <= n < _SMALL else _zigzag_varint(n)


_PREFIXED: dict[int, list[bytes]] = {}


def _prefixed(branch: int) -> list[bytes]:
    """Union branch index + string length, for lengths 0 .. _SMALL-1 (one shared table per index)."""
    table = _PREFIXED.get(branch)
    if table is None:
        table = _PREFIXED[branch] = [long_bytes(branch) + v for v in VARINT]
    return table


_DOUBLE = struct.Struct("<d").pack
_FLOAT = struct.Struct("<f").pack

_PRIMITIVE_TYPES = {
    "null": "type(None)", "boolean": "bool", "int": "int", "long": "int", "float": "(float, int)",
    "double": "(float, int)", "string": "str", "bytes": "(bytes, bytearray)",
}


class _Compiler:
    def __init__(self):
        self.lines: list[str] = []
        self.consts: dict[str, object] = {"VARINT": VARINT, "long_bytes": long_bytes, "_DOUBLE": _DOUBLE,
                                          "_FLOAT": _FLOAT, "_SMALL": _SMALL}
        self.named: dict[str, dict] = {}
        self.counter = 0

    def var(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def const(self, value) -> str:
        name = self.var("K")
        self.consts[name] = value
        return name

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def resolve(self, schema):
        if isinstance(schema, str) and schema in self.named:
            return self.named[schema]
        if isinstance(schema, dict) and schema.get("type") in ("record", "enum", "fixed") and "name" in schema:
            self.named.setdefault(schema["name"], schema)
        return schema

    def type_name(self, schema) -> str:
        schema = self.resolve(schema)
        if isinstance(schema, str):
            return schema
        if isinstance(schema, list):
            return "union"
        return schema["type"] if isinstance(schema["type"], str) else "nested"

    def encode(self, schema, value: str, indent: int) -> None:
        schema = self.resolve(schema)
        if isinstance(schema, dict) and not isinstance(schema.get("type"), str):
            return self.encode(schema["type"], value, indent)
        kind = self.type_name(schema)
        if kind == "null":
            return
        if kind == "boolean":
            self.emit(indent, f"a(b'\\x01' if {value} else b'\\x00')")
        elif kind in ("int", "long"):
            self.emit(indent, f"a(VARINT[{value}] if 0 <= {value} < _SMALL else long_bytes({value}))")
        elif kind == "double":
            self.emit(indent, f"a(_DOUBLE({value}))")
        elif kind == "float":
            self.emit(indent, f"a(_FLOAT({value}))")
        elif kind in ("string", "bytes"):
            b, n = self.var("b"), self.var("n")
            self.emit(indent, f"{b} = {value}.encode()" if kind == "string" else f"{b} = {value}")
            self.emit(indent, f"{n} = len({b})")
            self.emit(indent, f"a((VARINT[{n}] if {n} < _SMALL else long_bytes({n})) + {b})")
        elif kind == "enum":
            table = self.const({symbol: long_bytes(i) for i, symbol in enumerate(schema["symbols"])})
            self.emit(indent, f"a({table}[{value}])")
        elif kind == "record":
            for field in schema["fields"]:
                v = self.var("v")
                if "default" in field:
                    default = self.const(field["default"])
                    self.emit(indent, f"{v} = {value}.get({field['name']!r}, {default})")
                else:
                    self.emit(indent, f"{v} = {value}[{field['name']!r}]")
                self.encode(field["type"], v, indent)
        elif kind == "array":
            items = self.var("items")
            item = self.var("item")
            self.emit(indent, f"{items} = {value}")
            self.emit(indent, f"if {items}:")
            self.emit(indent + 1, f"a(VARINT[len({items})] if len({items}) < _SMALL else long_bytes(len({items})))")
            self.emit(indent + 1, f"for {item} in {items}:")
            self.encode(schema["items"], item, indent + 2)
            self.emit(indent, "a(b'\\x00')")
        elif kind == "map":
            key, item = self.var("key"), self.var("item")
            self.emit(indent, f"if {value}:")
            self.emit(indent + 1, f"a(long_bytes(len({value})))")
            self.emit(indent + 1, f"for {key}, {item} in {value}.items():")
            self.encode("string", key, indent + 2)
            self.encode(schema["values"], item, indent + 2)
            self.emit(indent, "a(b'\\x00')")
        elif kind == "union":
            self.union(schema, value, indent)
        else:
            raise TypeError(f"unsupported Avro type {schema!r}")

    def union(self, branches: list, value: str, indent: int) -> None:
        kinds = [self.type_name(b) for b in branches]
        if len(branches) == 2 and "null" in kinds:
            # The common optional value: None or the other branch (a wrong type fails in its encoder).
            null_index = kinds.index("null")
            other = 1 - null_index
            self.emit(indent, f"if {value} is None:")
            self.emit(indent + 1, f"a({long_bytes(null_index)!r})")
            self.emit(indent, "else:")
            if kinds[other] == "string":
                b, n = self.var("b"), self.var("n")
                self.emit(indent + 1, f"{b} = {value}.encode()")
                self.emit(indent + 1, f"{n} = len({b})")
                prefix = self.const(_prefixed(other))
                self.emit(indent + 1, f"a(({prefix}[{n}] if {n} < _SMALL else {long_bytes(other)!r} + long_bytes({n})) + {b})")
            else:
                self.emit(indent + 1, f"a({long_bytes(other)!r})")
                self.encode(branches[other], value, indent + 1)
            return
        checks = []
        seen = set()
        for index, branch in enumerate(branches):
            kind = self.type_name(branch)
            if kind in ("record", "map"):
                test = "dict"
            elif kind == "enum":
                test = "str"
            elif kind == "array":
                test = "(list, tuple)"
            elif kind in _PRIMITIVE_TYPES:
                test = _PRIMITIVE_TYPES[kind]
            else:
                raise TypeError(f"unsupported union branch {branch!r}")
            if test in seen:
                raise TypeError(f"union {branches!r} has branches Python types cannot tell apart")
            seen.add(test)
            checks.append((index, branch, kind, test))
        first = True
        for index, branch, kind, test in checks:
            if kind == "null":
                condition = f"{value} is None"
            elif kind == "boolean":
                condition = f"{value} is True or {value} is False"
            elif kind in ("int", "long"):
                condition = f"type({value}) is int"
            else:
                condition = f"isinstance({value}, {test})"
            self.emit(indent, f"{'if' if first else 'elif'} {condition}:")
            self.emit(indent + 1, f"a({long_bytes(index)!r})")
            self.encode(branch, value, indent + 1)
            first = False
        self.emit(indent, "else:")
        self.emit(indent + 1, f"raise ValueError('value ' + repr({value}) + ' matches no branch of the union')")


_COMPILED: dict[str, Callable] = {}


def compile_encoder(schema: dict) -> Callable[[dict, Callable[[bytes], None]], None]:
    """``encode(record, append)``: appends the Avro binary encoding of ``record`` in pieces.
    Compiled once per distinct schema and process."""
    key = json.dumps(schema, sort_keys=True, default=str)
    encoder = _COMPILED.get(key)
    if encoder is None:
        encoder = _COMPILED[key] = _compile_encoder(schema)
    return encoder


def _compile_encoder(schema: dict) -> Callable:
    compiler = _Compiler()
    compiler.emit(0, "def encode(record, a):")
    compiler.encode(schema, "record", 1)
    namespace = dict(compiler.consts)
    exec(compile("\n".join(compiler.lines), f"<avro encoder {schema.get('name')}>", "exec"), namespace)
    return namespace["encode"]


class BlockWriter:
    """Writes records to an Avro container file like ``fastavro.write.Writer`` (which writes the
    header), encoding them with :func:`compile_encoder`. Same arguments, same bytes."""

    def __init__(self, fo, schema: dict, codec: str = "null", sync_interval: int = 16000,
                 metadata: dict | None = None, sync_marker: bytes = b"", compression_level: int | None = None):
        if codec not in ("null", "deflate"):
            raise ValueError(f"codec {codec!r} is not supported here")
        header = Writer(fo, schema, codec=codec, sync_interval=sync_interval, metadata=metadata,
                        sync_marker=sync_marker, compression_level=compression_level)
        self.sync_marker = header.sync_marker
        self.fo = fo
        self.codec = codec
        self.level = compression_level
        self.sync_interval = sync_interval
        self.encode = compile_encoder(schema)
        self.parts: list[bytes] = []
        self.size = 0
        self.count = 0

    def write(self, record: dict) -> None:
        pieces: list[bytes] = []
        self.encode(record, pieces.append)
        data = b"".join(pieces)
        self.parts.append(data)
        self.size += len(data)
        self.count += 1
        if self.size >= self.sync_interval:
            self._dump()

    def _dump(self) -> None:
        data = b"".join(self.parts)
        if self.codec == "deflate":
            data = (zlib.compress(data, self.level) if self.level is not None else zlib.compress(data))[2:-1]
        self.fo.write(long_bytes(self.count) + long_bytes(len(data)) + data + self.sync_marker)
        self.parts = []
        self.size = 0
        self.count = 0

    def flush(self) -> None:
        if self.size or self.count:
            self._dump()
        self.fo.flush()
