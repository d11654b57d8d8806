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

With ``per_window=True`` (``paxshare stream``) the same happens once per window firing: the files
and the audit segment of a window carry the run id ``<run_id>.w<window start>`` (``.p<n>`` added
for its n-th later firing, on late records), and a window in which a partner gets nothing writes
no file for it.

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
from apache_beam.coders import BooleanCoder, PickleCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindow, GlobalWindows, TimestampedValue
from apache_beam.utils.timestamp import MIN_TIMESTAMP, Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from pipelines import crypto, storage
from pipelines.io import flights
from pipelines.sharing import disclose, output
from pipelines.sharing.audit import LocalStore, disclosure_key, prepare
from pipelines.sharing.engine import disclosure_ref
from pipelines.sharing.rules import default_rules_dir, load_rules_and_partners, next_push
from pipelines.withdrawals.transforms import hold_until

NAMESPACE = "paxshare.sharing"


_ENGINES: dict = {}  # per worker process: engines by (rules digests and secrets, provider)


def _engine(arrangements, keys_dir, provider):
    """The engine for ``arrangements`` (validated on the launcher), built once per process and
    set of secrets (the small secret files are read every time, so a changed secret is seen)."""
    from pipelines.sharing.engine import SharingEngine, read_secret

    chosen = [a for a in arrangements if provider is None or a.provider == provider]
    # read_secret refuses a local secret readable by group or others
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
    REFS = "refs"
    BATCH = 5000

    HELD = "held"

    def __init__(self, kind, arrangements, keys_dir, run_id, shared_at, provider, shards, records=True, refs=False):
        self.kind, self.arrangements, self.keys_dir = kind, arrangements, keys_dir
        self.run_id, self.shared_at, self.provider, self.shards = run_id, shared_at, provider, shards
        self.records = records
        self.refs = refs  # tagged REFS output: (traveller id, disclosure ref) per share, for withdrawals
        self.push = _push_arrangements(arrangements)

    def setup(self):
        self.engine = _engine(self.arrangements, self.keys_dir, self.provider)
        self.encoder = output.RecordEncoder()
        self.counter_in = Metrics.counter(NAMESPACE, f"in.{self.kind}")
        self.counter_none = Metrics.counter(NAMESPACE, f"not_shared.{self.kind}")
        self.counters = {a: Metrics.counter(NAMESPACE, f"shared.{a}") for a in self.engine.arrangement_ids()}

    def start_bundle(self):
        self.pending = {}
        self.counts = {}

    def process(self, record, window=beam.DoFn.WindowParam, flagged=frozenset()):
        self.counter_in.inc()
        newly_flagged = False
        if isinstance(record, tuple):  # (record, flagged) joined in a stream
            record, is_flagged = record
            newly_flagged, is_flagged = is_flagged == NEWLY_FLAGGED, bool(is_flagged)
        elif self.kind == "API":
            is_flagged = record.get("traveller_id") in flagged
        else:
            is_flagged = (record.get("record_locator") or "").upper() in flagged
        shared_at = self.shared_at
        if not isinstance(window, GlobalWindow):  # a stream: shared when its window closes
            shared_at = window.end.to_utc_datetime().strftime("%Y-%m-%dT%H:%M:%SZ")
        shares = self.engine.share(self.kind, record, is_flagged, self.run_id, shared_at, newly_flagged)
        if not shares:
            self.counter_none.inc()
        for share in shares:
            shared = share.record
            arrangement, recipient, record_id = shared["arrangement_id"], shared["recipient"], shared["record_id"]
            self.counters[arrangement].inc()
            label = f"to {recipient} under {arrangement}"
            counts = self.counts.setdefault(window, {})
            counts[label] = counts.get(label, 0) + 1
            if self.records:
                yield shared
            if self.refs:
                yield beam.pvalue.TaggedOutput(self.REFS, (record["traveller_id"], disclosure_ref(shared)))
            key = (recipient, output.shard_of(record_id, self.shards), _held(self.push, arrangement, window))
            batch = self.pending.setdefault((window, key), [])
            batch.append(_file_entry(self.encoder, share))
            if len(batch) >= self.BATCH:
                yield _file_batch(key, self.pending.pop((window, key)))

    def finish_bundle(self):
        # each batch goes out in the window its records came from (the global window in batch)
        for (window, key), batch in self.pending.items():
            yield _file_batch(key, batch, window)
        for window, counts in self.counts.items():
            counts = dict(counts, **{"records shared": sum(counts.values())})
            yield beam.pvalue.TaggedOutput(self.COUNTS, _in_window(("sharing", counts), window))
        self.pending, self.counts = {}, {}


class _MayShareFn(beam.DoFn):
    """Passes on the records some arrangement could share, flagged or not
    (``SharingEngine.may_share``); counts the others as ``_ShareFn`` would have (in, not shared)."""

    def __init__(self, kind, arrangements, keys_dir, provider):
        self.kind, self.arrangements, self.keys_dir, self.provider = kind, arrangements, keys_dir, provider

    def setup(self):
        self.engine = _engine(self.arrangements, self.keys_dir, self.provider)
        self.counter_in = Metrics.counter(NAMESPACE, f"in.{self.kind}")
        self.counter_none = Metrics.counter(NAMESPACE, f"not_shared.{self.kind}")

    def process(self, record):
        if self.engine.may_share(self.kind, record):
            yield record
        else:
            self.counter_in.inc()
            self.counter_none.inc()


def _traveller_locator(traveller: dict) -> list:
    """``[(traveller id, PNR locator upper-cased)]`` when the API record names a locator, else ``[]``."""
    locator = (traveller.get("person") or {}).get("pnr_locator")
    return [(traveller.get("traveller_id"), locator.upper())] if locator else []


def _push_arrangements(arrangements) -> frozenset:
    """Ids of the arrangements whose records a stream pushes at named times (``cadence``)."""
    return frozenset(a.id for a in arrangements if a.push_minutes)


def _held(push: frozenset, arrangement: str, window) -> str | None:
    """The arrangement whose push time a stream's record waits for, or None (per window, and
    always in batch: the whole run is one push)."""
    return arrangement if arrangement in push and not isinstance(window, GlobalWindow) else None


def _file_entry(encoder, share) -> tuple:
    """One shared record (or notice) as its partner file's writer takes it: (sort key, Avro bytes,
    (audit sort key, prepared audit entry, disclosure key, content hash))."""
    shared = share.record
    recipient, arrangement, kind, record_id = (shared["recipient"], shared["arrangement_id"], shared["data_kind"],
                                               shared["record_id"])
    return ((arrangement, kind, record_id), encoder(shared),
            ((recipient, arrangement, kind, record_id), prepare(share.audit), disclosure_key(share.audit),
             shared["content_hash"]))


def _file_batch(key, batch, window=None):
    """A batch of file entries for partner file ``(recipient, shard)``, tagged ``FILES``; or, when
    ``key`` names an arrangement with push times, tagged ``HELD`` as ``((arrangement, (recipient,
    shard)), batch)`` for ``_HoldUntilPush``. In ``window`` when given (from ``finish_bundle``)."""
    recipient, shard, held = key
    tag, value = (_ShareFn.FILES, ((recipient, shard), batch)) if held is None else (
        _ShareFn.HELD, ((held, (recipient, shard)), batch))
    return beam.pvalue.TaggedOutput(tag, value if window is None else _in_window(value, window))


class _HoldUntilPush(beam.DoFn):
    """A stream's partner-file batches of an arrangement with push times (``cadence: push_at``),
    per (arrangement, partner file), in the global window: each is held until the first push time
    after its window, then let go with that time as its timestamp, so it is sealed, logged and
    published with the window the push time falls in."""

    HELD = BagStateSpec("held", PickleCoder())
    DUE = ReadModifyWriteStateSpec("due", PickleCoder())
    PUSH = TimerSpec("push", TimeDomain.WATERMARK)

    def __init__(self, push_minutes: dict):
        self._push = push_minutes  # arrangement id -> minutes after midnight UTC

    def process(self, element, timestamp=beam.DoFn.TimestampParam, held=beam.DoFn.StateParam(HELD),
                due=beam.DoFn.StateParam(DUE), push=beam.DoFn.TimerParam(PUSH)):
        (arrangement, key), batch = element
        at = Timestamp.of(next_push(self._push[arrangement], timestamp.to_utc_datetime()).timestamp())
        held.add((at, key, batch))
        first = due.read()
        if first is None or at < first:
            due.write(at)
            push.set(at)

    @on_timer(PUSH)
    def release(self, fired=beam.DoFn.TimestampParam, held=beam.DoFn.StateParam(HELD),
                due=beam.DoFn.StateParam(DUE), push=beam.DoFn.TimerParam(PUSH)):
        waiting = []
        for at, key, batch in held.read():
            if at <= fired:
                yield TimestampedValue((key, batch), at)
            else:
                waiting.append((at, key, batch))
        held.clear()
        due.clear()
        for item in waiting:
            held.add(item)
        if waiting:
            first = min(at for at, _, _ in waiting)
            due.write(first)
            push.set(first)


class _NoticeFn(beam.DoFn):
    """(disclosure ref, withdrawal) -> the withdrawal notice for that partner record, in the same
    shape as ``_ShareFn``'s ``FILES`` batches (so it is sealed, logged and published with the
    window's or run's other records), and ``COUNTS``."""

    def __init__(self, arrangements, keys_dir, run_id, shared_at, provider, shards):
        self.arrangements, self.keys_dir, self.run_id = arrangements, keys_dir, run_id
        self.shared_at, self.provider, self.shards = shared_at, provider, shards

    def setup(self):
        self.engine = _engine(self.arrangements, self.keys_dir, self.provider)
        self.encoder = output.RecordEncoder()
        self.counter = Metrics.counter(NAMESPACE, "withdrawal_notices")
        self.push = _push_arrangements(self.arrangements)

    def process(self, pair, window=beam.DoFn.WindowParam):
        ref, withdrawal = pair
        shared_at = self.shared_at
        if not isinstance(window, GlobalWindow):
            shared_at = window.end.to_utc_datetime().strftime("%Y-%m-%dT%H:%M:%SZ")
        share = self.engine.withdrawal_notice(ref, withdrawal["reason"], self.run_id, shared_at)
        notice = share.record
        recipient, arrangement, record_id = notice["recipient"], notice["arrangement_id"], notice["record_id"]
        self.counter.inc()
        key = (recipient, output.shard_of(record_id, self.shards), _held(self.push, arrangement, window))
        yield _file_batch(key, [_file_entry(self.encoder, share)])
        yield beam.pvalue.TaggedOutput(_ShareFn.COUNTS, ("sharing", {
            "withdrawal notices": 1, f"withdrawn at {recipient} under {arrangement}": 1}))


def load_signer(keys_dir: str, name: str = disclose.SIGNING_KEY_NAME):
    """The pipeline's current Ed25519 signing key from the keys folder, with a clear error."""
    from pipelines import crypto

    try:
        return crypto.load_signing_key(crypto.current_signing_key_path(keys_dir, name))
    except crypto.KeyFileError as error:
        raise crypto.KeyFileError(
            f"sharing signs partner files and audit checkpoints with the pipeline's signing key {name!r}: {error} "
            f"(create it with 'paxshare keys new --dir {keys_dir} --kind signing --id {name}' or 'paxshare keys demo')"
        ) from None


def _in_window(value, window) -> WindowedValue:
    timestamp = MIN_TIMESTAMP if isinstance(window, GlobalWindow) else window.max_timestamp()
    return WindowedValue(value, timestamp, [window])


def window_run_id(run_id: str, window, pane=None) -> str:
    """The run id of one window's partner files and audit segment: the run id itself in batch
    (the global window), ``<run id>.w<window start, UTC>`` in a stream, and
    ``<run id>.w<window start>.p<n>`` for the n-th later firing of that window (late records:
    each firing publishes files of its own, so none replaces what an earlier one shared)."""
    if isinstance(window, GlobalWindow):
        return run_id
    name = f"{run_id}.w{window.start.to_utc_datetime().strftime('%Y%m%dT%H%M%SZ')}"
    index = getattr(pane, "index", 0) or 0
    return f"{name}.p{index}" if index > 0 else name


def _locator(traveller: dict) -> str:
    return ((traveller.get("person") or {}).get("pnr_locator") or "").upper()


#: a PNR shared before, unflagged, whose locator a flagged traveller named since
NEWLY_FLAGGED = "newly flagged"


def _join_flagged(api, pnr, flagged_map, hold_seconds: float):
    """API travellers as (traveller, flagged), joined per window with their own flags (a flag is
    made from its traveller, in the same window). PNRs as (pnr, flagged) where a flagged
    traveller's API record names the PNR's locator (the same rule as the batch side input),
    joined across windows: an airline pushes a PNR days before the API list that flags someone
    on it, so a PNR is held, per locator, for ``hold_seconds`` of event time, and shared again
    to the ``flagged_only`` arrangements (``NEWLY_FLAGGED``) when a flag comes for its locator."""
    joined = ({"record": api | "ApiById" >> beam.Map(lambda t: (t["traveller_id"], t)), "flag": flagged_map}
              | "JoinFlaggedIds" >> beam.CoGroupByKey()
              | "ApiWithFlag" >> beam.FlatMap(lambda kv: [(t, bool(kv[1]["flag"])) for t in kv[1]["record"]]))
    if pnr is None:
        return joined, None
    windowing = pnr.windowing
    flags = (joined | "FlaggedLocators" >> beam.FlatMap(
        lambda pair: [(_locator(pair[0]), (_FLAG, None))] if pair[1] and _locator(pair[0]) else []))
    pnrs = pnr | "PnrByLocator" >> beam.Map(lambda p: ((p.get("record_locator") or "").upper(), (_PNR, p)))
    pnrs = ((pnrs, flags)
            | "PnrsAndFlags" >> beam.Flatten()
            | "AcrossWindows" >> beam.WindowInto(beam.window.GlobalWindows())
            | "PnrMeetsItsFlags" >> beam.ParDo(_PnrFlagsFn(hold_seconds))
            | "BackIntoWindows" >> beam.WindowInto(windowing, allowed_lateness=windowing.allowed_lateness))
    return joined, pnrs


_PNR, _FLAG = "pnr", "flag"


class _PnrFlagsFn(beam.DoFn):
    """Per locator, in the global window: a PNR goes on at once as (pnr, flagged so far) and, while
    unflagged, is kept; the first flag for the locator sends the kept PNRs on as (pnr,
    ``NEWLY_FLAGGED``). Everything is forgotten ``hold_seconds`` after the later of the last event
    and the last departure in the PNRs' itineraries (a PNR comes up to 72 h before its flight, and
    its return flight's flags come days later), never earlier than an earlier event asked for."""

    PNRS = BagStateSpec("pnrs", PickleCoder())
    FLAGGED = ReadModifyWriteStateSpec("flagged", BooleanCoder())
    FORGET_AT = ReadModifyWriteStateSpec("forget_at", PickleCoder())
    FORGET = TimerSpec("forget", TimeDomain.WATERMARK)

    def __init__(self, hold_seconds: float):
        self._hold = hold_seconds

    def process(self, element, timestamp=beam.DoFn.TimestampParam, pnrs=beam.DoFn.StateParam(PNRS),
                flagged=beam.DoFn.StateParam(FLAGGED), forget_at=beam.DoFn.StateParam(FORGET_AT),
                forget=beam.DoFn.TimerParam(FORGET)):
        _locator_key, (kind, value) = element
        until = hold_until(timestamp, flights.last_departure(value) if kind == _PNR else None, self._hold,
                           forget_at.read())
        forget_at.write(until)
        forget.set(until)
        if kind == _FLAG:
            if not flagged.read():
                flagged.write(True)
                for held in pnrs.read():
                    yield held, NEWLY_FLAGGED
                pnrs.clear()
            return
        yield value, bool(flagged.read())
        if not flagged.read():
            pnrs.add(value)

    @on_timer(FORGET)
    def forget(self, pnrs=beam.DoFn.StateParam(PNRS), flagged=beam.DoFn.StateParam(FLAGGED),
               forget_at=beam.DoFn.StateParam(FORGET_AT)):
        pnrs.clear()
        flagged.clear()
        forget_at.clear()


class _WritePartnerFileFn(beam.DoFn):
    """Seals and signs one file per (partner, shard) from batches of pre-encoded records and stages
    it (ciphertext, not yet visible); emits the ``disclose.StagedFile`` with its audit entries."""

    def __init__(self, keys_dir, output_dir, run_id, partners, shards, signing_key):
        self.keys_dir, self.output_dir, self.run_id, self.partners = keys_dir, output_dir, run_id, partners
        self.shards, self.signing_key = shards, signing_key

    def setup(self):
        self.files = Metrics.counter(NAMESPACE, "files_written")
        self.keys = None  # every current public key, read on first use
        self.signer = load_signer(self.keys_dir, self.signing_key)

    def _public_key(self, recipient):
        if self.keys is None:
            self.keys = crypto.current_public_keys(self.keys_dir)
        name = self.partners.get(recipient, recipient)
        key = self.keys.get(("recipient", name))
        if key is None:
            raise FileNotFoundError(f"{self.keys_dir}: no recipient public key named {name!r} for partner {recipient}")
        return key

    def process(self, item, window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        (recipient, shard), batches = item
        records = sorted(entry for batch in batches if batch for entry in batch)  # by (arrangement, kind, record id)
        run_id = window_run_id(self.run_id, window, pane)
        name = output.file_name(recipient, run_id, shard, self.shards)
        envelope = output.seal_bytes(output.container([data for _, data, _ in records]),
                                     self._public_key(recipient), recipient, name, self.signer)
        self.files.inc()
        yield disclose.stage(self.output_dir, run_id, name, recipient, envelope, [audit for _, _, audit in records])


class _BeamStore:
    """Audit Store on a filesystem with a scheme (gs://...), through :mod:`pipelines.storage`."""

    def __init__(self, directory: str):
        self.directory = directory

    def list(self):
        return [storage.basename(p) for p in storage.match(storage.join(self.directory, "*.jsonl"))]

    def read(self, name):
        return storage.read_text(storage.join(self.directory, name))

    def create(self, name, text):
        # an object store publishes the object whole on close; never over an existing segment
        storage.write_text(storage.join(self.directory, name), text, exclusive=True)

    def quarantine(self, name, reason):
        target = storage.join(self.directory, "quarantine", name)
        storage.rename(storage.join(self.directory, name), target)
        storage.write_text(target + ".reason.txt", reason)
        return target


def _commit(staged, output_dir, audit_dir, run_id, time_utc, keys_dir, signing_key, firing_run_id, in_window):
    """The single writer: audit segment with its signed checkpoint first, then the partner files."""
    staged = sorted(staged, key=lambda f: f.name)
    return disclose.commit(output_dir, audit_store(audit_dir), staged, firing_run_id, time_utc,
                           load_signer(keys_dir, signing_key), shared_staging=in_window)


class _ForTheCommitterFn(beam.DoFn):
    """One firing's staged files, named by its run id (``window_run_id``), under the committer's one key."""

    def __init__(self, run_id):
        self.run_id = run_id

    def process(self, files, window=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        yield None, (files, window_run_id(self.run_id, window, pane), not isinstance(window, GlobalWindow))


class _LogThenPublishFn(beam.DoFn):
    """Commits one firing's staged files (all of a batch run; in a stream, one window pane's, under
    that pane's run id: a window that fires again for late records commits only what is new).

    Every firing arrives under one key in the global window, and this DoFn keeps state (the number
    of commits), so Beam runs one commit at a time: a runner never processes one key's state twice
    at once. Two windows committing together would otherwise both link their audit segment to the
    same head; a local audit folder is also locked (``audit.one_writer``), an object store cannot be."""

    COMMITS = ReadModifyWriteStateSpec("commits", VarIntCoder())

    def __init__(self, output_dir, audit_dir, run_id, time_utc, keys_dir, signing_key):
        self.args = (output_dir, audit_dir, run_id, time_utc, keys_dir, signing_key)

    def process(self, item, commits=beam.DoFn.StateParam(COMMITS)):
        _, (files, firing_run_id, in_window) = item
        result = _commit(files, *self.args, firing_run_id, in_window)
        commits.write((commits.read() or 0) + 1)
        yield result


def audit_store(audit_dir: str):
    return _BeamStore(audit_dir) if storage.has_scheme(audit_dir) else LocalStore(audit_dir)


#: Files per partner per run. Fixed (not derived from the data) so that file names are the same on
#: every run over the same inputs and a re-run replaces every file.
DEFAULT_SHARDS = 2


class ShareWithPartners(beam.PTransform):
    """Privacy-filtered sharing of API travellers (and PNRs) with every partner; see module doc."""

    def __init__(self, rules_dir, keys_dir, output_dir, run_id, flagged_traveller_ids=None,
                 shared_at: str | None = None, provider: str | None = None, label: str | None = None,
                 shards: int = DEFAULT_SHARDS, records: bool = True, signing_key: str = disclose.SIGNING_KEY_NAME,
                 per_window: bool = False, flag_hold_seconds: float = 48 * 3600, withdrawals=None):
        super().__init__(label)
        self.withdrawals = withdrawals
        self.per_window = per_window
        self.flag_hold_seconds = flag_hold_seconds
        self.rules_dir = str(rules_dir or default_rules_dir())
        self.keys_dir, self.output_dir, self.run_id = str(keys_dir), str(output_dir), run_id
        self.flagged = flagged_traveller_ids
        self.shared_at = shared_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.provider = provider
        if not 1 <= int(shards) <= 99999:
            raise ValueError("shards must be 1 to 99999")
        self.shards = int(shards)
        self.records = records
        self.signing_key = signing_key

    def expand(self, pinput):
        inputs = pinput if isinstance(pinput, dict) else {"api": pinput}
        api, pnr = inputs.get("api"), inputs.get("pnr")
        pipeline = (api or pnr).pipeline
        windowing_in = (api if api is not None else pnr).windowing  # before any join changes it
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

        ref_parts, held_parts = [], []

        def share(kind, records, label, side):
            refs = kind == "API" and self.withdrawals is not None
            share_fn = _ShareFn(kind, *args, refs=refs)
            if side is not None:
                # only records some arrangement could take wait for the flags (and cross the
                # runner to the sharing step); the others are counted as not shared where made
                records = records | f"{label}Candidates" >> beam.ParDo(_MayShareFn(kind, chosen, self.keys_dir, self.provider))
            pardo = (beam.ParDo(share_fn, beam.pvalue.AsDict(side)) if side is not None else beam.ParDo(share_fn))
            result = records | label >> pardo.with_outputs(_ShareFn.FILES, _ShareFn.COUNTS, _ShareFn.REFS, _ShareFn.HELD,
                                                           main="shared")
            shared_parts.append(result.shared)
            file_parts.append(result[_ShareFn.FILES])
            held_parts.append(result[_ShareFn.HELD])
            count_parts.append(result[_ShareFn.COUNTS])
            if refs:
                ref_parts.append(result[_ShareFn.REFS])

        if self.per_window and flagged_map is not None:
            # a stream: join each window's records with its flagged ids (a side input would hold
            # every record until the window's flags are complete, and stalls the DirectRunner)
            api, pnr = _join_flagged(api, pnr, flagged_map, self.flag_hold_seconds)
            flagged_map = None
        if api is not None:
            share("API", api, "ShareApi", flagged_map)
        if pnr is not None:
            locators = None
            if api is not None and flagged_map is not None:
                # (traveller id, locator) pairs are taken where the travellers are made, so only
                # these small pairs, not every traveller, wait for the flags
                locators = (api
                            | "TravellerLocators" >> beam.FlatMap(_traveller_locator)
                            | "FlaggedTravellers" >> beam.Filter(lambda pair, f: pair[0] in f, beam.pvalue.AsDict(flagged_map))
                            | "TheirLocators" >> beam.Map(lambda pair: (pair[1], True)))
            share("PNR", pnr, "SharePnr", locators)

        if ref_parts:  # partner records of travellers withdrawn since: a notice each, same path
            from pipelines.withdrawals.transforms import JoinWithdrawals

            met = {"items": ref_parts[0], "withdrawals": self.withdrawals} | "MeetWithdrawals" >> JoinWithdrawals(
                self.flag_hold_seconds)
            if self.per_window:
                met = met | "NoticesIntoWindows" >> beam.WindowInto(
                    windowing_in, allowed_lateness=windowing_in.allowed_lateness)
            notices = met | "WithdrawalNotices" >> beam.ParDo(_NoticeFn(
                chosen, self.keys_dir, self.run_id, self.shared_at, self.provider, self.shards)).with_outputs(
                _ShareFn.FILES, _ShareFn.COUNTS, _ShareFn.HELD)
            file_parts.append(notices[_ShareFn.FILES])
            count_parts.append(notices[_ShareFn.COUNTS])
            held_parts.append(notices[_ShareFn.HELD])

        def flatten(parts, label):
            return parts[0] if len(parts) == 1 else tuple(parts) | label >> beam.Flatten()

        push_minutes = {a.id: a.push_minutes for a in chosen if a.push_minutes}
        if self.per_window and push_minutes:  # arrangements with push times: held until then
            file_parts.append(
                flatten(held_parts, "HeldForPushTimes")
                | "HeldGlobally" >> beam.WindowInto(GlobalWindows())
                | "UntilPushTime" >> beam.ParDo(_HoldUntilPush(push_minutes))
                | "PushedIntoWindows" >> beam.WindowInto(windowing_in, allowed_lateness=windowing_in.allowed_lateness))

        # Flattening the records costs an encode and decode of each on the DirectRunner: only
        # when the caller wants them (records=True).
        shared = flatten(shared_parts, "FlattenShared") if self.records else None
        counts = flatten(count_parts, "FlattenCounts")
        # typed Any like the ParDo outputs it is flattened with: same coder, so no transcoding
        every_file = [] if self.per_window else [pipeline | "EveryPartnerFile" >> beam.Create(
            [((r, shard), None) for r in recipients for shard in range(self.shards)]).with_output_types(typing.Any)]
        load_signer(self.keys_dir, self.signing_key)  # a missing signing key fails here, on the launcher
        staged = ((*file_parts, *every_file)
                  | "WithEveryPartnerFile" >> beam.Flatten()
                  | "GroupByPartnerFile" >> beam.GroupByKey()
                  | "SealAndStagePerPartnerFile" >> beam.ParDo(_WritePartnerFileFn(
                      self.keys_dir, self.output_dir, self.run_id, key_names, self.shards, self.signing_key)))
        audit_dir = storage.join(self.output_dir, "audit")
        # One writer: the audit segment is written (and fsynced) before any partner file is published
        # (in a stream: once per window firing, that firing's staged files together).
        to_list = beam.combiners.ToList().without_defaults() if self.per_window else beam.combiners.ToList()
        committed = (staged
                     | "AllStagedFiles" >> to_list
                     | "ForTheCommitter" >> beam.ParDo(_ForTheCommitterFn(self.run_id))
                     | "CommitsOneAtATime" >> beam.WindowInto(GlobalWindows())
                     | "LogThenPublish" >> beam.ParDo(_LogThenPublishFn(
                         self.output_dir, audit_dir, self.run_id, self.shared_at, self.keys_dir, self.signing_key)))
        files = committed | "PublishedFiles" >> beam.FlatMap(lambda result: result.files)
        head = committed | "AuditCheckpoint" >> beam.Map(lambda result: (result.checkpoint.segment, result.checkpoint.entry_hash))
        outputs = {"files": files, "audit": head, "counts": counts, "commit": committed}
        if shared is not None:
            outputs["shared"] = shared
        return outputs
