"""Beam transforms for paxshare's Avro input and output.

``ReadManifestFiles`` reads API and PNR Avro files through :mod:`pipelines.storage` (local
paths, and GCS, S3, HDFS through Beam's FileSystems alike); problems with a file become dead
letters and the other files go on.
``WriteAvroByDate`` writes records partitioned by flight date; partitions are a file-name prefix
(``flight_date=2026-11-23-00000-of-00002.avro``) rather than sub-folders because Beam's file
finalisation renames into one folder and, on a local filesystem, silently skips a rename into a
folder that does not exist.
"""

from __future__ import annotations

import sys
from typing import Callable, Iterable

import apache_beam as beam
import fastavro
from apache_beam.io import fileio
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow

from pipelines import reasons, schemas, storage
from pipelines.io.avro_files import FileProblem, file_problem_dead_letter, read_records  # noqa: F401

DEAD_LETTER = reasons.DEAD_LETTER
FILE_STATS = "file_stats"


class _ReadAvroFile(beam.DoFn):
    """Decodes one matched file; emits DecodedRecords, dead letters for file problems, and the
    file's status for the run report."""

    def __init__(self, run_id: str, progress: bool = True):
        self._run_id = run_id
        self._progress = progress
        self._records = Metrics.counter("paxshare.read", "records_decoded")
        self._bad_files = Metrics.counter("paxshare.read", "files_rejected")

    def process(self, metadata):
        path = metadata.path
        decoded = 0
        problem = None
        reopened = []

        def reopen():
            reopened.append(storage.open_binary(path))
            return reopened[-1]

        try:
            with storage.open_binary(path) as stream:
                for item in read_records(stream, path, reopen=reopen):
                    if isinstance(item, FileProblem):
                        problem = item
                    else:
                        decoded += 1
                        yield item
        except OSError as error:
            problem = FileProblem(path, "UNREADABLE", f"{path}: cannot be read ({error})", decoded)
        finally:
            for handle in reopened:
                handle.close()
        self._records.inc(decoded)
        if problem is not None:
            self._bad_files.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, file_problem_dead_letter(problem, self._run_id))
        status = "ok" if problem is None else ("partly_read" if decoded else "rejected")
        if self._progress:
            print(f"[paxshare] read {path}: {decoded:,} records, {status}"
                  + (f" ({problem.code})" if problem else ""), file=sys.stderr, flush=True)
        yield beam.pvalue.TaggedOutput(FILE_STATS, (path, {
            "records_decoded": decoded, "status": status, "problem": problem.message if problem else None,
            "problem_code": problem.code if problem else None,
        }))


class ReadManifestFiles(beam.PTransform):
    """File patterns -> DecodedRecords, plus ``dead_letter`` and ``file_stats`` outputs.

    Usage::

        read = p | ReadManifestFiles(["gs://bucket/api/*.avro"], run_id)
        read.records, read.dead_letter, read.file_stats

    ``progress``: print one line per file read to standard error.
    """

    def __init__(self, patterns: Iterable[str], run_id: str, progress: bool = True):
        super().__init__()
        self._patterns = list(patterns)
        self._run_id = run_id
        self._progress = progress

    def expand(self, pbegin):
        outputs = (
            pbegin
            | "Patterns" >> beam.Create(self._patterns)
            | "Match" >> fileio.MatchAll(empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW)
            # a file named twice (the same path given again, a folder and a glob that overlap) is
            # read once; the GroupByKey also spreads the files over workers, as a Reshuffle would
            | "ByPath" >> beam.Map(lambda metadata: (metadata.path, metadata))
            | "SpreadFilesOncePerPath" >> beam.GroupByKey()
            | "OncePerPath" >> beam.Map(lambda item: next(iter(item[1])))
            | "Decode" >> beam.ParDo(_ReadAvroFile(self._run_id, self._progress)).with_outputs(DEAD_LETTER, FILE_STATS, main="records")
        )
        return outputs


class AvroSink(fileio.FileSink):
    """fileio sink writing one Avro container per file with paxshare's schema metadata."""

    def __init__(self, schema_name: str, codec: str = "deflate"):
        self._schema_name = schema_name
        self._codec = codec
        self._writer = None

    def open(self, fh):
        self._writer = fastavro.write.Writer(fh, schemas.load(self._schema_name), codec=self._codec,
                                             metadata=schemas.file_metadata(self._schema_name))

    def write(self, record):
        self._writer.write(record)

    def flush(self):
        self._writer.flush()


def _partition_naming(prefix: str) -> Callable:
    def name(window, pane, shard_index, total_shards, compression, destination):
        if isinstance(window, GlobalWindow):
            return f"{prefix}={destination}-{shard_index:05d}-of-{total_shards:05d}.avro"
        # a stream writes once per window (and per late pane): those files must not replace each other
        start = window.start.to_utc_datetime().strftime("%Y%m%dT%H%M%SZ")
        pane_index = pane.index if pane is not None else 0
        return f"{prefix}={destination}-w{start}-p{pane_index}-{shard_index:05d}-of-{total_shards:05d}.avro"
    return name


class WriteAvroByDate(beam.PTransform):
    """Writes records of ``schema_name`` into ``folder``, one group of files per partition key."""

    def __init__(self, folder: str, schema_name: str, partition_of: Callable[[dict], str],
                 prefix: str = "flight_date"):
        super().__init__()
        self._folder = folder
        self._schema_name = schema_name
        self._partition_of = partition_of
        self._prefix = prefix

    def expand(self, records):
        return records | "WriteFiles" >> fileio.WriteToFiles(
            path=self._folder,
            destination=self._partition_of,
            sink=lambda destination: AvroSink(self._schema_name),
            file_naming=_partition_naming(self._prefix),
        )


class WriteDeadLetters(beam.PTransform):
    """Writes dead-letter records as Avro into ``folder``."""

    def __init__(self, folder: str):
        super().__init__()
        self._folder = folder

    def expand(self, dead_letters):
        return dead_letters | "WriteFiles" >> fileio.WriteToFiles(
            path=self._folder,
            sink=lambda destination: AvroSink("dead_letter"),
            file_naming=fileio.default_file_naming("dead_letters", ".avro"),
        )
