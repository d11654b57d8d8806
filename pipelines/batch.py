"""The batch pipeline: Avro files in, one run report out, the shared definition in between.

    read Avro files -> [pipelines.pipeline.compose: validate -> screen -> flag -> share]
                    -> run report (counts per input file and per stage; timing)

``build_pipeline`` only composes transforms, so the same graph runs on the DirectRunner, on
Flink/Spark through the portable runner, or on Dataflow. ``launch`` is what ``paxshare run``
calls (the command line is parsed in :mod:`pipelines.cli`): it clears the previous outputs in the
output folder and runs; ``run(argv)`` is the plain Beam entry point.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Iterable

import apache_beam as beam
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

from pipelines import storage
from pipelines.io.transforms import DEAD_LETTER, FILE_STATS, ReadManifestFiles
from pipelines.options import PaxshareOptions
from pipelines.pipeline import compose, default_run_id, expand_watchlists  # noqa: F401 (re-exported)
from pipelines.report import build_report, stages_not_run, timing
from pipelines.validation.transforms import merge_counts

#: Output sub-folders a run owns (and replaces on re-run).
#: (Flag and partner files have stable per-run names and are replaced in place; the audit chain is
#: append-only and never cleared.)
OUTPUT_FOLDERS = ("valid/api_travellers", "valid/pnr", "dead_letter", "matches", "report")
REPORT_FILE = "report/run_report.json"


class InputError(ValueError):
    """An input names no file: the message says which."""


class RefusedMode(ValueError):
    """A runner mode paxshare will not run in: the message says why and what to use."""


def check_inputs(inputs: Iterable[str]) -> None:
    """Every input (file, folder or glob) must match at least one file; otherwise an error naming
    each one that does not (a mistyped path among several would silently shrink the run)."""
    missing = []
    for item, pattern in zip(inputs, expand_inputs(inputs)):
        if not storage.match(pattern):  # an unreachable or malformed location matches nothing
            folder = pattern != item
            missing.append(f"{item}: " + ("folder holds no .avro file" if folder else "no such file (or nothing matches)"))
    if missing:
        raise InputError("input matches no file: " + "; ".join(missing))


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


def build_pipeline(pipeline: beam.Pipeline, options: PaxshareOptions, started: float | None = None) -> dict:
    """Adds every stage to ``pipeline``; returns the main PCollections by name (for tests).
    ``started`` (epoch seconds, default now): when the run began, for the report's timing."""
    options.check()
    run_id = options.run_id or default_run_id(options.input)
    read = pipeline | "ReadManifests" >> ReadManifestFiles(expand_inputs(options.input), run_id,
                                                           progress=not options.quiet)
    composed = compose(read.records, options, run_id, extra_dead_letters=[read[DEAD_LETTER]])
    stage_counts = composed.stage_counts or (pipeline | "NoStageCounts" >> beam.Create([]))
    _write_report(pipeline, read[FILE_STATS], composed.counts, composed.reason_codes, stage_counts,
                  options.input, run_id, f"{options.output.rstrip('/')}/{REPORT_FILE}",
                  time.time() if started is None else started)
    return composed.as_dict()


def _write_report(pipeline, file_stats, counts, reason_codes, stage_counts, inputs, run_id, path,
                  started: float) -> None:
    """One report per run, written once by the pipeline's last step, timing included."""
    from apache_beam.pvalue import AsList, AsSingleton

    per_file = counts | "CountsPerFile" >> beam.CombinePerKey(merge_counts)
    file_problems = file_stats | "FileProblemCodes" >> beam.FlatMap(
        lambda item: [{item[1]["problem_code"]: 1}] if item[1]["problem_code"] else [])
    reasons = ((reason_codes, file_problems) | "AllReasonCodes" >> beam.Flatten()
               | "MergeReasonCodes" >> beam.CombineGlobally(merge_counts))

    def write(_, stats, file_counts, reason_totals, stages):
        report = build_report(run_id, list(inputs), stats, file_counts, reason_totals, dict(stages))
        report["timing"] = timing(started, time.time(), report["totals"]["persons_in"])
        storage.write_text(path, json.dumps(report, indent=2, sort_keys=True))
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
    """Name the local runner unless one was chosen: Beam's default first tries to download Prism.
    Refuse the DirectRunner's ``multi_threading`` mode, which loses records (below)."""
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = "DirectRunner"
    refuse_record_losing_modes(options)


def refuse_record_losing_modes(options: PipelineOptions) -> None:
    """Beam 2.77's DirectRunner in ``multi_threading`` mode lost a run of consecutive records
    between reading and validation in 8 of 13 batch runs of 20,000 travellers (README, "Batch
    throughput"): the report said NOT RECONCILED every time, but a run that will likely fail its
    reconciliation is not one to start. The other modes never lost a record."""
    runner = str(options.view_as(StandardOptions).runner or "")
    if runner.rsplit(".", 1)[-1] in ("DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner") \
            and options.view_as(DirectOptions).direct_running_mode == "multi_threading":
        raise RefusedMode("--direct_running_mode=multi_threading loses records on Beam's DirectRunner (see the README, "
                         "'Batch throughput'); use multi_processing (with --direct_num_workers=N) or in_memory")


def stage_timing(result) -> dict:
    """Where a run's time went, from the runner's own metrics when it reports them (the local
    runners do): ``worker_seconds_by_stage``, the execution time the SDK workers spent in each
    top-level step (ReadManifests, ValidateRecords, ScreenTravellers, ...; summed over workers, so
    it can exceed the wall time), ``index_build_seconds``, the longest watchlist index build of
    a worker (the one-off cost before the first traveller is screened), and ``index_builds``, how
    many builds there were. Empty when the runner
    reports neither."""
    from apache_beam.metrics import monitoring_infos

    timing: dict = {}
    try:
        queried = result.monitoring_metrics().query()
    except (AttributeError, NotImplementedError):  # a runner without monitoring metrics
        return timing
    by_stage: dict[str, float] = {}
    for counter in queried.get("counters", ()):
        if counter.key.metric.name == monitoring_infos.TOTAL_MSECS_URN.split(":", 1)[1] and counter.key.step:
            stage = counter.key.step.split("/", 1)[0]
            by_stage[stage] = by_stage.get(stage, 0.0) + (counter.committed or 0) / 1000
    if by_stage:
        timing["worker_seconds_by_stage"] = {stage: round(seconds, 1) for stage, seconds in
                                             sorted(by_stage.items(), key=lambda item: -item[1]) if seconds >= 0.05}
    from pipelines.screening.transforms import INDEX_BUILD_MSECS, NAMESPACE

    builds, longest = 0, 0
    for distribution in queried.get("distributions", ()):  # one per step that screens
        if (distribution.key.metric.namespace, distribution.key.metric.name) == (NAMESPACE, INDEX_BUILD_MSECS):
            built = distribution.committed
            if built is not None and built.count:
                builds, longest = builds + built.count, max(longest, built.max)
    if builds:
        timing["index_build_seconds"] = round(longest / 1000, 1)
        timing["index_builds"] = builds  # one per worker process is expected
    return timing


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
            for path in storage.match(pattern + "/**"):
                storage.delete(path)
                removed += 1
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
        path = private_dir(os.path.join(output, folder))
        os.chmod(path, 0o700)  # also when it existed before: it holds personal data


def clear_previous_outputs(output: str) -> int:
    """Delete the files a previous run wrote in the folders this run owns; returns how many."""
    removed = 0
    for folder in OUTPUT_FOLDERS:
        for path in storage.match(f"{output.rstrip('/')}/{folder}/*"):
            storage.delete(path)
            removed += 1
    return removed


# -- paxshare run (arguments parsed in pipelines.cli) ------------------------------------------------

def launch(options: PipelineOptions) -> dict:
    """Clear the previous run's outputs, run the batch pipeline, return its report."""
    paxshare = options.view_as(PaxshareOptions)
    paxshare.check()
    with_defaults(options)
    check_inputs(paxshare.input)
    prepare_output(paxshare.output)
    stale = remove_staging(paxshare.output)
    if stale and not paxshare.quiet:
        print(f"[paxshare] removed {stale} staged files a killed run left in {paxshare.output}", file=sys.stderr)
    removed = clear_previous_outputs(paxshare.output)
    if removed and not paxshare.quiet:
        print(f"[paxshare] replaced {removed} files of the previous run in {paxshare.output}", file=sys.stderr)
    started = time.time()
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, paxshare, started=started)
    try:
        result = pipeline.run()
        result.wait_until_finish()
    finally:
        remove_staging(paxshare.output)
    report_path = f"{paxshare.output.rstrip('/')}/{REPORT_FILE}"
    report = json.loads(storage.read_text(report_path))
    report["timing"].update(stage_timing(result))
    report["not_run"] = stages_not_run(paxshare.watchlists, paxshare.keys, paxshare.rules)
    checkpoint = _audit_checkpoint(paxshare.output) if paxshare.rules else None
    if checkpoint is not None:  # the run's signed anchor, for the operator to keep
        report["audit"] = {"checkpoint": checkpoint.as_dict(), "segment": checkpoint.segment,
                           "head": checkpoint.head, "entries": checkpoint.count}
    storage.write_text(report_path, json.dumps(report, indent=2, sort_keys=True))
    return report


if __name__ == "__main__":
    logging.getLogger().setLevel(logging.INFO)
    run()
