"""Beam wrapper: ``ShareWithPartners`` fans valid records out to every arrangement they fall under.

Usage::

    shared = {"api": travellers, "pnr": pnrs} | "Share" >> ShareWithPartners(
        rules_dir, keys_dir, output_dir, run_id, flagged_traveller_ids=flag_ids)
    # or: travellers | ShareWithPartners(...)   (API only)

Input: an ApiTraveller PCollection, or a dict ``{"api": ..., "pnr": ...}`` (either key optional)
of ApiTraveller and Pnr dicts. Two inputs rather than a tagged union: each keeps its own Avro
schema and coder, and a pipeline without PNRs just leaves the key out.

``flagged_traveller_ids``: optional PCollection of traveller_id strings (risk-flagged travellers)
used as a side input by ``flagged_only`` arrangements. A PNR counts as flagged when a flagged
traveller's API record names its locator (``person.pnr_locator``).

Writes, under ``output_dir``:

- ``partners/<CC>/shared-<CC>-<run_id>-<shard>-of-<shards>.avro.sealed``: ``shards`` HPKE-sealed
  Avro files per partner per run (also when a partner gets nothing this run, so a re-run replaces
  every file); a record's shard follows from its keyed record id;
- ``audit/<seq>-<run_id>.jsonl``: one audit segment per run, written by a single writer after
  all records are shared, chained to the previous head.

Where the work happens (the design is explained in ``docs/sharing.md``, "Speed"): the sharing
DoFns run fused with the spine (no side input when nobody can be flagged; the rules are validated
once on the launcher and shipped to the workers, which only read the pseudonym secrets), apply the
rules, and encode each shared record to Avro binary and each audit entry to its canonical JSON
parts on the spot, in parallel. Only batches of those bytes and strings travel, one per
``(partner, shard)`` per bundle, to file writers that sort, concatenate and seal; each writer
passes its file's audit parts on, and the single audit writer only sorts, links and hashes them.

Returns a dict of PCollections: ``shared`` (SharedRecord dicts; left out with ``records=False``,
which spares their materialisation when the caller only counts), ``counts`` (run-report stage
counts, ``("sharing", {"records shared": n, "to CAN under USA-CAN": m, ...})``, a few per run, to
merge with ``merge_counts``), ``files`` (paths written) and ``audit`` (``(segment name, head
hash)``). Metrics (namespace ``paxshare.sharing``): ``in.API``,
``in.PNR``, ``shared.<ARRANGEMENT>``, ``not_shared.<KIND>``, ``files_written``.
"""

from __future__ import annotations

import typing
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipelines.sharing import output
from pipelines.sharing.audit import append_prepared_segment, prepare
from pipelines import crypto, storage
from pipelines.sharing.rules import default_rules_dir, load_rules_and_partners

NAMESPACE = "paxshare.sharing"


_ENGINES: dict = {}  # per worker process: engines by (rules digests and secrets, provider)


def _engine(arrangements, keys_dir, provider):
    """The engine for ``arrangements`` (validated on the launcher), built once per process and
    set of secrets (the small secret files are read every time, so a changed secret is seen)."""
    from pipelines.sharing.engine import SharingEngine, read_secret

    chosen = [a for a in arrangements if provider is None or a.provider == provider]
    secrets = {a.id: read_secret(storage.join(str(keys_dir), a.pseudonym_key)) for a in chosen}
    key = (tuple((a.digest, secrets[a.id]) for a in chosen), provider)
    engine = _ENGINES.get(key)
    if engine is None:
        if len(_ENGINES) > 8:
            _ENGINES.clear()
        engine = _ENGINES[key] = SharingEngine(chosen, secrets, provider)
    return engine


class _ShareFn(beam.DoFn):
    """Shares one record: main output the SharedRecord dicts; tagged ``FILES`` output batches of
    ``(partner, shard) -> [(sort key, Avro bytes, (audit sort key, prepared audit entry))]``,
    one batch per file per bundle (or per ``BATCH`` shares), so that a handful of elements, not
    one per share, travel to the file writers; tagged ``COUNTS``: the bundle's run-report counts.
    Input is globally windowed (a batch pipeline)."""

    FILES = "files"
    COUNTS = "counts"
    BATCH = 5000

    def __init__(self, kind, arrangements, keys_dir, run_id, shared_at, provider, shards, records=True):
        self.kind, self.arrangements, self.keys_dir = kind, arrangements, keys_dir
        self.run_id, self.shared_at, self.provider, self.shards = run_id, shared_at, provider, shards
        self.records = records

    def setup(self):
        self.engine = _engine(self.arrangements, self.keys_dir, self.provider)
        self.encoder = output.RecordEncoder()
        self.counter_in = Metrics.counter(NAMESPACE, f"in.{self.kind}")
        self.counter_none = Metrics.counter(NAMESPACE, f"not_shared.{self.kind}")
        self.counters = {a: Metrics.counter(NAMESPACE, f"shared.{a}") for a in self.engine.arrangement_ids()}

    def start_bundle(self):
        self.pending = {}
        self.counts = {}

    def process(self, record, flagged=frozenset()):
        self.counter_in.inc()
        if self.kind == "API":
            is_flagged = record.get("traveller_id") in flagged
        else:
            is_flagged = (record.get("record_locator") or "").upper() in flagged
        shares = self.engine.share(self.kind, record, is_flagged, self.run_id, self.shared_at)
        if not shares:
            self.counter_none.inc()
        for share in shares:
            shared = share.record
            arrangement, recipient, record_id = shared["arrangement_id"], shared["recipient"], shared["record_id"]
            self.counters[arrangement].inc()
            label = f"to {recipient} under {arrangement}"
            self.counts[label] = self.counts.get(label, 0) + 1
            if self.records:
                yield shared
            key = (recipient, output.shard_of(record_id, self.shards))
            batch = self.pending.setdefault(key, [])
            batch.append(((arrangement, shared["data_kind"], record_id), self.encoder(shared),
                          ((recipient, arrangement, shared["data_kind"], record_id), prepare(share.audit))))
            if len(batch) >= self.BATCH:
                yield beam.pvalue.TaggedOutput(self.FILES, (key, self.pending.pop(key)))

    def finish_bundle(self):
        for key, batch in self.pending.items():
            yield beam.pvalue.TaggedOutput(self.FILES, WindowedValue((key, batch), MIN_TIMESTAMP, [GlobalWindow()]))
        if self.counts:
            counts = dict(self.counts, **{"records shared": sum(self.counts.values())})
            yield beam.pvalue.TaggedOutput(self.COUNTS, WindowedValue(("sharing", counts), MIN_TIMESTAMP, [GlobalWindow()]))
        self.pending, self.counts = {}, {}


class _WritePartnerFileFn(beam.DoFn):
    """Writes one sealed file per (partner, shard) from batches of pre-encoded records; tagged
    ``AUDIT`` output: the file's prepared audit entries, as one list."""

    AUDIT = "audit"

    def __init__(self, keys_dir, output_dir, run_id, partners, shards):
        self.keys_dir, self.output_dir, self.run_id, self.partners = keys_dir, output_dir, run_id, partners
        self.shards = shards

    def setup(self):
        self.files = Metrics.counter(NAMESPACE, "files_written")
        self.keys = None  # every current public key, read on first use

    def _public_key(self, recipient):
        if self.keys is None:
            self.keys = crypto.current_public_keys(self.keys_dir)
        name = self.partners.get(recipient, recipient)
        key = self.keys.get(("recipient", name))
        if key is None:
            raise FileNotFoundError(f"{self.keys_dir}: no recipient public key named {name!r} for partner {recipient}")
        return key

    def process(self, item):
        (recipient, shard), batches = item
        records = sorted(entry for batch in batches if batch for entry in batch)  # by (arrangement, kind, record id)
        name = output.file_name(recipient, self.run_id, shard, self.shards)
        blob = output.seal_bytes(output.container([data for _, data, _ in records]),
                                 self._public_key(recipient), recipient, name)
        path = storage.join(str(self.output_dir), *name.split("/"))
        storage.write_bytes(path, blob)  # same name on a re-run: replaced
        self.files.inc()
        yield path
        yield beam.pvalue.TaggedOutput(self.AUDIT, [audit for _, _, audit in records])


def _write_audit(per_file, audit_dir, run_id, time_utc):
    """``per_file``: lists of (sort key, prepared entry), one per file; one segment in sort-key order."""
    ordered = [prepared for _, prepared in sorted(entry for entries in per_file for entry in entries)]
    return append_prepared_segment(storage.Folder(audit_dir, "*.jsonl"), ordered, run_id, time_utc)


#: Files per partner per run. Fixed (not derived from the data) so that file names are the same on
#: every run over the same inputs and a re-run replaces every file.
DEFAULT_SHARDS = 2


class ShareWithPartners(beam.PTransform):
    """Privacy-filtered sharing of API travellers (and PNRs) with every partner; see module doc."""

    def __init__(self, rules_dir, keys_dir, output_dir, run_id, flagged_traveller_ids=None,
                 shared_at: str | None = None, provider: str | None = None, label: str | None = None,
                 shards: int = DEFAULT_SHARDS, records: bool = True):
        super().__init__(label)
        self.rules_dir = str(rules_dir or default_rules_dir())
        self.keys_dir, self.output_dir, self.run_id = str(keys_dir), str(output_dir), run_id
        self.flagged = flagged_traveller_ids
        self.shared_at = shared_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.provider = provider
        if not 1 <= int(shards) <= 99999:
            raise ValueError("shards must be 1 to 99999")
        self.shards = int(shards)
        self.records = records

    def expand(self, pinput):
        inputs = pinput if isinstance(pinput, dict) else {"api": pinput}
        api, pnr = inputs.get("api"), inputs.get("pnr")
        pipeline = (api or pnr).pipeline
        arrangements, partners = load_rules_and_partners(self.rules_dir)  # validated once, on the launcher
        chosen = [a for a in arrangements if self.provider in (None, a.provider)]
        recipients = sorted({a.recipient for a in chosen})
        key_names = {code: p.key_name for code, p in partners.items()}

        # Without flagged ids nobody is flagged: no side input, so sharing fuses with the spine.
        flagged_map = None
        if self.flagged is not None:
            flagged_map = self.flagged | "FlaggedIdsKeyed" >> beam.Map(lambda t: (t, True))
        shared_parts, file_parts, count_parts = [], [], []
        args = (chosen, self.keys_dir, self.run_id, self.shared_at, self.provider, self.shards, self.records)

        def share(kind, records, label, side):
            share_fn = _ShareFn(kind, *args)
            pardo = (beam.ParDo(share_fn, beam.pvalue.AsDict(side)) if side is not None else beam.ParDo(share_fn))
            result = records | label >> pardo.with_outputs(_ShareFn.FILES, _ShareFn.COUNTS, main="shared")
            shared_parts.append(result.shared)
            file_parts.append(result[_ShareFn.FILES])
            count_parts.append(result[_ShareFn.COUNTS])

        if api is not None:
            share("API", api, "ShareApi", flagged_map)
        if pnr is not None:
            locators = None
            if api is not None and flagged_map is not None:
                locators = (api
                            | "FlaggedTravellers" >> beam.Filter(lambda t, f: t.get("traveller_id") in f, beam.pvalue.AsDict(flagged_map))
                            | "TheirLocators" >> beam.FlatMap(lambda t: [(t["person"]["pnr_locator"].upper(), True)]
                                                              if t.get("person", {}).get("pnr_locator") else []))
            share("PNR", pnr, "SharePnr", locators)

        def flatten(parts, label):
            return parts[0] if len(parts) == 1 else tuple(parts) | label >> beam.Flatten()

        # Flattening the records costs an encode and decode of each on the DirectRunner: only
        # when the caller wants them (records=True).
        shared = flatten(shared_parts, "FlattenShared") if self.records else None
        counts = flatten(count_parts, "FlattenCounts")
        # typed Any like the ParDo outputs it is flattened with: same coder, so no transcoding
        every_file = pipeline | "EveryPartnerFile" >> beam.Create(
            [((r, shard), None) for r in recipients for shard in range(self.shards)]).with_output_types(typing.Any)
        written = ((*file_parts, every_file)
                   | "WithEveryPartnerFile" >> beam.Flatten()
                   | "GroupByPartnerFile" >> beam.GroupByKey()
                   | "SealPerPartnerFile" >> beam.ParDo(_WritePartnerFileFn(
                       self.keys_dir, self.output_dir, self.run_id, key_names, self.shards)).with_outputs(
                           _WritePartnerFileFn.AUDIT, main="files"))
        audit_dir = storage.join(self.output_dir, "audit")
        # One writer: the chain is built sequentially, from the entries of files already written.
        head = (written[_WritePartnerFileFn.AUDIT]
                | "AllAuditEntries" >> beam.combiners.ToList()
                | "AppendAuditSegment" >> beam.Map(
                    lambda per_file, _files: _write_audit(per_file, audit_dir, self.run_id, self.shared_at),
                    beam.pvalue.AsList(written.files)))
        outputs = {"files": written.files, "audit": head, "counts": counts}
        if shared is not None:
            outputs["shared"] = shared
        return outputs
