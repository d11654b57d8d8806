"""The sharing audit log: append-only, hash-chained JSON Lines, anchored by signed checkpoints.

Every disclosure (and every re-send, and every later masking or deletion by ``paxshare
retention``) is one entry. Entries carry ``seq`` (1, 2, 3... with no gap), ``prev`` (the previous
entry's hash; 64 zeros for the first) and ``hash`` (SHA-256 over the entry's canonical JSON without
``hash``). Editing an entry breaks its hash, deleting or reordering one breaks ``seq`` and
``prev`` of the next.

The log is a directory of *segments*, one file per run or window (``000000000001-RUN.jsonl``,
named by the first seq it holds), so it can live on object stores that cannot append: a run
writes one new segment that starts with a ``segment_start`` entry (run id, time, number of
entries that follow), links to the previous segment's last hash, and ends with a ``checkpoint``
entry: an Ed25519 signature by the pipeline's key over ``{count, head, time_utc, run_id}`` of the
entries before it (``append_checkpointed``). A chain alone cannot show a cut tail with its count
fixed, a re-hash after an edit or a rebuilt log; the signatures can (``verify(..., trusted=...)``).
Deleting whole newest segments is caught against any checkpoint held elsewhere
(``verify(..., anchors=[...])``): the run report, the console, each partner file.

Segments are written whole or not at all (``write_atomic``: temporary file, fsync, rename, fsync
of the folder; mode 0600 in a 0700 folder). A torn newest segment, from a writer that did not do
so, is moved to ``quarantine/`` by ``repair`` with the reason; the next segment records it.
``disclosed`` indexes earlier disclosures so a re-sent record is logged as ``resend`` with the
first disclosure's seq (``as_resend``).

Many entries (one per disclosure) are cheap to chain: ``prepare`` turns an entry into its canonical
JSON split where ``prev`` and ``seq`` go, wherever the entry is made (in parallel); the single
sequential writer then only fills in ``prev`` and ``seq``, hashes and writes each line, with no
JSON encoding. ``verify`` accepts any JSON layout, since it re-hashes the parsed entry.

Storage is behind ``Store`` (list, read, create, quarantine) so the Beam writer can use Beam
FileSystems; this module never imports Beam.

One writer at a time: appending reads the head and writes the segment after it, so two writers
at once (two window firings of a stream committing together) would both link to the same head
and fork the log. Writers hold ``one_writer(store)`` from reading the log to writing their
segment. A local store locks its folder (``flock``: between processes and threads; the holder
may re-enter); a store without a lock of its own (an object store) relies on its caller: the
Beam pipeline sends every commit through one key (``sharing.transforms``). ``verify`` names a
fork as such.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Protocol

GENESIS = "0" * 64
_SEGMENT = re.compile(r"^(\d{12})-[A-Za-z0-9_.-]+\.jsonl$")


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(entry: dict) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def chain(entries: Iterable[dict], prev_hash: str = GENESIS, start_seq: int = 1) -> list[dict]:
    """Copies of ``entries`` with ``seq``, ``prev`` and ``hash`` set, linked after ``prev_hash``."""
    out = []
    for offset, entry in enumerate(entries):
        linked = {k: v for k, v in entry.items() if k not in ("seq", "prev", "hash")}
        linked["seq"] = start_seq + offset
        linked["prev"] = prev_hash
        linked["hash"] = prev_hash = entry_hash(linked)
        out.append(linked)
    return out


_PREV_MARK = "\x00prev\x00"
_SEQ_MARK = "\x00seq\x00"


def prepare(entry: dict) -> tuple[str, str, str]:
    """``(a, b, c)``: the entry's canonical JSON is ``a + '"PREV"' + b + 'SEQ' + c``.

    ``seq``, ``prev`` and ``hash`` in ``entry`` are ignored (set when it is chained).
    """
    body = {k: v for k, v in entry.items() if k not in ("seq", "prev", "hash")}
    body["prev"], body["seq"] = _PREV_MARK, _SEQ_MARK
    text = _canonical(body).decode("utf-8")
    prev_mark, seq_mark = json.dumps(_PREV_MARK), json.dumps(_SEQ_MARK)
    if text.count(prev_mark) != 1 or text.count(seq_mark) != 1:  # a value holding a marker: no shortcut
        raise ValueError("audit entry holds a reserved marker")
    a, rest = text.split(prev_mark)
    b, c = rest.split(seq_mark)
    return a, b, c


def link_prepared(prepared: Iterable[tuple[str, str, str]], prev_hash: str = GENESIS,
                  start_seq: int = 1) -> tuple[list[str], str]:
    """JSON lines (with ``seq``, ``prev``, ``hash``) for prepared entries, and the last hash."""
    lines = []
    sha256 = hashlib.sha256
    seq = start_seq
    for a, b, c in prepared:
        body = f'{a}"{prev_hash}"{b}{seq}{c}'
        digest = sha256(body.encode("utf-8")).hexdigest()
        lines.append(f'{body[:-1]},"hash":"{digest}"}}\n')
        prev_hash, seq = digest, seq + 1
    return lines, prev_hash


class Store(Protocol):
    """Where segments live. ``create`` must make a segment appear whole or not at all (a local
    store writes a temporary file, fsyncs it, renames it and fsyncs the folder; object stores
    publish an object only when it is closed) and never overwrite one. ``quarantine`` moves a
    damaged segment out of the log, keeping its bytes for the record."""

    def list(self) -> list[str]: ...
    def read(self, name: str) -> str: ...
    def create(self, name: str, text: str) -> None: ...
    def quarantine(self, name: str, reason: str) -> str: ...


def one_writer(store: Store):
    """Held by a writer from reading the log to writing its segment (see the module docstring):
    the store's own ``lock()`` if it has one, else nothing (its caller serialises writers)."""
    lock = getattr(store, "lock", None)
    return lock() if lock is not None else contextlib.nullcontext()


class _FolderLock:
    """An exclusive ``flock`` on ``<folder>/.writer.lock``, re-entrant within the thread holding it
    (one per folder per process: a second open of the file would wait for the first)."""

    _by_folder: dict[str, "_FolderLock"] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path):
        self.path = path
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None

    @classmethod
    def of(cls, folder: Path) -> "_FolderLock":
        key = str(Path(folder).resolve())
        with cls._guard:
            return cls._by_folder.setdefault(key, cls(Path(key) / ".writer.lock"))

    def __enter__(self):
        self.thread_lock.acquire()
        try:
            if self.depth == 0:
                private_dir(self.path.parent)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self.fd = fd
            self.depth += 1
        except BaseException:
            self.thread_lock.release()
            raise
        return self

    def __exit__(self, *exc):
        self.depth -= 1
        if self.depth == 0 and self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        self.thread_lock.release()
        return False


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def private_dir(directory: str | Path) -> Path:
    """``directory`` (and missing parents) created owner-only (0700), whatever the umask."""
    directory = Path(directory)
    missing = []
    walk = directory
    while not walk.exists():
        missing.append(walk)
        walk = walk.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
        os.chmod(folder, 0o700)
    return directory


def write_atomic(path: str | Path, data: bytes, mode: int = 0o600, exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` so that it appears whole or not at all, durably: a temporary file
    beside it (mode ``mode`` whatever the umask), fsync, rename, fsync of the folder.
    ``exclusive``: refuse (FileExistsError) when ``path`` exists."""
    path = Path(path)
    private_dir(path.parent)
    if exclusive and path.exists():
        raise FileExistsError(f"{path} exists; refusing to overwrite it")
    temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}.part")  # never matches the final name's pattern
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        fault_point("fsync " + path.name)
        os.fsync(fd)
    finally:
        os.close(fd)
    fault_point("rename " + path.name)
    if exclusive:
        try:
            os.link(temporary, path)  # fails when a segment of that name appeared meanwhile
        except FileExistsError:
            os.unlink(temporary)
            raise FileExistsError(f"{path} exists; refusing to overwrite it") from None
        os.unlink(temporary)
    else:
        os.replace(temporary, path)
    _fsync_dir(path.parent)
    fault_point("published " + path.name)


_FAULT = {"at": None, "count": 0}


def remove_partial_writes(directory: str | Path) -> list[str]:
    """Temporary files ``write_atomic`` left in ``directory`` when its process was killed."""
    gone = []
    directory = Path(directory)
    if directory.is_dir():
        for path in directory.glob(".tmp-*.part"):
            path.unlink(missing_ok=True)
            gone.append(path.name)
    return gone


def fault_point(label: str) -> None:
    """Fault injection for the crash tests: with ``PAXSHARE_FAULT_AT=N`` in the environment the
    N-th point reached in this process kills it (SIGKILL: no cleanup, like a power cut)."""
    if _FAULT["at"] is None:
        _FAULT["at"] = int(os.environ.get("PAXSHARE_FAULT_AT", "0") or 0)
    if not _FAULT["at"]:
        return
    _FAULT["count"] += 1
    if _FAULT["count"] == _FAULT["at"]:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def fault_points_reached() -> int:
    return _FAULT["count"]


class LocalStore:
    """An audit directory on the local disk: folder 0700, segments 0600, written atomically."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def list(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.is_file())

    def read(self, name: str) -> str:
        return (self.directory / name).read_text(encoding="utf-8")

    def create(self, name: str, text: str) -> None:
        write_atomic(self.directory / name, text.encode("utf-8"), 0o600, exclusive=True)

    def lock(self) -> _FolderLock:
        return _FolderLock.of(self.directory)

    def quarantine(self, name: str, reason: str) -> str:
        folder = private_dir(self.directory / "quarantine")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        target = folder / f"{name}.{stamp}"
        os.replace(self.directory / name, target)
        write_atomic(folder / f"{name}.{stamp}.reason.txt", (reason + "\n").encode("utf-8"))
        _fsync_dir(self.directory)
        return str(target)

    def remove_temporary(self) -> list[str]:
        """Temporary files of a writer killed before it published its segment."""
        return remove_partial_writes(self.directory)


def segment_names(store: Store) -> list[str]:
    return sorted(n for n in store.list() if _SEGMENT.match(n))


def head(store: Store) -> tuple[int, str]:
    """(last seq, last hash) of the log; (0, GENESIS) when empty."""
    names = segment_names(store)
    if not names:
        return 0, GENESIS
    lines = [line for line in store.read(names[-1]).splitlines() if line.strip()]
    last = json.loads(lines[-1])
    return int(last["seq"]), str(last["hash"])


def _safe_run(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) or "run"


def _segment_after_head(store: Store, prepared: list[tuple[str, str, str]], run_id: str, time_utc: str,
                        extra: dict | None) -> tuple[str, int, list[str], str]:
    """The next segment's name, first seq, lines (``segment_start`` and the entries, linked after
    the log's head) and the hash of its last line. Call under ``one_writer``."""
    last_seq, last_hash = head(store)
    start = {"event": "segment_start", "run_id": run_id, "time_utc": time_utc, "entries": len(prepared)}
    if extra:
        start.update(extra)
    lines, new_head = link_prepared([prepare(start), *prepared], last_hash, last_seq + 1)
    return f"{last_seq + 1:012d}-{_safe_run(run_id)}.jsonl", last_seq + 1, lines, new_head


def append_segment(store: Store, entries: list[dict], run_id: str, time_utc: str, extra: dict | None = None,
                   signer=None) -> tuple[str, str]:
    """Append one segment holding ``entries`` (in the given order); returns (segment name, new head hash).
    With ``signer`` the segment ends with a signed checkpoint (see ``append_checkpointed``)."""
    return append_prepared_segment(store, [prepare(e) for e in entries], run_id, time_utc, extra, signer)


def append_prepared_segment(store: Store, prepared: list[tuple[str, str, str]], run_id: str, time_utc: str,
                            extra: dict | None = None, signer=None) -> tuple[str, str]:
    """``append_segment`` for entries already passed through ``prepare`` (in the given order)."""
    if signer is not None:
        checkpoint = append_checkpointed(store, prepared, run_id, time_utc, signer, extra)
        return checkpoint.segment, checkpoint.entry_hash
    with one_writer(store):
        name, first_seq, lines, new_head = _segment_after_head(store, prepared, run_id, time_utc, extra)
        store.create(name, "".join(lines))
    return name, new_head


# --------------------------------------------------------------------------------------------
# signed checkpoints: the anchor

CHECKPOINT_FORMAT = "paxshare-audit-checkpoint/1"
_CHECKPOINT_CONTEXT = b"paxshare-audit-checkpoint-v1\x00"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log's entry number ``count`` has hash ``head``: every entry up to
    it is fixed. ``statement`` is what is signed; ``segment`` and ``first_seq`` say where the
    run's entries went; ``entry_hash`` is the hash of the checkpoint entry itself (the new head)."""

    statement: dict
    signature: str
    segment: str = ""
    first_seq: int = 0
    entry_hash: str = ""

    @property
    def count(self) -> int:
        return int(self.statement["count"])

    @property
    def head(self) -> str:
        return str(self.statement["head"])

    def as_dict(self) -> dict:
        return {"statement": self.statement, "signature": self.signature}

    @classmethod
    def from_dict(cls, data: dict) -> "Checkpoint":
        if not isinstance(data, dict) or "statement" not in data or "signature" not in data:
            raise ValueError("not a paxshare audit checkpoint (needs 'statement' and 'signature')")
        return cls(dict(data["statement"]), str(data["signature"]))


def _statement_bytes(statement: dict) -> bytes:
    return _CHECKPOINT_CONTEXT + _canonical(statement)


def sign_checkpoint(signer, count: int, head_hash: str, time_utc: str, run_id: str) -> Checkpoint:
    statement = {"format": CHECKPOINT_FORMAT, "count": int(count), "head": head_hash, "time_utc": time_utc,
                 "run_id": run_id, "signer": signer.key_id}
    signature = base64.b64encode(signer.sign(_statement_bytes(statement))).decode("ascii")
    return Checkpoint(statement, signature)


def checkpoint_problem(checkpoint: Checkpoint, trusted: dict | None) -> str | None:
    """Why ``checkpoint`` cannot be trusted (None when its signature is good). ``trusted``: the
    pipeline's verify keys by key id (``crypto.load_verify_keys``)."""
    statement = checkpoint.statement
    if statement.get("format") != CHECKPOINT_FORMAT:
        return f"checkpoint format {statement.get('format')!r} is not {CHECKPOINT_FORMAT}"
    if trusted is None:
        return None
    key = trusted.get(statement.get("signer"))
    if key is None:
        return (f"checkpoint signed by {statement.get('signer')!r}, which is not a trusted signer "
                f"(trusted: {', '.join(sorted(trusted)) or 'none'})")
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (ValueError, TypeError):
        return "checkpoint signature is not base64"
    if not key.verify(signature, _statement_bytes(statement)):
        return "checkpoint signature does not match its statement (forged, or the log was re-hashed)"
    return None


def append_checkpointed(store: Store, prepared: list[tuple[str, str, str]], run_id: str, time_utc: str,
                        signer, extra: dict | None = None) -> Checkpoint:
    """Append one segment: ``segment_start``, the entries, and a checkpoint entry signed by
    ``signer`` (the pipeline's Ed25519 ``crypto.SigningKey``) over the head after the entries, the
    count, the time and the run id. Written whole or not at all (``Store.create``), by one writer
    at a time (``one_writer``)."""
    with one_writer(store):
        name, first_seq, lines, body_head = _segment_after_head(store, prepared, run_id, time_utc, extra)
        count = first_seq + len(prepared)
        signed = sign_checkpoint(signer, count, body_head, time_utc, run_id)
        (closing,) = chain([{"event": "checkpoint", "checkpoint": signed.statement, "signature": signed.signature}],
                           body_head, count + 1)
        store.create(name, "".join(lines) + _canonical(closing).decode("utf-8") + "\n")
    return Checkpoint(signed.statement, signed.signature, name, first_seq, closing["hash"])


def latest_checkpoint(store: Store) -> Checkpoint | None:
    """The checkpoint that closes the newest segment, if it has one."""
    names = segment_names(store)
    if not names:
        return None
    lines = [line for line in store.read(names[-1]).splitlines() if line.strip()]
    try:
        last = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return None
    if last.get("event") != "checkpoint":
        return None
    return Checkpoint(last["checkpoint"], last["signature"], names[-1], 0, last["hash"])


# --------------------------------------------------------------------------------------------
# crash recovery and re-sends


def _torn(text: str) -> str | None:
    """Why a segment's text is incomplete (a writer died while writing it), or None."""
    if not text.strip():
        return "the segment is empty"
    if not text.endswith("\n"):
        return "its last line is incomplete (no line end)"
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            return f"line {number} is not a complete JSON entry"
    if entries[0].get("event") != "segment_start":
        return "it does not begin with a segment_start entry"
    announced = int(entries[0].get("entries", 0))
    body = [e for e in entries[1:] if e.get("event") != "checkpoint"]
    if len(body) < announced:
        return f"it holds {len(body)} of the {announced} entries its segment_start announced"
    return None


def repair(store: Store) -> list[str]:
    """Make the log appendable after a crash: remove temporary files of a killed writer and move a
    torn newest segment (incomplete last line, or fewer entries than announced) to
    ``quarantine/`` with the reason. Returns one message per action (empty when nothing was
    wrong). Only the newest segment can be torn by a crash; damage further back is tampering and
    is left for ``verify`` to report."""
    messages = []
    remove = getattr(store, "remove_temporary", None)
    for name in (remove() if remove else []):
        messages.append(f"removed {name}: a segment a killed writer never published")
    names = segment_names(store)
    if names:
        name = names[-1]
        text = store.read(name)
        problem = _torn(text)
        if problem:
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            reason = (f"audit segment {name} is torn: {problem}. A run was killed while writing it; "
                      f"its partner files were never published (entries are written first). "
                      f"Quarantined (sha256 {digest}); the log continues from the previous segment.")
            where = store.quarantine(name, reason)
            messages.append(f"{reason} Kept as {where}.")
    return messages


#: entries that record something sent to a partner for the first time: a record (``share``) or a
#: notice withdrawing one sent earlier (``withdraw``); a later copy of either is a ``resend``
DISCLOSURE_EVENTS = ("share", "withdraw")


def disclosure_key(entry: dict) -> tuple | None:
    """What makes two disclosures the same: recipient, arrangement, record and payload."""
    if "payload_sha256" not in entry:
        return None
    return (entry.get("recipient"), entry.get("arrangement_id"), entry.get("record_id"), entry["payload_sha256"])


class Disclosures:
    """The log's earlier disclosures: ``key in disclosures`` and ``disclosures[key]`` (the seq of
    the first ``share`` or ``withdraw`` entry) for a ``disclosure_key``. Keys are held as 16-byte
    digests, so a long-running stream keeps about 100 bytes per disclosure."""

    def __init__(self):
        self.first_seq: dict[bytes, int] = {}
        self.segments: set[str] = set()
        self.newest: tuple[str, bytes] | None = None  # the last segment read, and its content's digest

    @staticmethod
    def _digest(key: tuple) -> bytes:
        return hashlib.blake2b(repr(tuple(key)).encode("utf-8"), digest_size=16).digest()

    def __contains__(self, key) -> bool:
        return self._digest(key) in self.first_seq

    def __getitem__(self, key) -> int:
        return self.first_seq[self._digest(key)]

    def __len__(self) -> int:
        return len(self.first_seq)

    def read_segment(self, name: str, text: str) -> None:
        self.segments.add(name)
        self.newest = (name, hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest())
        for line in text.splitlines():
            if not any(f'"event":"{e}"' in line or f'"event": "{e}"' in line for e in DISCLOSURE_EVENTS):
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            key = disclosure_key(entry)
            if key is not None and entry.get("event") in DISCLOSURE_EVENTS:
                self.first_seq.setdefault(self._digest(key), int(entry["seq"]))


#: per audit folder, what this process has read of it (a stream commits every window: reading the
#: whole log each time would grow with the log, 7 s per million disclosures)
_DISCLOSURES: dict[str, Disclosures] = {}
_DISCLOSURES_GUARD = threading.Lock()


def disclosed(store: Store) -> Disclosures:
    """Every disclosure in the log (``Disclosures``). Segments never change once written, so a
    process reads each one once per folder: later calls read only the segments added since, and
    the last one it read again, to check it. Only the newest segment can leave the log (``repair``
    quarantines a torn one, and the re-run writes one of the same name): when a segment it read
    has gone or changed, it reads the log again from the start."""
    folder = getattr(store, "directory", None)
    names = segment_names(store)
    with _DISCLOSURES_GUARD:
        known = _DISCLOSURES.get(str(folder)) if folder is not None else None
        if known is not None and not _still_there(store, known, names):
            known = None
        known = known or Disclosures()
        for name in names:
            if name not in known.segments:
                known.read_segment(name, store.read(name))
        if folder is not None:
            _DISCLOSURES[str(folder)] = known
        return known


def _still_there(store: Store, known: Disclosures, names: list[str]) -> bool:
    if not known.segments <= set(names):
        return False
    if known.newest is None:
        return True
    name, digest = known.newest
    return hashlib.blake2b(store.read(name).encode("utf-8"), digest_size=16).digest() == digest


def as_resend(prepared: tuple[str, str, str], first_seq: int) -> tuple[str, str, str]:
    """A prepared ``share`` entry turned into a ``resend`` entry pointing at the first disclosure."""
    a, b, c = prepared
    entry = json.loads(f'{a}"{GENESIS}"{b}0{c}')
    entry["event"] = "resend"
    entry["first_seq"] = int(first_seq)
    return prepare(entry)


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    broken_at: str = ""     # "FILE:LINE (seq N)"
    reason: str = ""
    checkpoints: int = 0
    anchors: int = 0
    last_checkpoint: dict | None = None
    notes: list = field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            signed = f", {self.checkpoints} signed checkpoints" if self.checkpoints else ""
            anchored = f", {self.anchors} anchors matched" if self.anchors else ""
            text = f"OK: {self.entries} entries, head {self.head}{signed}{anchored}"
            return "\n".join([text, *(f"note: {n}" for n in self.notes)])
        return f"BROKEN at {self.broken_at}: {self.reason}"


def verify(store: Store, expected_head: str | None = None, trusted: dict | None = None,
           anchors: Iterable[Checkpoint] = ()) -> VerifyResult:
    """Check every segment in order; names the first entry where the chain breaks.

    ``trusted`` (the pipeline's verify keys by key id): every segment must end with a checkpoint
    signed by one of them whose count and head are those of the entries before it, so an edit,
    a re-hashed chain, a cut tail (even with its count fixed) or a chain rebuilt from scratch is
    caught. ``anchors``: checkpoints held elsewhere (a run report, a partner's file, an earlier
    verification), each checked for its signature and against the log, so deleted newest segments
    and truncation are caught too. ``expected_head``: a bare head hash (the last entry's).
    """
    trusted_anchors: dict[int, str] = {}
    for anchor in anchors:
        problem = checkpoint_problem(anchor, trusted)
        if problem:
            return VerifyResult(False, 0, GENESIS, "(anchor)", f"anchor checkpoint of run {anchor.statement.get('run_id')!r}: {problem}")
        if trusted_anchors.get(anchor.count, anchor.head) != anchor.head:
            return VerifyResult(False, 0, GENESIS, "(anchor)", f"two anchors disagree about entry {anchor.count}")
        trusted_anchors[anchor.count] = anchor.head
    matched = 0
    expected_seq, prev = 1, GENESIS
    remaining = 0       # entries a segment_start announced and not yet seen
    count = checkpoints = 0
    closed = True       # the current segment ended with a checkpoint (or there is none yet)
    last_checkpoint = None
    legacy = 0
    where = ""
    names = segment_names(store)

    def broken(reason):
        return VerifyResult(False, count, prev, where or "(end)", reason, checkpoints, matched, last_checkpoint)

    for first, second in zip(names, names[1:]):
        if first[:12] == second[:12]:
            where = second
            return broken(f"two segments start at seq {int(first[:12])}, {first} and {second}: two writers "
                          f"appended at once and the log forked")

    for name in names:
        if remaining:
            return broken(f"segment ended {remaining} entries short of what its segment_start announced (entries deleted)")
        for number, line in enumerate(store.read(name).splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{name}:{number}"
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return broken("not a JSON entry (a torn write: the next run quarantines it)")
            seq = entry.get("seq")
            where = f"{name}:{number} (seq {seq})"
            if entry.get("hash") != entry_hash(entry):
                return broken("entry hash does not match its content (entry edited)")
            if seq != expected_seq:
                return broken(f"expected seq {expected_seq}, found {seq} (entry deleted, inserted or reordered)")
            if entry.get("prev") != prev:
                return broken("prev does not match the previous entry's hash (chain broken)")
            event = entry.get("event")
            if event == "segment_start":
                if remaining:
                    return broken(f"new segment started {remaining} entries early (entries deleted)")
                if not closed:
                    if trusted is not None:
                        return broken("the previous segment ends without a signed checkpoint (its tail was cut)")
                    legacy += 1
                remaining = int(entry.get("entries", 0))
                closed = False
            elif event == "checkpoint":
                if remaining or closed:
                    return broken("checkpoint inside a segment's entries (entries deleted or inserted)")
                checkpoint = Checkpoint(entry.get("checkpoint") or {}, str(entry.get("signature", "")))
                if checkpoint.statement.get("count") != seq - 1 or checkpoint.statement.get("head") != prev:
                    return broken("checkpoint does not cover the entries before it (entries deleted or re-hashed)")
                problem = checkpoint_problem(checkpoint, trusted)
                if problem:
                    return broken(problem)
                closed, checkpoints, last_checkpoint = True, checkpoints + 1, checkpoint.as_dict()
            elif remaining:
                remaining -= 1
            else:
                return broken("entry outside any announced segment (entry inserted)")
            if seq in trusted_anchors:
                if trusted_anchors[seq] != entry["hash"]:
                    return broken(f"entry {seq} differs from the anchored checkpoint's head (the log was rebuilt or rewritten)")
                matched += 1
            prev, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
    if remaining:
        return broken(f"log ends {remaining} entries short of what the last segment_start announced (entries deleted)")
    if not closed:
        if trusted is not None:
            return broken("the newest segment ends without a signed checkpoint (its tail was cut)")
        legacy += 1
    beyond = [n for n in trusted_anchors if n >= expected_seq]
    if beyond:
        return broken(f"the log ends at entry {expected_seq - 1}, but a signed checkpoint covers entry {max(beyond)} "
                      "(newest entries or segments deleted)")
    if expected_head is not None and expected_head != prev:
        return broken(f"head {prev} differs from the expected head {expected_head} (newest entries or segments deleted)")
    result = VerifyResult(True, count, prev, checkpoints=checkpoints, anchors=matched, last_checkpoint=last_checkpoint)
    if trusted is None:
        result.notes.append("checkpoint signatures not checked (give the pipeline's verify keys)")
    if legacy:
        result.notes.append(f"{legacy} segment(s) without a checkpoint (written before checkpoints)")
    if not trusted_anchors and expected_head is None:
        result.notes.append("no anchor given: deletion of the newest segments is detectable only against a "
                            "checkpoint held elsewhere (the run report, a partner's file)")
    return result
