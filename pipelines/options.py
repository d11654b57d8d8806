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
