"""The sharing audit log: append-only, hash-chained JSON Lines.

Every disclosure (and every later masking or deletion by ``paxshare retention``) is one entry.
Entries carry ``seq`` (1, 2, 3... with no gap), ``prev`` (the previous entry's hash; 64 zeros for
the first) and ``hash`` (SHA-256 over the entry's canonical JSON without ``hash``). Editing an
entry breaks its hash, deleting or reordering one breaks ``seq`` and ``prev`` of the next.

The log is a directory of *segments*, one file per run (``000000000001-RUN.jsonl``, named by the
first seq it holds), so it can live on object stores that cannot append: a run writes one new
segment that starts with a ``segment_start`` entry (run id, time, number of entries that follow)
and links to the previous segment's last hash. Truncating a segment is caught by that count;
dropping the newest segment whole is caught only against a head kept elsewhere (``verify(...,
expected_head=...)``; each run prints its head and the pipeline records it in the run report).

Many entries (one per disclosure) are cheap to chain: ``prepare`` turns an entry into its canonical
JSON split where ``prev`` and ``seq`` go, wherever the entry is made (in parallel); the single
sequential writer (``append_prepared_segment``) then only fills in ``prev`` and ``seq``, hashes
and writes each line, with no JSON encoding. The lines it writes are canonical JSON with ``hash``
appended; ``verify`` accepts any JSON layout, since it re-hashes the parsed entry.

Storage is behind ``Store`` (list, read, create) so the Beam writer can use Beam FileSystems; this
module never imports Beam.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
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
    def list(self) -> list[str]: ...
    def read(self, name: str) -> str: ...
    def create(self, name: str, text: str) -> None: ...


class LocalStore:
    """An audit directory on the local disk."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def list(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.is_file())

    def read(self, name: str) -> str:
        return (self.directory / name).read_text(encoding="utf-8")

    def create(self, name: str, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)  # never overwrite a segment
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


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


def append_segment(store: Store, entries: list[dict], run_id: str, time_utc: str, extra: dict | None = None) -> tuple[str, str]:
    """Append one segment holding ``entries`` (in the given order); returns (segment name, new head hash)."""
    last_seq, last_hash = head(store)
    safe_run = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) or "run"
    start = {"event": "segment_start", "run_id": run_id, "time_utc": time_utc, "entries": len(entries)}
    if extra:
        start.update(extra)
    linked = chain([start, *entries], last_hash, last_seq + 1)
    name = f"{last_seq + 1:012d}-{safe_run}.jsonl"
    store.create(name, "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in linked))
    return name, linked[-1]["hash"]


def append_prepared_segment(store: Store, prepared: list[tuple[str, str, str]], run_id: str, time_utc: str,
                            extra: dict | None = None) -> tuple[str, str]:
    """``append_segment`` for entries already passed through ``prepare`` (in the given order)."""
    last_seq, last_hash = head(store)
    safe_run = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) or "run"
    start = {"event": "segment_start", "run_id": run_id, "time_utc": time_utc, "entries": len(prepared)}
    if extra:
        start.update(extra)
    lines, new_head = link_prepared([prepare(start), *prepared], last_hash, last_seq + 1)
    name = f"{last_seq + 1:012d}-{safe_run}.jsonl"
    store.create(name, "".join(lines))
    return name, new_head


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    broken_at: str = ""     # "FILE:LINE (seq N)"
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.entries} entries, head {self.head}"
        return f"BROKEN at {self.broken_at}: {self.reason}"


def verify(store: Store, expected_head: str | None = None) -> VerifyResult:
    """Check every segment in order; names the first entry where the chain breaks."""
    expected_seq, prev = 1, GENESIS
    remaining = 0       # entries a segment_start announced and not yet seen
    count = 0
    where = ""
    names = segment_names(store)
    for name in names:
        if remaining:
            return VerifyResult(False, count, prev, where, f"segment ended {remaining} entries short of what its segment_start announced (entries deleted)")
        for number, line in enumerate(store.read(name).splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{name}:{number}"
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return VerifyResult(False, count, prev, where, "not a JSON entry")
            seq = entry.get("seq")
            where = f"{name}:{number} (seq {seq})"
            if entry.get("hash") != entry_hash(entry):
                return VerifyResult(False, count, prev, where, "entry hash does not match its content (entry edited)")
            if seq != expected_seq:
                return VerifyResult(False, count, prev, where, f"expected seq {expected_seq}, found {seq} (entry deleted, inserted or reordered)")
            if entry.get("prev") != prev:
                return VerifyResult(False, count, prev, where, "prev does not match the previous entry's hash (chain broken)")
            if entry.get("event") == "segment_start":
                if remaining:
                    return VerifyResult(False, count, prev, where, f"new segment started {remaining} entries early (entries deleted)")
                remaining = int(entry.get("entries", 0))
            elif remaining:
                remaining -= 1
            else:
                return VerifyResult(False, count, prev, where, "entry outside any announced segment (entry inserted)")
            prev, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
    if remaining:
        return VerifyResult(False, count, prev, where or "(end)", f"log ends {remaining} entries short of what the last segment_start announced (entries deleted)")
    if expected_head is not None and expected_head != prev:
        return VerifyResult(False, count, prev, "(end)", f"head {prev} differs from the expected head {expected_head} (newest entries or segments deleted)")
    return VerifyResult(True, count, prev)
