"""``paxshare convert INPUT... --out DIR``: UN/EDIFACT PAXLST/PNRGOV files to Avro manifests.

Each input gives ``DIR/api/<stem>.avro`` (one ``api_manifest`` per PAXLST message),
``DIR/pnr/<stem>.avro`` (one ``pnr`` per PNRGOV SRC group) and ``DIR/dead_letter/<stem>.avro``
(messages that could not be converted), each only when it has records; ``DIR/convert_summary.json``
counts what went where. Inputs may be files, directories (every file in them) or glob patterns;
paths with a scheme (``gs://``...) are read through :mod:`pipelines.storage` (Beam's ``FileSystems``).

Exit status: 0 when every input was read (dead letters are an expected outcome), 1 when an input
could not be read, 2 when no input was found.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

from pipelines.io.edifact.convert import ConversionResult, convert_bytes, summarise, write_result, write_summary
from pipelines import reasons, storage


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="EDIFACT files, directories or glob patterns")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--run-id", default="convert", help="run id written into dead letters (default: convert)")
    parser.add_argument("--quiet", action="store_true", help="print only the totals")


def expand_inputs(patterns: list[str]) -> list[str]:
    """Files named by the arguments, in a stable order, each once."""
    found: list[str] = []
    for pattern in patterns:
        if storage.has_scheme(pattern):
            found.extend(storage.match(pattern))
            continue
        path = Path(pattern)
        if path.is_dir():
            found.extend(sorted(str(p) for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            found.append(str(path))
        else:
            found.extend(sorted(p for p in glob.glob(pattern) if Path(p).is_file()))
    unique: list[str] = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def read_input(path: str) -> bytes:
    return storage.read_bytes(path)


def _stems(paths: list[str]) -> dict[str, str]:
    """Output stem per input; a repeated stem gets ``-2``, ``-3``... so outputs never collide."""
    stems: dict[str, str] = {}
    used: set[str] = set()
    for path in paths:
        base = Path(path.rstrip("/").rsplit("/", 1)[-1]).stem or "input"
        stem, count = base, 1
        while stem in used:
            count += 1
            stem = f"{base}-{count}"
        used.add(stem)
        stems[path] = stem
    return stems


def _unreadable(path: str, error: Exception, run_id: str) -> ConversionResult:
    letter = {
        "schema_version": 1, "run_id": run_id, "stage": "convert", "kind": "FILE", "source_file": path,
        "position": None, "line": None, "record_key": None, "flight_key": None, "person_count": 0,
        "reasons": [{"code": reasons.UNREADABLE, "field": None, "message": f"{path}: cannot be read: {error}"}],
        "raw_json": None, "raw_bytes": None,
    }
    return ConversionResult([], [], [letter], [])


def main(args: argparse.Namespace) -> int:
    paths = expand_inputs(args.inputs)
    if not paths:
        print(f"paxshare convert: no input found for {' '.join(args.inputs)}", file=sys.stderr)
        return 2
    status = 0
    entries = []
    for path, stem in _stems(paths).items():
        try:
            result = convert_bytes(read_input(path), path, args.run_id)
        except OSError as error:
            result = _unreadable(path, error, args.run_id)
            status = 1
        outputs = write_result(result, args.out, stem)
        entry = summarise(path, result, outputs)
        entries.append(entry)
        if not args.quiet:
            print(f"{path}: {entry['manifests']} manifests ({entry['persons']} persons), {entry['pnrs']} PNRs, "
                  f"{entry['dead_letters']} dead letters, {entry['all_warnings']} warnings")
            for message in entry["dead_letter_reasons"]:
                print(f"  dead letter: {message}")
            shown = [*entry["warnings"], *entry["record_warning_messages"]]
            for message in shown[:SHOWN_WARNINGS]:
                print(f"  warning: {message}")
            if len(shown) > SHOWN_WARNINGS:
                print(f"  ... {len(shown) - SHOWN_WARNINGS} more warnings in the summary (below)")
    summary_path = write_summary(args.out, entries)
    totals = json.loads(Path(summary_path).read_text(encoding="utf-8"))["totals"]
    print(f"converted {len(entries)} input(s): {totals['manifests']} manifests ({totals['persons']} persons), "
          f"{totals['pnrs']} PNRs, {totals['dead_letters']} dead letters, {totals['all_warnings']} warnings "
          f"({totals['file_warnings']} about files, {totals['record_warnings']} about records); "
          f"every warning and count in {summary_path}")
    return status


#: Warnings printed per input (all are in the summary file).
SHOWN_WARNINGS = 20
