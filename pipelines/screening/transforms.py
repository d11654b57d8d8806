"""Beam wrapper: ``ScreenTravellers`` turns ApiTraveller dicts into MatchCandidate dicts.

    candidates = travellers | "Screen" >> ScreenTravellers(["gs://lists/usa.avro", "gs://lists/can.csv"])

The watchlists are read through ``FileSystems`` and indexed in the DoFn's ``setup()``, once per
worker (never per element or bundle); the engine itself (:mod:`pipelines.screening.engine.score`) has no
Beam in it. Output: one ``MatchCandidate`` (``schemas/match_candidate.avsc``) per candidate at or
above its category's threshold, suppressed ones included (marked ``suppressed_by``, kept for
audit). Counters ``candidates/<list_id>/<category>``, ``alerts/<list_id>/<category>``,
``suppressed/<list_id>/<category>`` and ``travellers_screened`` are Beam metrics.
"""

from __future__ import annotations

import json
import time
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from pipelines.screening.records import match_candidate, note_validation_failure, traveller_json
from pipelines.screening.engine.score import Screener
from pipelines.screening.engine.settings import Settings, default_settings
from pipelines.screening.engine.suppression import Suppressor
from pipelines.screening.lists.cleared import load_cleared, load_trusted
from pipelines.screening.lists.watchlist import read_watchlists, traveller_from_api

__all__ = ["ScreenTravellers", "ScreenTravellersFn"]

NAMESPACE = "paxshare.screening"
#: distribution metric: how long a worker took to build its watchlist index (milliseconds)
INDEX_BUILD_MSECS = "index_build_msecs"


class ScreenTravellersFn(beam.DoFn):
    """Scores batches of travellers against the watchlists indexed in ``setup()``."""

    def __init__(self, watchlist_paths: list[str], settings_raw: dict[str, Any],
                 cleared_path: str | None = None, trusted_path: str | None = None):
        self._paths = list(watchlist_paths)
        self._settings_raw = settings_raw
        self._cleared = cleared_path
        self._trusted = trusted_path
        self._screener: Screener | None = None
        self._counters: dict[str, Any] = {}
        self._built_msecs: int | None = None  # this instance built the index: reported once
        # one index per worker process, however many threads (DoFn instances) the runner starts
        # there: a million-entry index is ~4 GB, so one per thread would not fit
        self._shared = shared.Shared()

    def _build(self) -> Screener:
        started = time.perf_counter()
        screener = self._build_screener()
        self._built_msecs = int((time.perf_counter() - started) * 1000)
        return screener

    def _build_screener(self) -> Screener:
        entries = read_watchlists(self._paths)
        suppressor = Suppressor(load_cleared(self._cleared) if self._cleared else (),
                                load_trusted(self._trusted) if self._trusted else ())
        # the Screener moves its index (millions of long-lived objects) to the collector's
        # permanent generation when built (gc.freeze): no full collection walks them, and
        # processes forked from this one do not write to their pages
        return Screener(entries, Settings(self._settings_raw), suppressor)

    def setup(self) -> None:
        tag = json.dumps([self._paths, self._settings_raw, self._cleared, self._trusted], sort_keys=True, default=str)
        self._screener = self._shared.acquire(self._build, tag=tag)
        self._screened = Metrics.counter(NAMESPACE, "travellers_screened")

    def _count(self, kind: str, entry: dict) -> None:
        name = f"{kind}/{entry['list_id']}/{entry['category']}"
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = Metrics.counter(NAMESPACE, name)
        counter.inc()

    def start_bundle(self):
        # metrics count only inside a bundle, not in setup(); reported at the start of a bundle,
        # not with the first element, since the instance that built may never get one (another
        # instance on the worker, sharing the index, may screen every batch)
        if self._built_msecs is not None:
            Metrics.distribution(NAMESPACE, INDEX_BUILD_MSECS).update(self._built_msecs)
            self._built_msecs = None

    def process(self, records: list):
        # an element is a traveller dict, or (traveller dict, reasons) for a rejected one
        pairs = [(record, None) if isinstance(record, dict) else record for record in records]
        travellers = [traveller_from_api(record) for record, _ in pairs]
        rejection_reasons = {t.traveller_id: reasons for t, (_, reasons) in zip(travellers, pairs) if reasons}
        self._screened.inc(len(travellers))
        # only alerts leave the transform, so ask the engine for nothing below the lowest threshold:
        # that lets it skip entries a lower floor would have to score. A batch is one call into the
        # compiled pre-scoring (see pipelines.screening.engine.compiled.accelerate)
        found = self._screener.screen_many(travellers, min_score=self._screener.lowest_threshold)
        for traveller, candidates in zip(travellers, found):
            record_json = None  # serialised once per traveller, however many candidates they have
            for candidate in candidates:
                if not candidate.reaches_threshold:
                    continue
                self._count("candidates", candidate.entry)
                self._count("suppressed" if candidate.suppressed_by else "alerts", candidate.entry)
                if record_json is None:
                    record_json = traveller_json(traveller)
                yield note_validation_failure(match_candidate(traveller, candidate, record_json),
                                              rejection_reasons.get(traveller.traveller_id))


class ScreenTravellers(beam.PTransform):
    """PCollection[ApiTraveller dict] -> PCollection[MatchCandidate dict].

    ``watchlist_paths``: Avro or CSV watchlists, any Beam filesystem. ``settings``: a
    :class:`Settings` (default: the packaged ``data/settings.yaml``). ``cleared_path`` /
    ``trusted_path``: optional suppression lists (local paths). Travellers screened although their
    record failed validation come as ``(traveller, [reason, ...])`` pairs: their candidates'
    explanations say so (no side input of reasons: it would make screening wait until every
    traveller was validated).

    The input may also be a tuple of PCollections (say valid travellers and rejected pairs):
    each is screened where it is made, with one index per worker process for all of them, and
    the candidates come out as one PCollection. A Flatten before screening would cost as much:
    a local runner (the FnApiRunner) writes a flattened collection out and reads it back, every
    traveller through the runner once more."""

    #: travellers per call into the engine: one call pre-scores a whole batch in compiled code,
    #: and a larger batch spreads its fixed cost (the generated lists, one process: 100 per call
    #: 4,450 travellers/s, 1,000 5,500/s, 3,000 6,100/s); a bundle's last batch is smaller
    BATCH = 2000

    def __init__(self, watchlist_paths: list[str], settings: Settings | None = None,
                 cleared_path: str | None = None, trusted_path: str | None = None, label: str | None = None):
        super().__init__(label)
        self._paths = list(watchlist_paths)
        self._settings = settings or default_settings()
        self._cleared = cleared_path
        self._trusted = trusted_path

    def expand(self, travellers):
        inputs = tuple(travellers) if isinstance(travellers, (tuple, list)) else (travellers,)
        # one DoFn for every input: its instances on a worker share one index (same Shared key)
        score = ScreenTravellersFn(self._paths, self._settings.raw, self._cleared, self._trusted)
        parts = []
        for index, part in enumerate(inputs):
            suffix = f" {index}" if len(inputs) > 1 else ""
            # batches of a fixed size, so the engine pre-scores many travellers per call into
            # compiled code (Beam's adaptive sizing starts from one and stays small when the stage
            # is fused with validation); batching is per window and per bundle, and a bundle's end
            # flushes its batch, so streaming latency stays bounded by the bundle
            parts.append(part
                         | f"Batch{suffix}" >> beam.BatchElements(min_batch_size=self.BATCH, max_batch_size=self.BATCH)
                         | f"ScoreAgainstWatchlists{suffix}" >> beam.ParDo(score))
        return parts[0] if len(parts) == 1 else tuple(parts) | "AllCandidates" >> beam.Flatten()
