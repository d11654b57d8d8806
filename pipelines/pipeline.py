"""The one paxshare pipeline definition, shared by ``paxshare run`` (batch) and ``paxshare stream``.

    decoded records -> drop duplicates (same content) -> validate -> valid travellers and PNRs, dead letters
        -> screen (valid and rejected travellers; a rejected one's candidate says so)
        -> flag (route, build, seal per unit)
        -> share (per arrangement, sealed per partner, audit chain)
        -> stage counts for the report

``compose`` only wires the composite transforms of each area together; it reads nothing and
decides nothing about the domain. The entry points choose the source and the sinks around it:
:mod:`pipelines.batch` reads Avro files and writes one report per run; :mod:`pipelines.stream`
reads a landing folder or Kafka, keeps per-flight state, windows, and seals flags as soon as a
traveller is screened. Both hand ``compose`` the same kind of input (``DecodedRecord`` items), so
a record gets the same ids, flags and partner records whichever way it came in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable

import apache_beam as beam

from pipelines import storage
from pipelines.flags.transforms import RaiseFlags
from pipelines.io.transforms import DEAD_LETTER, WriteAvroByDate, WriteDeadLetters
from pipelines.message_functions import names_travellers
from pipelines.options import PaxshareOptions
from pipelines.screening.transforms import ScreenTravellers
from pipelines.sharing.transforms import ShareWithPartners
from pipelines.validation.transforms import (COUNTS, PNRS, REASONS, UNVALIDATED, DropDuplicates, ValidateRecords,
                                             merge_counts)
from pipelines.validation.validator import pnr_flight_date
from pipelines.withdrawals.transforms import FlightWithdrawals


@dataclass(frozen=True)
class Sinks:
    """How the stages that write files behave; batch and streaming differ only here.

    ``flags_immediately``: seal each flag as soon as it is built (streaming: no wait for a
    window) rather than one file per unit per run. ``window_files``: partner files and audit segments are
    per window (streaming) rather than per run. ``dedupe``: drop resent records here (batch); a
    stream dedupes in its per-flight state instead, since a grouping here would hold every record
    until its window closes. ``flag_hold_seconds`` (streaming): how long a PNR waits, per locator,
    for a flag that makes it shared under the ``flagged_only`` arrangements."""

    flags_immediately: bool = False
    window_files: bool = False
    dedupe: bool = True
    flag_hold_seconds: float = 48 * 3600


@dataclass
class Composed:
    """The main PCollections of a composed pipeline, by stage."""

    travellers: beam.PCollection
    pnrs: beam.PCollection
    dead_letters: beam.PCollection
    counts: beam.PCollection          # (source_file, validation counts)
    reason_codes: beam.PCollection    # rejection reason histograms
    stage_counts: beam.PCollection | None  # (stage, {count: n}) merged per stage; None without stages
    extra: dict = field(default_factory=dict)  # candidates, flags, shared files when configured

    def as_dict(self) -> dict:
        return {"travellers": self.travellers, "pnrs": self.pnrs, "dead_letters": self.dead_letters,
                **self.extra}


def default_run_id(inputs: Iterable[str]) -> str:
    """Same inputs, same id: outputs of a re-run replace rather than duplicate."""
    return "run-" + hashlib.sha256("\n".join(sorted(inputs)).encode()).hexdigest()[:12]


def expand_watchlists(patterns: list[str]) -> list[str]:
    """Watchlist files named by path or glob, resolved once on the launcher (any filesystem)."""
    paths = []
    for pattern in patterns:
        matched = storage.match(pattern)
        if not matched:
            raise FileNotFoundError(f"no watchlist file matches {pattern!r}")
        paths.extend(matched)
    return paths


def check_stages(options: PaxshareOptions) -> None:
    """Refuse, before anything runs, a combination of stages that cannot work."""
    if options.rules and not options.keys:
        raise ValueError("sharing (--rules) needs --keys: partner outputs are sealed to partner keys")


def compose(records: beam.PCollection, options: PaxshareOptions, run_id: str,
            extra_dead_letters: Iterable[beam.PCollection] = (), sinks: Sinks = Sinks(),
            withdrawals: beam.PCollection | None = None) -> Composed:
    """Adds validation, the optional screening, flag and sharing stages, and the output writers
    after ``records`` (a PCollection of ``DecodedRecord``). ``extra_dead_letters``: the source's
    own dead letters (unreadable files, undecodable messages), written with the others.
    ``withdrawals``: the traveller records later messages withdrew (a stream's per-flight state
    gives them; batch works them out here, from the same flight book): their flags are sent again
    marked withdrawn, and each partner that received one gets a withdrawal notice."""
    check_stages(options)
    output = options.output.rstrip("/")
    if sinks.dedupe:
        unique = records | "DropDuplicates" >> DropDuplicates()  # resent messages: processed once
        validated = unique.records | "ValidateRecords" >> ValidateRecords(run_id)
        counts = (unique[COUNTS], validated[COUNTS]) | "AllFileCounts" >> beam.Flatten()
        if withdrawals is None:
            withdrawals = unique.records | "FlightWithdrawals" >> FlightWithdrawals()
    else:  # the source dedupes already (a stream's per-flight state, with the same content hash)
        validated = records | "ValidateRecords" >> ValidateRecords(run_id)
        counts = validated[COUNTS]
    travellers, pnrs = validated.travellers, validated[PNRS]

    dead_letters = ((*extra_dead_letters, validated[DEAD_LETTER]) | "AllDeadLetters" >> beam.Flatten())
    travellers | "WriteValidTravellers" >> WriteAvroByDate(
        f"{output}/valid/api_travellers", "api_traveller", lambda t: t["flight_date"])
    pnrs | "WriteValidPnrs" >> WriteAvroByDate(f"{output}/valid/pnr", "pnr", pnr_flight_date)
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(f"{output}/dead_letter")

    stage_counts = []
    extra = {}
    flagged_ids = None
    if options.watchlists:
        candidates = _screen(travellers, validated[UNVALIDATED], options, output)
        extra["candidates"] = candidates
        stage_counts.append(candidates | "CountCandidates" >> CountBy("screening", lambda c: [
            "candidates", "suppressed" if c["suppressed_by"] else "alerts", f"{c['list_id']} {c['category']}"]))
        if options.keys:
            flags = candidates | "RaiseFlags" >> RaiseFlags(
                options.units, options.keys, output, run_id, immediate=sinks.flags_immediately,
                withdrawals=withdrawals, withdrawal_hold_seconds=sinks.flag_hold_seconds)
            extra["flags"] = flags["flags"]
            extra["flag_files"] = flags["files"]
            flagged_ids = (flags["flags"] | "FlaggedTravellerIds" >> beam.Map(lambda f: f["traveller_id"])
                           | "DistinctFlagged" >> beam.Distinct())
            stage_counts.append(flags["flags"] | "CountFlags" >> CountBy(
                "flags", lambda f: ["flags", f"unit {f['unit_id']}", f"severity {f['severity']}"]))
            if flags["withdrawn"] is not None:
                withdrawn, windowing = flags["withdrawn"], flags["flags"].windowing
                if sinks.window_files:  # a stream meets withdrawals in the global window: count them per window
                    withdrawn = withdrawn | "WithdrawnFlagsIntoWindows" >> beam.WindowInto(
                        windowing, allowed_lateness=windowing.allowed_lateness)
                stage_counts.append(withdrawn | "CountWithdrawnFlags" >> CountBy(
                    "flags", lambda pair: ["withdrawn", f"withdrawn {pair[1]['reason']}"]))
    if options.rules:
        shared = {"api": travellers, "pnr": pnrs} | "ShareWithPartners" >> ShareWithPartners(
            options.rules, options.keys, output, run_id, flagged_traveller_ids=flagged_ids, records=False,
            per_window=sinks.window_files, flag_hold_seconds=sinks.flag_hold_seconds, withdrawals=withdrawals)
        extra["partner_files"] = shared["files"]
        extra["audit_heads"] = shared["audit"]
        stage_counts.append(shared["counts"])
    merged = None  # no optional stage: nothing to count
    if stage_counts:
        merged = (tuple(stage_counts) | "AllStageCounts" >> beam.Flatten()
                  | "MergeStageCounts" >> beam.CombinePerKey(merge_counts))
    return Composed(travellers, pnrs, dead_letters, counts, validated[REASONS], merged, extra)


def _screen(travellers, unvalidated, options: PaxshareOptions, output: str):
    """Screen every traveller whose flight is known, valid or not, unless a cancellation names
    them (see ``message_functions``); candidates go to ``matches/`` and on to flags. A rejected
    person's candidate says so: the rejected travellers come with their reasons, as (traveller,
    reasons) pairs (batch and stream alike). Both are screened where they were validated: a side
    input of reasons, or a Flatten of the two, would make screening wait for every batch to be
    validated and carry every traveller through the runner once more."""
    from pipelines.screening.engine.settings import load_settings

    settings = load_settings(options.screening_settings) if options.screening_settings else None
    # a cancellation names persons who are not travelling: they are withdrawn from their flight
    # (and their earlier flags with them), not screened again; a stream never passes such a
    # message on, batch reads it as a list
    travellers = travellers | "OnlyTravelling" >> beam.Filter(lambda t: names_travellers(t.get("message_function")))
    rejected = unvalidated | "OnlyTravellingRejected" >> beam.Filter(
        lambda pair: names_travellers(pair[0].get("message_function")))
    candidates = ((travellers, rejected)
                  | "ScreenTravellers" >> ScreenTravellers(
                      expand_watchlists(options.watchlists), settings=settings,
                      cleared_path=options.cleared_travellers))
    candidates | "WriteMatches" >> WriteAvroByDate(
        f"{output}/matches", "match_candidate", lambda c: c["flight_key"].rsplit("/", 1)[-1])
    return candidates


class CountBy(beam.PTransform):
    """Counts elements under the keys ``keys_of(element)`` returns: (stage, {key: n}), once per
    window; in the global window (batch) also when there is nothing to count."""

    def __init__(self, stage: str, keys_of):
        super().__init__()
        self._stage, self._keys_of = stage, keys_of

    def expand(self, elements):
        stage, keys_of = self._stage, self._keys_of
        as_dict = beam.combiners.ToDict()
        if not isinstance(elements.windowing.windowfn, beam.window.GlobalWindows):
            as_dict = as_dict.without_defaults()
        return (elements
                | "Keys" >> beam.FlatMap(keys_of)
                | "CountPerKey" >> beam.combiners.Count.PerElement()
                | "AsDict" >> as_dict
                | "Staged" >> beam.Map(lambda counts: (stage, counts)))
