"""Reading and writing paxshare Avro files, with every way a file can be bad made explicit.

``read_records`` never raises for bad input: it yields the records it could decode and then, if
the file was not Avro, was truncated, or was written with a schema paxshare does not know, one
``FileProblem`` that names the file. Callers turn problems into dead letters, so nothing is lost
silently and a bad file never stops the run.

No Beam import here: the Beam transforms in ``pipelines.io.transforms`` wrap these functions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Iterable, Iterator

import fastavro
from fastavro.read import SchemaResolutionError

from pipelines import schemas
from pipelines.validation import reasons

#: Schemas ``paxshare run`` accepts as input.
INPUT_SCHEMAS = ("api_manifest", "pnr")

#: Dead letters keep at most this much of a file that did not decode.
RAW_BYTES_LIMIT = 64 * 1024


@dataclass(frozen=True)
class DecodedRecord:
    """A record read from ``source_file`` at index ``position`` of schema ``schema_name``."""

    schema_name: str
    source_file: str
    position: int
    record: dict


@dataclass(frozen=True)
class FileProblem:
    """Why (part of) a file could not be read. ``records_before`` decoded records were kept."""

    source_file: str
    code: str
    message: str
    records_before: int
    raw_head: bytes | None = None


def read_records(stream: IO[bytes], source_file: str,
                 accepted: Iterable[str] = INPUT_SCHEMAS) -> Iterator[DecodedRecord | FileProblem]:
    """Decode every record of an Avro container, resolving it to the current schema version.

    Older schema versions resolve by Avro's rules (new fields take their defaults), so files
    written before a schema change still read.
    """
    head = stream.read(4)
    if head != b"Obj\x01":
        yield FileProblem(source_file, reasons.NOT_AVRO,
                          f"{source_file}: not an Avro object container file (starts with {head[:4]!r})",
                          0, head + stream.read(RAW_BYTES_LIMIT - len(head)))
        return
    stream = _Prefixed(head, stream)
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
    stream.seek_start()
    try:
        reader = fastavro.reader(stream, reader_schema=schemas.load(name))
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


class _Prefixed(io.RawIOBase):
    """A read stream that replays bytes already consumed, and can rewind to its start while the
    underlying stream has not been read past the prefix (enough to sniff the header twice)."""

    def __init__(self, prefix: bytes, stream: IO[bytes]):
        self._buffer = bytearray(prefix)
        self._stream = stream
        self._offset = 0
        self._recording = True

    def readable(self) -> bool:
        return True

    def seek_start(self) -> None:
        self._offset = 0
        self._recording = False

    def readinto(self, target) -> int:
        wanted = len(target)
        available = len(self._buffer) - self._offset
        if available <= 0:
            data = self._stream.read(wanted)
            if self._recording:
                self._buffer.extend(data)
                self._offset += len(data)
            target[:len(data)] = data
            return len(data)
        chunk = self._buffer[self._offset:self._offset + wanted]
        self._offset += len(chunk)
        target[:len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = bytes(self._buffer[self._offset:]) + self._stream.read()
            self._offset = len(self._buffer)
            return rest
        return super().read(size)
