"""The paxshare pipeline, assembled from the composite transforms of each area.

    read Avro files -> validate (schema + expectation suite) -> valid travellers and PNRs by
    flight date, dead letters, run report [-> screen -> flag -> share, when configured]

``build_pipeline`` only composes transforms, so the same graph runs on the DirectRunner, on
Flink/Spark through the portable runner, or on Dataflow. ``paxshare run`` (``main``) names the
local runner explicitly, clears the previous outputs in the output folder, times the run and
prints the report; ``run(argv)`` is the plain Beam entry point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import sys
import time
from typing import Iterable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines.flags.transforms import RaiseFlags
from pipelines.io.transforms import (DEAD_LETTER, FILE_STATS, ReadManifestFiles, WriteAvroByDate,
                                     WriteDeadLetters)
from pipelines.options import PaxshareOptions
from pipelines.report import build_report, format_summary
from pipelines.screening.transforms import ScreenTravellers
from pipelines.sharing.transforms import ShareWithPartners
from pipelines.validation.transforms import (COUNTS, PNRS, REASONS, UNVALIDATED, ValidateRecords,
                                             merge_counts)
from pipelines.validation.validator import pnr_flight_date

#: Output sub-folders a run owns (and replaces on re-run).
#: (Flag and partner files have stable per-run names and are replaced in place; the audit chain is
#: append-only and never cleared.)
OUTPUT_FOLDERS = ("valid/api_travellers", "valid/pnr", "dead_letter", "matches", "report")
REPORT_FILE = "report/run_report.json"


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """A folder becomes every ``.avro`` file below it; files and globs stay as given."""
    patterns = []
    for item in inputs:
        has_glob = any(ch in item for ch in "*?[")
        if not has_glob and (os.path.isdir(item) or (item.endswith("/") and "://" in item)):
            patterns.append(item.rstrip("/") + "/**.avro")
        else:
            patterns.append(item)
    return patterns


def default_run_id(inputs: Iterable[str]) -> str:
    """Same inputs, same id: outputs of a re-run replace rather than duplicate."""
    return "run-" + hashlib.sha256("\n".join(sorted(inputs)).encode()).hexdigest()[:12]


def build_pipeline(pipeline: beam.Pipeline, options: PaxshareOptions) -> dict:
    """Adds every stage to ``pipeline``; returns the main PCollections by name (for tests)."""
    options.check()
    run_id = options.run_id or default_run_id(options.input)
    output = options.output.rstrip("/")
    read = pipeline | "ReadManifests" >> ReadManifestFiles(expand_inputs(options.input), run_id)
    validated = read.records | "ValidateRecords" >> ValidateRecords(run_id)
    travellers, pnrs = validated.travellers, validated[PNRS]

    dead_letters = (read[DEAD_LETTER], validated[DEAD_LETTER]) | "AllDeadLetters" >> beam.Flatten()
    travellers | "WriteValidTravellers" >> WriteAvroByDate(
        f"{output}/valid/api_travellers", "api_traveller", lambda t: t["flight_date"])
    pnrs | "WriteValidPnrs" >> WriteAvroByDate(f"{output}/valid/pnr", "pnr", pnr_flight_date)
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(f"{output}/dead_letter")

    stage_counts = []  # (stage, {count: n}) from optional stages, merged into the report
    outputs = {"travellers": travellers, "pnrs": pnrs, "dead_letters": dead_letters}
    flagged_ids = None
    if options.watchlists:
        outputs["candidates"], screening_counts = _screen(travellers, validated[UNVALIDATED], options, output)
        stage_counts.append(screening_counts)
        if options.keys:
            flags = outputs["candidates"] | "RaiseFlags" >> RaiseFlags(
                options.units, options.keys, output, run_id)
            outputs["flags"] = flags["flags"]
            flagged_ids = (flags["flags"] | "FlaggedTravellerIds" >> beam.Map(lambda f: f["traveller_id"])
                           | "DistinctFlagged" >> beam.Distinct())
            stage_counts.append(flags["flags"] | "CountFlags" >> _count_by(
                "flags", lambda f: ["flags", f"unit {f['unit_id']}", f"severity {f['severity']}"]))
    if options.rules:
        if not options.keys:
            raise ValueError("sharing (--rules) needs --keys: partner outputs are sealed to partner keys")
        shared = {"api": travellers, "pnr": pnrs} | "ShareWithPartners" >> ShareWithPartners(
            options.rules, options.keys, output, run_id, flagged_traveller_ids=flagged_ids, records=False)
        stage_counts.append(shared["counts"])
    stage_counts_pc = (
        (stage_counts or [pipeline | "NoStageCounts" >> beam.Create([])])
        | "AllStageCounts" >> beam.Flatten()
        | "MergeStageCounts" >> beam.CombinePerKey(merge_counts)
    )
    _write_report(pipeline, read[FILE_STATS], validated[COUNTS], validated[REASONS], stage_counts_pc,
                  options.input, run_id, f"{output}/{REPORT_FILE}")
    return outputs


def _screen(travellers, unvalidated, options: PaxshareOptions, output: str):
    """Screen every traveller whose flight is known, valid or not; candidates go to ``matches/``
    and on to flags. A rejected person's candidate says so in its explanation."""
    from pipelines.screening.settings import load_settings

    watchlists = expand_watchlists(options.watchlists)
    settings = load_settings(options.screening_settings) if options.screening_settings else None
    # One screening pass (one watchlist index per worker) over valid and rejected travellers alike;
    # the rejected ones are recognised afterwards by id.
    reasons_by_id = unvalidated | "UnvalidatedById" >> beam.Map(lambda pair: (pair[0]["traveller_id"], pair[1]))
    rejected = unvalidated | "UnvalidatedTravellers" >> beam.Map(lambda pair: pair[0])
    candidates = (
        (travellers, rejected)
        | "AllScreenableTravellers" >> beam.Flatten()
        | "ScreenTravellers" >> ScreenTravellers(watchlists, settings=settings,
                                                 cleared_path=options.cleared_travellers)
        | "SayValidationFailed" >> beam.Map(_note_validation_failure, beam.pvalue.AsDict(reasons_by_id)))
    candidates | "WriteMatches" >> WriteAvroByDate(
        f"{output}/matches", "match_candidate", lambda c: c["flight_key"].rsplit("/", 1)[-1])
    counts = candidates | "CountCandidates" >> _count_by("screening", lambda c: [
        "candidates", "suppressed" if c["suppressed_by"] else "alerts",
        f"{c['list_id']} {c['category']}"])
    return candidates, counts


def _note_validation_failure(candidate: dict, reasons_by_id: dict) -> dict:
    """A candidate for a traveller rejected by validation says so; others pass unchanged."""
    if candidate["traveller_id"] not in reasons_by_id:
        return candidate
    reasons = "; ".join(reasons_by_id[candidate["traveller_id"]])
    return dict(candidate, explanation=candidate["explanation"]
                + f"\nNOTE: this traveller's record failed validation ({reasons}); screened anyway, not shared.")


def expand_watchlists(patterns: list[str]) -> list[str]:
    """Watchlist files named by path or glob, resolved once on the launcher (any filesystem)."""
    paths = []
    for pattern in patterns:
        matched = FileSystems.match([pattern])[0].metadata_list
        if not matched:
            raise FileNotFoundError(f"no watchlist file matches {pattern!r}")
        paths.extend(sorted(m.path for m in matched))
    return paths


class _count_by(beam.PTransform):
    """Counts elements under the keys ``keys_of(element)`` returns: (stage, {key: n})."""

    def __init__(self, stage: str, keys_of):
        super().__init__()
        self._stage, self._keys_of = stage, keys_of

    def expand(self, elements):
        stage, keys_of = self._stage, self._keys_of
        return (elements
                | "Keys" >> beam.FlatMap(keys_of)
                | "CountPerKey" >> beam.combiners.Count.PerElement()
                | "AsDict" >> beam.combiners.ToDict()
                | "Staged" >> beam.Map(lambda counts: (stage, counts)))


def _write_report(pipeline, file_stats, counts, reason_codes, stage_counts, inputs, run_id, path) -> None:
    from apache_beam.pvalue import AsList, AsSingleton

    per_file = counts | "CountsPerFile" >> beam.CombinePerKey(merge_counts)
    file_problems = file_stats | "FileProblemCodes" >> beam.FlatMap(
        lambda item: [{item[1]["problem_code"]: 1}] if item[1]["problem_code"] else [])
    reasons = ((reason_codes, file_problems) | "AllReasonCodes" >> beam.Flatten()
               | "MergeReasonCodes" >> beam.CombineGlobally(merge_counts))

    def write(_, stats, file_counts, reason_totals, stages):
        report = build_report(run_id, list(inputs), stats, file_counts, reason_totals, dict(stages))
        with FileSystems.create(path) as handle:
            handle.write(json.dumps(report, indent=2, sort_keys=True).encode())
        return report["reconciled"]

    (pipeline
     | "ReportTrigger" >> beam.Create([None])
     | "WriteReport" >> beam.Map(write, AsList(file_stats), AsList(per_file), AsSingleton(reasons),
                                 AsList(stage_counts)))


def run(argv: list[str] | None = None) -> beam.runners.runner.PipelineResult:
    """Plain Beam entry point: ``python -m pipelines.batch --input ... --output ... --runner ...``."""
    options = PipelineOptions(argv)
    with_defaults(options)
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, options.view_as(PaxshareOptions))
    result = pipeline.run()
    result.wait_until_finish()
    return result


def with_defaults(options: PipelineOptions) -> None:
    """Name the local runner unless one was chosen: Beam's default first tries to download Prism."""
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = "DirectRunner"


def _audit_checkpoint(output: str):
    """The signed checkpoint this run's audit segment ends with (for the report and the console)."""
    from pipelines.sharing.audit import latest_checkpoint
    from pipelines.sharing.transforms import audit_store

    return latest_checkpoint(audit_store(f"{output.rstrip('/')}/audit"))


def remove_staging(output: str) -> int:
    """Delete Beam's ``.temp*`` staging folders (plaintext records a killed run left, and the empty
    ones every run leaves) in the folders a run owns, and the sharing staging folder (ciphertext);
    returns how many files went. Called before a run (crash leftovers) and after it."""
    from pipelines.sharing.disclose import STAGING

    removed = 0
    patterns = [f"{output.rstrip('/')}/{folder}/.temp*" for folder in OUTPUT_FOLDERS]
    patterns.append(f"{output.rstrip('/')}/{STAGING}")
    for pattern in patterns:
        if "://" in output:
            matches = FileSystems.match([pattern + "/**"])[0].metadata_list
            if matches:
                FileSystems.delete([m.path for m in matches])
                removed += len(matches)
            continue
        import glob
        import shutil

        for folder in glob.glob(pattern):
            removed += sum(len(files) for _, _, files in os.walk(folder))
            shutil.rmtree(folder, ignore_errors=True)
    return removed


def prepare_output(output: str) -> None:
    """The output folder and the folders a run writes, created owner-only (0700) whatever the
    umask: they hold full personal data."""
    if "://" in output:
        return
    from pipelines.sharing.audit import private_dir

    for folder in ("", *OUTPUT_FOLDERS, "partners", "audit", "flags"):
        private_dir(os.path.join(output, folder))


def clear_previous_outputs(output: str) -> int:
    """Delete the files a previous run wrote in the folders this run owns; returns how many."""
    removed = 0
    for folder in OUTPUT_FOLDERS:
        matches = FileSystems.match([f"{output.rstrip('/')}/{folder}/*"])[0].metadata_list
        if matches:
            FileSystems.delete([m.path for m in matches])
            removed += len(matches)
    return removed


# -- paxshare run --------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", help="Avro files, folders or globs (or use --input)")
    parser.add_argument("--input", action="append", default=[], help="Avro file, folder or glob; repeatable")
    parser.add_argument("--output", default="out", help="output folder (default: out)")
    parser.add_argument("--run-id", help="run id (default: derived from the inputs, so re-runs replace)")
    parser.add_argument("--watchlists", action="append", default=[], help="watchlist files to screen against")
    parser.add_argument("--rules", help="sharing rules folder (enables sharing)")
    parser.add_argument("--keys", help="keys folder (partner/unit public keys, signing key); enables flags")
    parser.add_argument("--units", help="JPAU units config (default: the packaged rules/jpau_units.yaml)")
    parser.add_argument("--cleared-travellers", help="cleared-traveller list (from 'paxshare review export-cleared')")
    parser.add_argument("--screening-settings", help="screening settings YAML (thresholds per list category)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.epilog = "Beam options follow '--', e.g. -- --runner=DirectRunner --direct_num_workers=2"


def main(args: argparse.Namespace) -> int:
    inputs = list(args.inputs) + list(args.input)
    if not inputs:
        print("paxshare run: give at least one input (file, folder or glob)", file=sys.stderr)
        return 2
    argv = [f"--input={item}" for item in inputs] + [f"--output={args.output}"]
    if args.run_id:
        argv.append(f"--run_id={args.run_id}")
    argv += [f"--watchlists={w}" for w in args.watchlists]
    if args.rules:
        argv.append(f"--rules={args.rules}")
    for name in ("keys", "units", "cleared_travellers", "screening_settings"):
        if getattr(args, name):
            argv.append(f"--{name}={getattr(args, name)}")
    argv += list(getattr(args, "beam_args", []))
    if args.quiet:
        os.environ["PAXSHARE_QUIET"] = "1"
    prepare_output(args.output)
    stale = remove_staging(args.output)
    if stale and not args.quiet:
        print(f"[paxshare] removed {stale} staged files a killed run left in {args.output}", file=sys.stderr)
    removed = clear_previous_outputs(args.output)
    if removed and not args.quiet:
        print(f"[paxshare] replaced {removed} files of the previous run in {args.output}", file=sys.stderr)
    started = time.time()
    started_utc = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    try:
        run(argv)
    finally:
        remove_staging(args.output)
    seconds = time.time() - started
    report_path = f"{args.output.rstrip('/')}/{REPORT_FILE}"
    with FileSystems.open(report_path) as handle:
        report = json.loads(handle.read())
    report["timing"] = {"started_utc": started_utc, "seconds": round(seconds, 3),
                        "persons_per_second": report["totals"]["persons_in"] / seconds if seconds else 0.0}
    with FileSystems.create(report_path) as handle:
        handle.write(json.dumps(report, indent=2, sort_keys=True).encode())
    checkpoint = _audit_checkpoint(args.output) if args.rules else None
    if checkpoint is not None:
        report["audit"] = {"checkpoint": checkpoint.as_dict(), "segment": checkpoint.segment,
                           "head": checkpoint.head, "entries": checkpoint.count}
        with FileSystems.create(report_path) as handle:
            handle.write(json.dumps(report, indent=2, sort_keys=True).encode())
    summary = format_summary(report)
    print(summary)
    if checkpoint is not None:
        print(f"  audit      head {checkpoint.head} after entry {checkpoint.count}, signed by "
              f"{checkpoint.statement['signer']} ({checkpoint.segment}); keep it: "
              f"'paxshare audit verify {args.output}/audit --keys KEYS --checkpoint {report_path}'")
    print(f"  outputs    {args.output}/valid, {args.output}/dead_letter; report {report_path}")
    return 0 if report["reconciled"] else 3


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    run()
