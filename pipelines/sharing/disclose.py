"""Write-ahead disclosure: audit entries are durable before a partner file becomes visible.

A disclosure happens in three steps, and a crash at any point leaves a state the next run
repairs without blocking and without losing or doubling an entry:

1. **stage** (``stage``, in parallel, one call per partner file): the Avro records are sealed to
   the partner's key and signed, and the envelope (ciphertext only) is written under
   ``OUTPUT/.staging/<run>/``, which no partner transfer reads;
2. **log** (``commit``, one writer): a torn newest audit segment left by an earlier crash is
   quarantined (``audit.repair``); each entry whose record was already disclosed to the same
   recipient under the same arrangement with the same payload becomes a ``resend`` entry naming
   the first disclosure's seq; the run's segment, closed by a checkpoint signed with the
   pipeline's Ed25519 key, is written whole and fsynced (``audit.append_checkpointed``);
3. **publish** (``commit``): each staged envelope becomes its final partner file, wrapped in a
   signed manifest carrying the checkpoint and the seq and content hash of each record's entry
   (``output.partner_file``), written atomically (temporary file, fsync, rename, fsync of the
   folder); the staging folder is removed (in a stream, only these files' staged copies).

Crash before 2 completes: nothing is visible, nothing is logged; the staging files are ciphertext
and the next run replaces them. Crash during 3: every record in a published file has its entry; a
re-run logs the rest as re-sends of the first entries. So after any crash and a re-run, every
record a partner holds has exactly one ``share`` entry and the chain verifies.

No Beam import: local paths use the OS directly (fsync, rename); other filesystems (object stores,
which publish an object whole when it is closed) go through :mod:`pipelines.storage`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import storage
from pipelines.sharing import audit, output

#: Name of the pipeline's Ed25519 signing key in the keys folder (the one flags are signed with).
SIGNING_KEY_NAME = "pipeline-signing"
STAGING = ".staging"


def _local(path: str) -> bool:
    return not storage.has_scheme(path)


def _join(root: str, *parts: str) -> str:
    return str(root).rstrip("/") + "/" + "/".join(parts)


def write_file(path: str, data: bytes, mode: int = 0o600) -> None:
    """Write a file atomically and durably (local), or as one object (other filesystems)."""
    if _local(path):
        audit.write_atomic(path, data, mode)
        return
    storage.write_bytes(path, data)


def read_file(path: str) -> bytes:
    return storage.read_bytes(path)


def delete_tree(path: str) -> None:
    if _local(path):
        shutil.rmtree(path, ignore_errors=True)
        return
    for found in storage.match(path.rstrip("/") + "/**"):
        storage.delete(found)


def staging_dir(output_dir: str, run_id: str) -> str:
    return _join(output_dir, STAGING, output.safe(run_id))


@dataclass
class StagedFile:
    """A partner file sealed and staged, not yet visible. ``entries``: its audit entries as
    ``(sort key, prepared entry, disclosure key or None, content hash or None)``; ``records``:
    the content hashes of the records it holds (the entries' by default); ``remove``: the final
    file is to be deleted instead (retention left nothing in it)."""

    name: str
    staged: str
    recipient: str
    entries: list = field(default_factory=list)
    records: list | None = None
    remove: bool = False


def stage(output_dir: str, run_id: str, name: str, recipient: str, envelope: bytes, entries: list,
          records: list | None = None) -> StagedFile:
    """Write a sealed envelope to the run's staging folder (step 1)."""
    staged = _join(staging_dir(output_dir, run_id), name)
    write_file(staged, envelope)
    return StagedFile(name, staged, recipient, list(entries), records)


@dataclass
class CommitResult:
    checkpoint: audit.Checkpoint
    files: list
    shares: int
    resends: int
    repairs: list


def commit(output_dir: str, store: audit.Store, staged: list[StagedFile], run_id: str, time_utc: str,
           signer, resends: bool = True, shared_staging: bool = False) -> CommitResult:
    """Steps 2 and 3: log every staged file's entries (write-ahead), then publish the files.
    Then the run's staging folder goes, with any partial write a crash left there; with
    ``shared_staging`` (a stream, where later firings of a window stage beside this one) only the
    staged copies of these files go.

    One writer from the resend index to the last published file (``audit.one_writer``): a writer
    beside it would link its segment to the same head, or remove this one's half-written files as
    a crash's leftovers."""
    with audit.one_writer(store):
        repairs = audit.repair(store)
        for folder in sorted({str(Path(_join(output_dir, f.name)).parent) for f in staged if _local(output_dir)}):
            audit.remove_partial_writes(folder)  # a publish killed half-way: the file itself is re-published below
        prepared, owners, shares, resent = _entries_to_log(staged, audit.disclosed(store) if resends else {})
        audit.fault_point("before the audit segment")
        checkpoint = audit.append_checkpointed(store, prepared, run_id, time_utc, signer,
                                               {"repairs": repairs} if repairs else None)
        published = _publish(output_dir, staged, run_id, checkpoint, owners, signer)
    audit.fault_point("before removing the staging folder")
    if shared_staging:
        remove_staged(staged)
    else:
        delete_tree(staging_dir(output_dir, run_id))
    return CommitResult(checkpoint, published, shares, resent, repairs)


def _entries_to_log(staged: list[StagedFile], index: dict) -> tuple[list, list, int, int]:
    """The staged files' audit entries in log order, a re-sent disclosure (in ``index``, the log's
    earlier disclosures) turned into a ``resend``; with each entry's (file position, record hash)."""
    ordered = sorted(((entry[0], position, entry) for position, f in enumerate(staged) for entry in f.entries),
                     key=lambda item: (item[0], item[1]))
    prepared, owners, shares, resent = [], [], 0, 0
    for _, position, (_, entry, key, content) in ordered:
        if key is not None and key in index:
            entry = audit.as_resend(entry, index[key])
            resent += 1
        elif key is not None:
            shares += 1
        prepared.append(entry)
        owners.append((position, content))
    return prepared, owners, shares, resent


def _publish(output_dir: str, staged: list[StagedFile], run_id: str, checkpoint: audit.Checkpoint,
             owners: list, signer) -> list[str]:
    """Each staged file published (or removed) with its manifest: the checkpoint that logged it and
    the seq of each of its records' disclosures."""
    first_entry = checkpoint.first_seq + 1  # after segment_start
    seq_of: dict[int, dict] = {}
    for offset, (position, content) in enumerate(owners):
        if content is not None:
            seq_of.setdefault(position, {})[content] = first_entry + offset
    published = []
    for position, f in enumerate(staged):
        final = _join(output_dir, f.name)
        audit.fault_point("publish " + f.name)
        if f.remove:
            if storage.exists(final):
                storage.delete(final)
            continue
        hashes = f.records if f.records is not None else [content for _, _, _, content in f.entries if content]
        seqs = seq_of.get(position, {})
        manifest = {
            "recipient": f.recipient, "file": Path(f.name).name, "run_id": run_id, "records": len(hashes),
            "checkpoint": checkpoint.as_dict(),
            "disclosures": sorted(([seqs.get(h), h] for h in hashes), key=lambda d: (d[0] or 0, d[1])),
        }
        write_file(final, output.partner_file(manifest, read_file(f.staged), signer))
        published.append(final)
    return published


def remove_staged(staged: list[StagedFile]) -> None:
    """Removes the staged copies of the files just published, and their staging folders once empty.
    Only these files: in a stream, another firing of the same window may be staging beside them."""
    for f in staged:
        if storage.exists(f.staged):
            storage.delete(f.staged)
    for name in sorted({str(Path(f.staged).parent) for f in staged if _local(f.staged)}, key=len, reverse=True):
        folder = Path(name)
        while folder.name != STAGING and folder != folder.parent:  # up to, not including, .staging/
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (another firing's files), or already gone
            folder = folder.parent


def clear_stale_staging(output_dir: str) -> None:
    """Staging folders of runs that died (ciphertext only, never visible): removed."""
    delete_tree(_join(output_dir, STAGING))
