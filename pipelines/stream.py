"""The streaming pipeline: messages as they arrive, per flight, flags in seconds.

    landing folder / Kafka topics -> decode (Avro single object, EDIFACT, Avro files)
      -> per flight (state + timers): resend dedupe, BGM change/cancel/close-out, close at
         departure + grace, late output, state cleared after retention
      -> fixed windows -> [pipelines.pipeline.compose: validate -> screen -> flag -> share]
         flags sealed one by one as soon as screened (files, and a Kafka topic per unit);
         partner files and the audit segment once per window
      -> per-window report snapshots (report/window-<start>-p<pane>.json) and Beam metrics

``build_stream_pipeline`` only composes transforms: the intake transforms of
:mod:`pipelines.io.stream_transforms` and the one pipeline definition shared with batch. ``launch``
is what ``paxshare stream`` calls (the command line is parsed in :mod:`pipelines.cli`).

Runners: the live landing folder needs a runner that runs Beam's unbounded sources; the Python
DirectRunner does not (its continuous file match misses files written after start), so
``paxshare stream`` runs on the Prism runner by default (a local Go binary, see the Makefile's
``prism`` target) and on Flink or Dataflow on a cluster. TestStream tests run on the DirectRunner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms import trigger, window

from pipelines import storage
from pipelines.io import stream_transforms as intake
from pipelines.io.transforms import WriteDeadLetters
from pipelines.options import PaxshareOptions, StreamOptions
from pipelines.pipeline import Sinks, compose
from pipelines.report import window_snapshot
from pipelines.validation.transforms import merge_counts

REPORT_FOLDER = "report"


def stream_run_id(options: PaxshareOptions, stream: StreamOptions) -> str:
    """Same sources, same id, so a restarted stream writes the same flag and partner file names."""
    if options.run_id:
        return options.run_id
    sources = [stream.landing or "", stream.kafka_bootstrap or "", stream.api_topic or "", stream.pnr_topic or "",
               stream.edifact_topic or ""]
    return "stream-" + hashlib.sha256("\n".join(sources).encode()).hexdigest()[:12]


def read_sources(pipeline: beam.Pipeline, stream: StreamOptions):
    """(source, body bytes) messages from every configured source, timestamped by arrival."""
    parts = []
    if stream.landing:
        parts.append(pipeline | "ReadLandingFolder" >> intake.ReadLandingFolder(
            stream.landing, interval=stream.poll_seconds, once=stream.landing_once))
    topics = [t for t in (stream.api_topic, stream.pnr_topic, stream.edifact_topic) if t]
    if stream.kafka_bootstrap:
        if not topics:
            raise ValueError("--kafka-bootstrap needs at least one of --api-topic, --pnr-topic, --edifact-topic")
        parts.append(pipeline | "ReadKafka" >> intake.ReadKafkaMessages(
            stream.kafka_bootstrap, topics, stream.expansion_service, stop_at_end=stream.kafka_stop_at_end))
    if not parts:
        raise ValueError("paxshare stream needs a source: --landing DIR and/or --kafka-bootstrap HOST:PORT with topics")
    return parts[0] if len(parts) == 1 else tuple(parts) | "AllSources" >> beam.Flatten()


def windowed(stream: StreamOptions, label: str, accumulating: bool = False):
    """Fixed windows; a late element (behind the watermark) fires its window again rather than
    being dropped, for as long as a flight's state is kept. ``accumulating`` (the report
    snapshots): each firing holds the whole window so far, and a window also fires every
    ``window_seconds`` of processing time before it closes, so an operator sees counts while a
    window is still open."""
    early = trigger.AfterProcessingTime(stream.window_seconds) if accumulating else None
    return label >> beam.WindowInto(
        window.FixedWindows(stream.window_seconds),
        trigger=trigger.AfterWatermark(early=early, late=trigger.AfterCount(1)),
        accumulation_mode=(trigger.AccumulationMode.ACCUMULATING if accumulating
                           else trigger.AccumulationMode.DISCARDING),
        allowed_lateness=int((stream.retention_hours + stream.close_grace_minutes / 60) * 3600) + 14 * 3600)


def build_stream_pipeline(pipeline: beam.Pipeline, options: PipelineOptions, messages=None) -> dict:
    """Adds every stage; ``messages`` (for tests: a TestStream of (source, bytes)) replaces the
    configured sources. Returns the main PCollections by name."""
    paxshare, stream = options.view_as(PaxshareOptions), options.view_as(StreamOptions)
    if not paxshare.output:
        raise ValueError("paxshare stream needs --output")
    run_id = stream_run_id(paxshare, stream)
    output = paxshare.output.rstrip("/")
    if messages is None:
        messages = read_sources(pipeline, stream)
    decoded = messages | "DecodeMessages" >> beam.ParDo(intake.DecodeMessages(run_id)).with_outputs(
        intake.DEAD_LETTER, intake.COUNTS, main="records")
    tracked = decoded.records | "PerFlightState" >> intake.ApplyFlightState(
        run_id, dt.timedelta(minutes=stream.close_grace_minutes), dt.timedelta(hours=stream.retention_hours))
    records = tracked.records | windowed(stream, "Windows")
    if stream.batch_seconds > 0:
        records = records | "GatherForValidation" >> intake.GatherForValidation(stream.batch_seconds)
    decode_letters = decoded[intake.DEAD_LETTER] | windowed(stream, "WindowDecodeDeadLetters")
    composed = compose(records, paxshare, run_id, extra_dead_letters=[decode_letters],
                       sinks=Sinks(flags_immediately=True, window_files=True, dedupe=False,
                                   # a PNR waits for its flags, a withdrawal for what was flagged and
                                   # shared of its traveller, as long as its flight's state lives
                                   flag_hold_seconds=stream.retention_hours * 3600 + stream.close_grace_minutes * 60),
                       withdrawals=tracked[intake.WITHDRAWN])

    late = tracked[intake.LATE] | windowed(stream, "WindowLate")
    late | "WriteLate" >> WriteDeadLetters(f"{output}/late")
    withdrawn = tracked[intake.WITHDRAWN] | windowed(stream, "WindowWithdrawn")
    withdrawn | "WriteWithdrawals" >> WriteJsonLines(f"{output}/withdrawn", "withdrawn")

    intake_counts = ((decoded[intake.COUNTS], tracked[intake.COUNTS]) | "IntakeCounts" >> beam.Flatten()
                     | windowed(stream, "WindowIntakeCounts"))
    validation_counts = composed.counts | "ValidationCounts" >> beam.Map(lambda item: ("validation", item[1]))
    reasons = composed.reason_codes | "RejectionReasons" >> beam.Map(lambda counts: ("rejection_reasons", counts))
    parts = (intake_counts, validation_counts, reasons) + ((composed.stage_counts,) if composed.stage_counts else ())
    snapshots = (parts
                 | "AllWindowCounts" >> beam.Flatten()
                 | windowed(stream, "SnapshotWindows", accumulating=True)
                 | "MergeWindowCounts" >> beam.CombinePerKey(merge_counts)
                 | "OneSnapshot" >> beam.combiners.ToDict().without_defaults()
                 | "WriteSnapshot" >> beam.ParDo(_WriteSnapshot(f"{output}/{REPORT_FOLDER}", run_id)))

    if stream.kafka_bootstrap and stream.flags_topic_prefix and "flags" in composed.extra:
        _flags_to_kafka(composed, paxshare, stream)
    return {**composed.as_dict(), "late": late, "withdrawn": withdrawn, "snapshots": snapshots,
            "dead_letters": composed.dead_letters}


def _flags_to_kafka(composed, paxshare: PaxshareOptions, stream: StreamOptions) -> None:
    """Each sealed flag file also to the Kafka topic ``<prefix><unit id>``, keyed by its file name."""
    from pipelines.flags import routing

    for unit_id in routing.load_units(paxshare.units).unit_ids:
        (composed.extra["flag_files"]
         | f"FlagsOf {unit_id}" >> beam.Filter(lambda item, unit=unit_id: item[0] == unit)
         | f"KeyValue {unit_id}" >> beam.Map(lambda item: (item[1].encode(), item[2])).with_output_types(tuple[bytes, bytes])
         | f"ToKafka {unit_id}" >> intake.WriteKafkaMessages(stream.kafka_bootstrap, stream.flags_topic_prefix + unit_id,
                                                             stream.expansion_service))


class _WriteSnapshot(beam.DoFn):
    """One report snapshot per window pane: the window's counts so far and whether they reconcile
    (a later pane, fired by late messages, holds the whole window again; the last is complete)."""

    def __init__(self, folder: str, run_id: str):
        self._folder, self._run_id = folder, run_id

    def process(self, counts, win=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        snapshot = window_snapshot(self._run_id, win.start.to_utc_datetime(), win.end.to_utc_datetime(),
                                   pane.index if pane else 0, counts)
        start = win.start.to_utc_datetime().strftime("%Y%m%dT%H%M%SZ")
        path = f"{self._folder}/window-{start}-p{snapshot['pane']}.json"
        storage.write_text(path, json.dumps(snapshot, indent=2, sort_keys=True))
        yield snapshot


class WriteJsonLines(beam.PTransform):
    """Dicts as JSON lines, one file set per window."""

    def __init__(self, folder: str, prefix: str):
        super().__init__()
        self._folder, self._prefix = folder, prefix

    def expand(self, records):
        from apache_beam.io import fileio

        return (records
                | "AsJson" >> beam.Map(lambda r: json.dumps(r, sort_keys=True))
                | "WriteFiles" >> fileio.WriteToFiles(
                    path=self._folder, sink=lambda _: fileio.TextSink(),
                    file_naming=fileio.default_file_naming(self._prefix, ".jsonl")))


# -- paxshare stream (arguments parsed in pipelines.cli) ------------------------------------------

#: Prism (2.77) splits a slow bundle and reschedules the unprocessed rest at once; for a stateful
#: stage it frees the keys of that rest even when the part still running holds elements of the
#: same key (engine ``stageState.splitBundle``), so a flight's later messages ran in a second
#: bundle against state the first had not committed yet, and its state was lost (a close-out's
#: outputs never came, a few per 24,000 under load). Without dynamic splits a key stays in one
#: bundle at a time. The option only names an experiment: other runners ignore it, and the
#: job server behind a PortableRunner endpoint may be Prism.
PRISM_EXPERIMENTS = ("prism_disable_sdf_split",)


def with_stream_defaults(options: PipelineOptions) -> None:
    """Streaming mode; the Prism runner (with a local prism binary) unless a runner was chosen."""
    from apache_beam.options.pipeline_options import DebugOptions

    standard = options.view_as(StandardOptions)
    standard.streaming = True
    debug = options.view_as(DebugOptions)
    for experiment in PRISM_EXPERIMENTS:
        if not debug.lookup_experiment(experiment):
            debug.add_experiment(experiment)
    if not standard.runner:
        standard.runner = "PrismRunner"
    if standard.runner in ("PrismRunner", "prism"):
        from apache_beam.options.pipeline_options import PortableOptions, PrismRunnerOptions

        prism = options.view_as(PrismRunnerOptions)
        if not prism.prism_location:
            found = local_prism()
            if found is None:
                raise FileNotFoundError(
                    "no prism binary: run 'tools/cluster/install.sh prism' (builds Beam's Prism runner with Go) or pass "
                    "--prism_location=PATH, or choose another runner (-- --runner=...)")
            prism.prism_location = found
        # Beam keeps one Prism job server per process, made with the options of whichever pipeline
        # asked first: a DirectRunner pipeline earlier in the process (it tries Prism before its own
        # engines) leaves one without our binary, which then tries to download one. Start our own.
        if not debug.lookup_experiment("disable_prism_server_singleton"):
            debug.add_experiment("disable_prism_server_singleton")
        portable = options.view_as(PortableOptions)
        if not portable.environment_type:
            portable.environment_type = "LOOPBACK"


def local_prism() -> str | None:
    """A prism binary built by ``tools/cluster/install.sh prism`` (``.cluster/bin/prism`` in the
    checkout or the working folder), one beside this Python, or one on the PATH."""
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (os.path.join(checkout, ".cluster", "bin", "prism"), os.path.join(".cluster", "bin", "prism"),
                      os.path.join(os.path.dirname(sys.executable), "prism")):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    return shutil.which("prism")


def _stop_on_sigterm() -> None:
    """SIGTERM (a service manager, a container stop) stops the stream like Ctrl-C: the job is
    cancelled and the local runner process it started is shut down, not orphaned."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        def interrupt(_signum, _frame):
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, interrupt)


def launch(options: PipelineOptions, duration: float | None = None) -> int:
    """Run the stream until interrupted (or for ``duration`` seconds); returns an exit status."""
    paxshare = options.view_as(PaxshareOptions)
    with_stream_defaults(options)
    if "://" not in paxshare.output:  # owner-only, whatever the umask: it holds personal data
        from pipelines.sharing.audit import private_dir

        for folder in ("", "flags", "partners", "audit", REPORT_FOLDER, "late", "withdrawn"):
            private_dir(os.path.join(paxshare.output, folder))
    pipeline = beam.Pipeline(options=options)
    build_stream_pipeline(pipeline, options)
    result = pipeline.run()
    output = paxshare.output.rstrip("/")
    if not paxshare.quiet:
        print(f"[paxshare] streaming: flags in {output}/flags/<unit>/ as they are raised, partner files and "
              f"audit per window, report snapshots in {output}/{REPORT_FOLDER}/; Ctrl-C stops", file=sys.stderr)
    started = time.time()
    _stop_on_sigterm()
    try:
        if duration:
            # polled rather than wait_until_finish(duration=...), which on the PortableRunner
            # ends in a DEADLINE_EXCEEDED error instead of returning
            while not PipelineState.is_terminal(result.state) and time.time() - started < duration:
                time.sleep(1)
        else:
            result.wait_until_finish()
    except KeyboardInterrupt:
        pass
    finally:
        if result.state not in ("DONE", "FAILED", "CANCELLED"):
            try:
                result.cancel()
            except Exception:  # noqa: BLE001 - a runner that cannot cancel has stopped anyway
                pass
    if not paxshare.quiet:
        print(f"[paxshare] stream stopped after {time.time() - started:.0f} s ({result.state})", file=sys.stderr)
    return 1 if str(result.state) == "FAILED" else 0
