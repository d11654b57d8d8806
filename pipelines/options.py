"""Pipeline options for paxshare, usable from ``paxshare run`` or any Beam launcher."""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions


class PaxshareOptions(PipelineOptions):
    """What to read, where to write, and which optional stages to run.

    Nothing here is ``required=True``: Beam registers every options class globally and each view
    re-parses all of them, so a required flag would break every other pipeline in the process.
    ``check`` enforces what paxshare needs instead.
    """

    def check(self) -> None:
        """Raise a clear error when a mandatory option is missing."""
        missing = [flag for flag, value in (("--input", self.input), ("--output", self.output)) if not value]
        if missing:
            raise ValueError(f"paxshare pipeline needs {' and '.join(missing)}")

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--input", action="append", default=None,
                            help="Avro file, folder or glob of API/PNR manifests; repeat for several. "
                                 "Any Beam filesystem (local, gs://, s3://, hdfs://).")
        parser.add_argument("--output", default=None, help="folder for valid records, dead letters and the report")
        parser.add_argument("--run_id", default=None, help="id stamped on every output; default: derived from inputs")
        parser.add_argument("--watchlists", action="append", default=[],
                            help="watchlist files (Avro or CSV) to screen travellers against; repeatable")
        parser.add_argument("--screening_settings", default=None, help="screening settings file (thresholds)")
        parser.add_argument("--cleared_travellers", default=None, help="cleared-traveller (redress) list file")
        parser.add_argument("--rules", default=None, help="rules folder with sharing arrangements; enables sharing")
        parser.add_argument("--keys", default=None, help="folder with partner/unit public keys and the signing key")
        parser.add_argument("--units", default=None, help="JPAU units config; default: the packaged copy of rules/jpau_units.yaml "
                                 "(not the one in --rules)")
        parser.add_argument("--quiet", action="store_true", default=False,
                            help="no progress lines (one per file read) on standard error")


class StreamOptions(PipelineOptions):
    """What ``paxshare stream`` reads and how it keeps time (see docs/streaming.md)."""

    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--landing", default=None, help="landing folder watched for new files (any Beam filesystem)")
        parser.add_argument("--landing_once", action="store_true", default=False,
                            help="read the files in the landing folder now and stop (catch-up, tests)")
        parser.add_argument("--poll_seconds", type=float, default=1.0, help="how often the landing folder is matched")
        parser.add_argument("--kafka_bootstrap", default=None, help="Kafka bootstrap servers, HOST:PORT[,...]")
        parser.add_argument("--api_topic", default=None, help="Kafka topic of API messages")
        parser.add_argument("--pnr_topic", default=None, help="Kafka topic of PNR messages")
        parser.add_argument("--edifact_topic", default=None, help="Kafka topic of raw UN/EDIFACT interchanges")
        parser.add_argument("--kafka_stop_at_end", action="store_true", default=False,
                            help="read what the Kafka topics hold at start, then finish (tests, backfills)")
        parser.add_argument("--expansion_service", default=None,
                            help="HOST:PORT of the Java expansion service for Kafka (default: Beam's own)")
        parser.add_argument("--flags_topic_prefix", default=None,
                            help="also publish each sealed flag to the Kafka topic <prefix><unit id>")
        parser.add_argument("--batch_seconds", type=float, default=1.0,
                            help="records are validated in batches gathered over this long (default 1; 0: each bundle "
                                 "alone)")
        parser.add_argument("--window_seconds", type=int, default=60,
                            help="window of partner files, audit segments and report snapshots (default 60)")
        parser.add_argument("--close_grace_minutes", type=float, default=120.0,
                            help="a flight closes this long after its scheduled departure (default 120)")
        parser.add_argument("--retention_hours", type=float, default=72.0,
                            help="per-flight state is kept this long after the flight closes (default 72)")
