"""Reading and writing paxshare Avro files, with every way a file can be bad made explicit.

``read_records`` never raises for bad input: it yields the records it could decode and then, if
the file was not Avro, was truncated, or was written with a schema paxshare does not know, one
``FileProblem`` that names the file. Callers turn problems into dead letters, so nothing is lost
silently and a bad file never stops the run.

No Beam import here: the Beam transforms in ``pipelines.io.transforms`` wrap these functions.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import IO, Callable, Iterable, Iterator

import fastavro
import fastavro.schema
from fastavro.read import SchemaResolutionError

from pipelines import reasons, schemas
from pipelines.schemas import DecodedRecord  # noqa: F401 (re-exported: what read_records yields)

#: Schemas ``paxshare run`` accepts as input.
INPUT_SCHEMAS = ("api_manifest", "pnr")

#: Dead letters keep at most this much of a file that did not decode.
RAW_BYTES_LIMIT = 64 * 1024


@dataclass(frozen=True)
class FileProblem:
    """Why (part of) a file could not be read. ``records_before`` decoded records were kept."""

    source_file: str
    code: str
    message: str
    records_before: int
    raw_head: bytes | None = None


def file_problem_dead_letter(problem: FileProblem, run_id: str) -> dict:
    """A whole-file (or rest-of-file) rejection as a DeadLetter record."""
    return {
        "schema_version": 1, "run_id": run_id, "stage": "read", "kind": "FILE",
        "source_file": problem.source_file, "position": problem.records_before or None, "line": None,
        "record_key": None, "flight_key": None, "person_count": 0,
        "reasons": [{"code": problem.code, "field": None, "message": problem.message}],
        "raw_json": None, "raw_bytes": problem.raw_head[:RAW_BYTES_LIMIT] if problem.raw_head else None,
    }


def read_records(stream: IO[bytes], source_file: str, accepted: Iterable[str] = INPUT_SCHEMAS,
                 reopen: Callable[[], IO[bytes]] | None = None) -> Iterator[DecodedRecord | FileProblem]:
    """Decode every record of an Avro container as the current schema version.

    A file written with the current schema decodes directly (the fast path). A file written with
    an older version is decoded again with the current schema as reader schema, so Avro's
    resolution rules apply (new fields take their defaults); that needs a seekable stream or
    ``reopen``, which opens the file anew.
    """
    head = stream.read(4)
    if head != AVRO_MAGIC:
        yield FileProblem(source_file, reasons.NOT_AVRO,
                          f"{source_file}: not an Avro object container file (starts with {head[:4]!r})",
                          0, head + stream.read(RAW_BYTES_LIMIT - len(head)))
        return
    stream = _rewound(stream, head)
    try:
        reader = fastavro.reader(stream)
    except Exception as error:  # fastavro raises several types for a broken header
        yield FileProblem(source_file, reasons.TRUNCATED, f"{source_file}: Avro header unreadable ({error})", 0)
        return
    name = schemas.schema_name_of(reader.writer_schema)
    if name is None or name not in accepted:
        writer_name = reader.writer_schema.get("name") if isinstance(reader.writer_schema, dict) else None
        yield FileProblem(source_file, reasons.UNKNOWN_SCHEMA,
                          f"{source_file}: written with schema {writer_name!r}, expected one of "
                          f"{', '.join(schemas.load(n)['name'] for n in accepted)}", 0)
        return
    if _canonical(reader.writer_schema) != _current_canonical(name):
        try:
            again = reopen() if reopen else _seek_start(stream)
            reader = fastavro.reader(again, reader_schema=schemas.load(name))
        except SchemaResolutionError as error:
            yield FileProblem(source_file, reasons.SCHEMA_MISMATCH,
                              f"{source_file}: schema {name} cannot be resolved to the current version: {error}", 0)
            return
    position = 0
    try:
        for record in reader:
            yield DecodedRecord(name, source_file, position, record)
            position += 1
    except SchemaResolutionError as error:
        yield FileProblem(source_file, reasons.SCHEMA_MISMATCH,
                          f"{source_file}: record {position} does not resolve to schema {name}: {error}", position)
    except Exception as error:  # EOFError, ValueError, zlib.error... all mean a damaged block
        yield FileProblem(source_file, reasons.TRUNCATED,
                          f"{source_file}: damaged or truncated after record {position - 1 if position else 'none'} "
                          f"({type(error).__name__}: {error}); {position} records before it were kept", position)


AVRO_MAGIC = b"Obj\x01"


def _canonical(schema: dict) -> str:
    return fastavro.schema.to_parsing_canonical_form(schema)


@functools.lru_cache(maxsize=None)
def _current_canonical(name: str) -> str:
    return _canonical(schemas.load(name))


def _rewound(stream: IO[bytes], head: bytes) -> IO[bytes]:
    """The stream from its first byte again: seek back, or replay the bytes already read."""
    if stream.seekable():
        stream.seek(0)
        return stream
    return io.BufferedReader(_Replay(head, stream), buffer_size=1 << 16)


def _seek_start(stream: IO[bytes]) -> IO[bytes]:
    if not stream.seekable():
        raise ValueError("an older schema version needs a seekable stream or reopen()")
    stream.seek(0)
    return stream


def write_records(stream: IO[bytes], schema_name: str, records: Iterable[dict], codec: str = "deflate") -> int:
    """Write records as an Avro container tagged with paxshare's schema metadata; returns the count."""
    count = 0

    def counted() -> Iterator[dict]:
        nonlocal count
        for record in records:
            count += 1
            yield record

    fastavro.writer(stream, schemas.load(schema_name), counted(), codec=codec,
                    metadata=schemas.file_metadata(schema_name))
    return count


class _Replay(io.RawIOBase):
    """Raw stream that yields ``head`` and then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]):
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        if self._head:
            count = min(len(target), len(self._head))
            target[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._stream.read(len(target))
        target[:len(data)] = data
        return len(data)
