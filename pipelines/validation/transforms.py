"""Beam wrapper for validation: batches of decoded records through one ``Validator`` per worker."""

from __future__ import annotations

from collections import Counter

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipelines.reasons import DEAD_LETTER
from pipelines.validation.dedupe import decoded_hash, duplicate_counts, keep_first
from pipelines.validation.validator import Validator

PNRS = "pnrs"
UNVALIDATED = "unvalidated_travellers"
COUNTS = "counts"
REASONS = "reason_codes"

#: Batch size in persons (a PNR counts as its travellers). A great-expectations suite run has a
#: fixed cost whatever the size (the person suite on a loaded 2-core machine: 2,000 rows 1.0 s,
#: 10,000 1.4 s, 30,000 2.9 s, 100,000 7.1 s), and a batch of manifests runs two suites: batches
#: of tens of thousands of persons amortise it. The first batch of a bundle is MIN_BATCH; Beam grows the
#: next ones towards MAX_BATCH (and at most ~10 s of work). A bundle that ends sooner (a stream)
#: is validated at once whatever its size.
MIN_BATCH, MAX_BATCH = 10_000, 60_000


def batch_weight(item) -> int:
    """How much validation work a decoded record is: its persons or PNR travellers (at least 1)."""
    record = item.record
    return max(1, len(record.get("persons") or record.get("travellers") or ()))


class _ValidateBatch(beam.DoFn):
    def __init__(self, run_id: str):
        self._run_id = run_id
        self._validator = None
        self._counters = {}

    def setup(self):
        self._validator = Validator(self._run_id)

    def _count(self, name: str, value: int) -> None:
        if name not in self._counters:
            self._counters[name] = Metrics.counter("paxshare.validate", name)
        self._counters[name].inc(value)

    def process(self, batch):
        outcome = self._validator.validate(batch)
        yield from outcome.travellers
        for traveller_and_reasons in outcome.unvalidated_travellers:
            yield beam.pvalue.TaggedOutput(UNVALIDATED, traveller_and_reasons)
        for pnr in outcome.pnrs:
            yield beam.pvalue.TaggedOutput(PNRS, pnr)
        for dead_letter in outcome.dead_letters:
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, dead_letter)
        for source_file, counts in outcome.counts.items():
            yield beam.pvalue.TaggedOutput(COUNTS, (source_file, dict(counts)))
            for name, value in counts.items():
                self._count(name, value)
        if outcome.reason_codes:
            yield beam.pvalue.TaggedOutput(REASONS, dict(outcome.reason_codes))


class ValidateRecords(beam.PTransform):
    """DecodedRecords -> valid ApiTraveller dicts (main), ``pnrs``, ``unvalidated_travellers``
    ((traveller, reasons) for rejected persons whose flight is known: screening only),
    ``dead_letter``, ``counts`` (source_file, counts) and ``reason_codes`` (per-batch histograms)."""

    def __init__(self, run_id: str):
        super().__init__()
        self._run_id = run_id

    def expand(self, records):
        return (
            records
            | "Batch" >> beam.BatchElements(min_batch_size=MIN_BATCH, max_batch_size=MAX_BATCH,
                                            element_size_fn=batch_weight)
            | "Validate" >> beam.ParDo(_ValidateBatch(self._run_id)).with_outputs(
                PNRS, UNVALIDATED, DEAD_LETTER, COUNTS, REASONS, main="travellers")
        )


class DropDuplicates(beam.PTransform):
    """DecodedRecords -> the same, each content once (``dedupe.record_content_hash``: a resent
    message, the same file given twice, a repeated Avro block); tagged ``counts``:
    ``(source_file, counts)`` of each dropped copy, for the report. Within a window when the
    input is windowed."""

    def expand(self, records):
        return (records
                | "ByContent" >> beam.Map(lambda item: (decoded_hash(item), item))
                | "SameContent" >> beam.GroupByKey()
                | "KeepFirst" >> beam.ParDo(_KeepFirst()).with_outputs(COUNTS, main="records"))


class _KeepFirst(beam.DoFn):
    def setup(self):
        self.duplicates = Metrics.counter("paxshare.validation", "duplicates")

    def process(self, item):
        kept, dropped = keep_first(item[1])
        yield kept
        for copy in dropped:
            self.duplicates.inc()
            yield beam.pvalue.TaggedOutput(COUNTS, (copy.source_file, duplicate_counts(copy)))


def merge_counts(counts) -> dict:
    """CombineFn-style merge of count dicts (used with CombinePerKey / CombineGlobally)."""
    total = Counter()
    for item in counts:
        total.update(item)
    return dict(total)
