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

- ``partners/<CC>/shared-<CC>-<run_id>-00000-of-00001.avro.sealed``: one HPKE-sealed Avro file per
  partner per run (also for a partner that gets nothing this run, so a re-run replaces every file);
- ``audit/<seq>-<run_id>.jsonl``: one audit segment per run, written by a single writer after
  all records are shared, chained to the previous head.

Returns a dict of PCollections: ``shared`` (SharedRecord dicts), ``files`` (paths written) and
``audit`` (``(segment name, head hash)``). Metrics (namespace ``paxshare.sharing``): ``in.API``,
``in.PNR``, ``shared.<ARRANGEMENT>``, ``not_shared.<KIND>``, ``files_written``.
"""

from __future__ import annotations

import posixpath
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipelines.sharing import output
from pipelines.sharing.audit import append_segment
from pipelines.sharing.rules import NOT_ARRANGEMENTS, RulesError, check_texts, default_rules_dir, parse_partners

NAMESPACE = "paxshare.sharing"


def _read(path: str) -> bytes:
    with FileSystems.open(path) as handle:
        return handle.read()


def _list(directory: str, pattern: str) -> list[str]:
    matches = FileSystems.match([FileSystems.join(directory, pattern)])[0].metadata_list
    return sorted(m.path for m in matches)


def load_rules_fs(rules_dir: str | None):
    """Arrangements and partners read through Beam FileSystems (local, GCS, ...)."""
    rules_dir = str(rules_dir or default_rules_dir())
    texts, partners_text = {}, None
    for path in _list(rules_dir, "*.y*ml"):
        name = posixpath.basename(path)
        if name == "partners.yaml":
            partners_text = _read(path).decode("utf-8")
        elif name not in NOT_ARRANGEMENTS:
            texts[path] = _read(path).decode("utf-8")
    arrangements, problems = check_texts(texts, partners_text)
    if problems or not texts:
        raise RulesError(problems)
    partners = parse_partners(partners_text, "partners.yaml")[0] if partners_text else {}
    return arrangements, partners


def _engine(rules_dir, keys_dir, provider):
    from pipelines.sharing.engine import SharingEngine, read_secret_bytes

    arrangements, _ = load_rules_fs(rules_dir)
    chosen = [a for a in arrangements if provider is None or a.provider == provider]
    secrets = {a.id: read_secret_bytes(_read(FileSystems.join(str(keys_dir), a.pseudonym_key)), a.pseudonym_key)
               for a in chosen}
    return SharingEngine(chosen, secrets, provider)


class _ShareFn(beam.DoFn):
    AUDIT = "audit"

    def __init__(self, kind, rules_dir, keys_dir, run_id, shared_at, provider):
        self.kind, self.rules_dir, self.keys_dir = kind, rules_dir, keys_dir
        self.run_id, self.shared_at, self.provider = run_id, shared_at, provider

    def setup(self):
        self.engine = _engine(self.rules_dir, self.keys_dir, self.provider)
        self.counter_in = Metrics.counter(NAMESPACE, f"in.{self.kind}")
        self.counter_none = Metrics.counter(NAMESPACE, f"not_shared.{self.kind}")
        self.counters = {a: Metrics.counter(NAMESPACE, f"shared.{a}") for a in self.engine.arrangement_ids()}

    def process(self, record, flagged):
        self.counter_in.inc()
        if self.kind == "API":
            is_flagged = record.get("traveller_id") in flagged
        else:
            is_flagged = (record.get("record_locator") or "").upper() in flagged
        shares = self.engine.share(self.kind, record, is_flagged, self.run_id, self.shared_at)
        if not shares:
            self.counter_none.inc()
        for share in shares:
            self.counters[share.record["arrangement_id"]].inc()
            yield share.record
            yield beam.pvalue.TaggedOutput(self.AUDIT, share.audit)


class _WritePartnerFileFn(beam.DoFn):
    def __init__(self, keys_dir, output_dir, run_id, partners):
        self.keys_dir, self.output_dir, self.run_id, self.partners = keys_dir, output_dir, run_id, partners

    def setup(self):
        self.files = Metrics.counter(NAMESPACE, "files_written")

    def _public_key(self, recipient):
        from pipelines import crypto

        name = self.partners.get(recipient, recipient)
        best = None
        for path in _list(str(self.keys_dir), "*.pub.json"):
            key = crypto.parse_public_key(_read(path), path)
            if isinstance(key, crypto.RecipientPublicKey) and (key.name or key.key_id) == name:
                if best is None or key.generation > best.generation:
                    best = key
        if best is None:
            raise FileNotFoundError(f"{self.keys_dir}: no recipient public key named {name!r} for partner {recipient}")
        return best

    def process(self, item):
        recipient, records = item
        records = sorted((r for r in records if r is not None), key=lambda r: (r["arrangement_id"], r["data_kind"], r["record_id"]))
        name = output.file_name(recipient, self.run_id)
        blob = output.seal_records(records, self._public_key(recipient), recipient, name)
        path = FileSystems.join(str(self.output_dir), *name.split("/"))
        with FileSystems.create(path) as handle:  # same name on a re-run: replaced
            handle.write(blob)
        self.files.inc()
        yield path


class _BeamStore:
    """Audit Store over Beam FileSystems."""

    def __init__(self, directory: str):
        self.directory = directory

    def list(self):
        try:
            return [posixpath.basename(p) for p in _list(self.directory, "*.jsonl")]
        except Exception:  # noqa: BLE001 - a missing directory is an empty log
            return []

    def read(self, name):
        return _read(FileSystems.join(self.directory, name)).decode("utf-8")

    def create(self, name, text):
        path = FileSystems.join(self.directory, name)
        if FileSystems.exists(path):
            raise FileExistsError(f"audit segment {path} exists; refusing to overwrite")
        with FileSystems.create(path) as handle:
            handle.write(text.encode("utf-8"))


def _write_audit(entries, audit_dir, run_id, time_utc):
    ordered = sorted(entries, key=lambda e: (e["recipient"], e["arrangement_id"], e["data_kind"], e["record_id"]))
    return append_segment(_BeamStore(audit_dir), ordered, run_id, time_utc)


class ShareWithPartners(beam.PTransform):
    """Privacy-filtered sharing of API travellers (and PNRs) with every partner; see module doc."""

    def __init__(self, rules_dir, keys_dir, output_dir, run_id, flagged_traveller_ids=None,
                 shared_at: str | None = None, provider: str | None = None, label: str | None = None):
        super().__init__(label)
        self.rules_dir = str(rules_dir or default_rules_dir())
        self.keys_dir, self.output_dir, self.run_id = str(keys_dir), str(output_dir), run_id
        self.flagged = flagged_traveller_ids
        self.shared_at = shared_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.provider = provider

    def expand(self, pinput):
        inputs = pinput if isinstance(pinput, dict) else {"api": pinput}
        api, pnr = inputs.get("api"), inputs.get("pnr")
        pipeline = (api or pnr).pipeline
        arrangements, partners = load_rules_fs(self.rules_dir)  # fail fast on the launcher
        recipients = sorted({a.recipient for a in arrangements if self.provider in (None, a.provider)})
        key_names = {code: p.key_name for code, p in partners.items()}

        flagged_ids = self.flagged if self.flagged is not None else pipeline | "NoFlags" >> beam.Create([])
        flagged_map = flagged_ids | "FlaggedIdsKeyed" >> beam.Map(lambda t: (t, True))
        shared_parts, audit_parts = [], []
        args = (self.rules_dir, self.keys_dir, self.run_id, self.shared_at, self.provider)
        if api is not None:
            result = api | "ShareApi" >> beam.ParDo(_ShareFn("API", *args), beam.pvalue.AsDict(flagged_map)).with_outputs(
                _ShareFn.AUDIT, main="shared")
            shared_parts.append(result.shared)
            audit_parts.append(result[_ShareFn.AUDIT])
        if pnr is not None:
            locators = pipeline | "NoLocators" >> beam.Create([])
            if api is not None:
                locators = (api
                            | "FlaggedTravellers" >> beam.Filter(lambda t, f: t.get("traveller_id") in f, beam.pvalue.AsDict(flagged_map))
                            | "TheirLocators" >> beam.FlatMap(lambda t: [(t["person"]["pnr_locator"].upper(), True)]
                                                              if t.get("person", {}).get("pnr_locator") else []))
            result = pnr | "SharePnr" >> beam.ParDo(_ShareFn("PNR", *args), beam.pvalue.AsDict(locators)).with_outputs(
                _ShareFn.AUDIT, main="shared")
            shared_parts.append(result.shared)
            audit_parts.append(result[_ShareFn.AUDIT])

        shared = shared_parts[0] if len(shared_parts) == 1 else tuple(shared_parts) | "FlattenShared" >> beam.Flatten()
        audit = audit_parts[0] if len(audit_parts) == 1 else tuple(audit_parts) | "FlattenAudit" >> beam.Flatten()
        every_partner = pipeline | "EveryPartner" >> beam.Create([(r, None) for r in recipients])
        files = ((shared | "ByPartner" >> beam.Map(lambda r: (r["recipient"], r)), every_partner)
                 | "WithEveryPartner" >> beam.Flatten()
                 | "GroupByPartner" >> beam.GroupByKey()
                 | "SealPerPartner" >> beam.ParDo(_WritePartnerFileFn(self.keys_dir, self.output_dir, self.run_id, key_names)))
        audit_dir = FileSystems.join(self.output_dir, "audit")
        # One writer: the chain is built sequentially, after every file is written.
        head = (audit
                | "AllAuditEntries" >> beam.combiners.ToList()
                | "AppendAuditSegment" >> beam.Map(
                    lambda entries, _files: _write_audit(entries, audit_dir, self.run_id, self.shared_at),
                    beam.pvalue.AsList(files)))
        return {"shared": shared, "files": files, "audit": head}
