"""The ``paxshare`` command.

Each subcommand lives in the module of its area, which exposes ``add_arguments(parser)`` and
``main(args) -> int``. Only the chosen subcommand's module is imported, so ``paxshare --help`` and
light commands start fast and do not pay for Beam or great-expectations.

The pipeline commands (``run``, ``stream``) are parsed here: ``parse_known_args`` keeps paxshare's
own arguments and passes everything else (``--runner=...``, or anything after ``--``) to Beam's
``PipelineOptions`` untouched; paxshare's values are set on the :class:`PaxshareOptions` view of
those options, so they reach any runner with the rest of the options.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from pipelines import runlog

#: subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("pipelines.generate.cli", "write synthetic API/PNR manifests (and watchlists) with planted truth"),
    "run": ("pipelines.cli", "run the pipeline: read, validate, screen, share, flag"),
    "stream": ("pipelines.cli", "run the pipeline continuously on a landing folder or Kafka topics"),
    "replay": ("pipelines.replay", "publish messages to a landing folder or Kafka, in time order, at a rate"),
    "convert": ("pipelines.io.edifact.cli", "convert UN/EDIFACT PAXLST/PNRGOV to Avro manifests"),
    "screen": ("pipelines.screening.cli", "match travellers against watchlists, one JSON line per candidate"),
    "rules": ("pipelines.sharing.cli_rules", "check the sharing arrangements in a rules directory"),
    "audit": ("pipelines.sharing.cli_audit", "verify the hash-chained sharing audit log"),
    "retention": ("pipelines.sharing.cli_retention", "apply depersonalisation and retention schedules to stored outputs"),
    "receive": ("pipelines.sharing.cli_receive", "partners: verify, open and acknowledge received partner files"),
    "keys": ("pipelines.flags.cli_keys", "create, list and rotate unit and signing keys"),
    "review": ("pipelines.review.cli", "JPAU analysts: list, open and dispose of risk flags (CLI or web)"),
}


#: paxshare run's arguments -> PaxshareOptions fields (the rest are Beam's)
_STAGE_ARGUMENTS = ("output", "run_id", "watchlists", "rules", "keys", "units", "cleared_travellers",
                    "screening_settings", "quiet")


def add_stage_arguments(parser: argparse.ArgumentParser) -> None:
    """Where outputs go and which stages run: shared by ``paxshare run`` and ``paxshare stream``."""
    parser.add_argument("--output", default="out", help="output folder (default: out)")
    parser.add_argument("--run-id", help="run id (default: derived from the inputs, so re-runs replace)")
    parser.add_argument("--watchlists", action="append", default=[], help="watchlist files to screen against")
    parser.add_argument("--rules", help="sharing rules folder (enables sharing)")
    parser.add_argument("--keys", help="keys folder (partner/unit public keys, signing key); enables flags")
    parser.add_argument("--units", help="JPAU units config (default: the packaged rules/jpau_units.yaml)")
    parser.add_argument("--cleared-travellers", help="cleared-traveller list (from 'paxshare review export-cleared')")
    parser.add_argument("--screening-settings", help="screening settings YAML (thresholds per list category)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--verbose", action="store_true",
                        help="runner and worker log lines on the terminal (default: in OUTPUT/paxshare.log)")
    parser.epilog = ("Beam options follow '--' or are given as --name=value, "
                     "e.g. -- --runner=DirectRunner --direct_num_workers=2")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``paxshare run``."""
    parser.add_argument("inputs", nargs="*", help="Avro files, folders or globs (or use --input)")
    parser.add_argument("--input", action="append", default=[], help="Avro file, folder or glob; repeatable")
    add_stage_arguments(parser)


def pipeline_options(args: argparse.Namespace, fields=_STAGE_ARGUMENTS, **values):
    """Beam's options from the arguments paxshare did not know, with paxshare's own set on them."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.options import PaxshareOptions

    options = PipelineOptions(list(args.beam_args))
    paxshare = options.view_as(PaxshareOptions)
    for name in fields:
        value = getattr(args, name)
        if value not in (None, [], False):
            setattr(paxshare, name, value)
    for name, value in values.items():
        setattr(paxshare, name, value)
    return options


def main_run(args: argparse.Namespace) -> int:
    """``paxshare run``: the batch pipeline; prints the report's summary."""
    from pipelines import batch
    from pipelines.report import format_summary

    inputs = list(args.inputs) + list(args.input)
    if not inputs:
        print("paxshare run: give at least one input (file, folder or glob)", file=sys.stderr)
        return 2
    log = _log_for(args)
    try:
        with runlog.to_log_file(log):
            report = batch.launch(pipeline_options(args, input=inputs))
    except (batch.InputError, batch.RefusedMode) as error:
        print(f"paxshare run: {error}", file=sys.stderr)
        return 2
    except BaseException:
        if log:
            print(f"paxshare run: failed; the runner's and workers' log is in {log}", file=sys.stderr)
        raise
    print(format_summary(report))
    print(f"  outputs    {args.output}/valid, {args.output}/dead_letter; report "
          f"{args.output.rstrip('/')}/{batch.REPORT_FILE}" + (f"; log {log}" if log else ""))
    return 0 if report["reconciled"] else 3


def _log_for(args: argparse.Namespace) -> str | None:
    """Where the runner's and workers' log lines go: the output folder's log file, or with
    ``--verbose`` the terminal (and INFO from the launcher too)."""
    if args.verbose:
        logging.getLogger().setLevel(logging.INFO)
        return None
    return runlog.log_path(args.output)


#: paxshare stream's own arguments -> StreamOptions fields
_STREAM_ARGUMENTS = ("landing", "kafka_bootstrap", "api_topic", "pnr_topic", "edifact_topic", "expansion_service",
                     "flags_topic_prefix", "window_seconds", "close_grace_minutes", "retention_hours", "poll_seconds",
                     "batch_seconds")


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    """``paxshare stream``."""
    parser.add_argument("--landing", help="landing folder watched for new files (Avro or EDIFACT)")
    parser.add_argument("--kafka-bootstrap", help="Kafka bootstrap servers HOST:PORT[,...]")
    parser.add_argument("--api-topic", help="Kafka topic of API messages (Avro single-object encoding)")
    parser.add_argument("--pnr-topic", help="Kafka topic of PNR messages (Avro single-object encoding)")
    parser.add_argument("--edifact-topic", help="Kafka topic of raw UN/EDIFACT PAXLST/PNRGOV interchanges")
    parser.add_argument("--expansion-service", help="use Beam's Java KafkaIO through this expansion service "
                        "HOST:PORT (default: the Python Kafka IO on confluent-kafka)")
    parser.add_argument("--flags-topic-prefix", help="also publish each sealed flag to Kafka topic <prefix><unit id>")
    parser.add_argument("--window-seconds", type=int, help="window of partner files, audit and report (default 60)")
    parser.add_argument("--close-grace-minutes", type=float, help="close a flight this long after departure (default 120)")
    parser.add_argument("--retention-hours", type=float, help="keep a flight's state this long after it closes (default 72)")
    parser.add_argument("--poll-seconds", type=float, help="how often the landing folder is matched (default 1)")
    parser.add_argument("--batch-seconds", type=float,
                        help="gather records this long before validating them together (default 1)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    add_stage_arguments(parser)


def main_stream(args: argparse.Namespace) -> int:
    """``paxshare stream``: the streaming pipeline, until interrupted or ``--duration`` ends."""
    from pipelines import stream
    from pipelines.options import StreamOptions

    if not args.landing and not args.kafka_bootstrap:
        print("paxshare stream: give --landing DIR and/or --kafka-bootstrap HOST:PORT with topics", file=sys.stderr)
        return 2
    options = pipeline_options(args)
    own = options.view_as(StreamOptions)
    for name in _STREAM_ARGUMENTS:
        value = getattr(args, name)
        if value is not None:
            setattr(own, name, value)
    log = _log_for(args)
    try:
        with runlog.to_log_file(log):
            return stream.launch(options, duration=args.duration)
    except BaseException:
        if log:
            print(f"paxshare stream: stopped by an error; the runner's and workers' log is in {log}", file=sys.stderr)
        raise


#: commands of this module: name -> (add_arguments, main)
_OWN = {"run": (add_arguments, main_run), "stream": (add_stream_arguments, main_stream)}


def _top_level_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paxshare",
        description="Privacy-filtered API/PNR exchange between partner countries.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items())
        + "\n\n'paxshare COMMAND --help' describes one command.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = _top_level_parser()
        known, _ = parser.parse_known_args(argv)
        if known.version:
            from pipelines import __version__
            print(f"paxshare {__version__}")
            return 0
        if known.command:
            parser.error(f"unknown command {known.command!r}")
        parser.print_help()
        return 0 if not argv else 2
    name, rest = argv[0], argv[1:]
    module_name, text = COMMANDS[name]
    # Beam logs optional-dependency notices at import; set PAXSHARE_LOG=INFO to see everything.
    logging.getLogger().setLevel(os.environ.get("PAXSHARE_LOG", "ERROR").upper())
    parser = argparse.ArgumentParser(prog=f"paxshare {name}", description=text)
    beam_args: list[str] = []
    if "--" in rest:
        split = rest.index("--")
        rest, beam_args = rest[:split], rest[split + 1:]
    if name in _OWN:  # a pipeline command: what paxshare does not know is Beam's
        add, run = _OWN[name]
        add(parser)
        args, unknown = parser.parse_known_args(rest)
        args.beam_args = unknown + beam_args
        return int(run(args) or 0)
    module = importlib.import_module(module_name)
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    args.beam_args = beam_args
    return int(module.main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
