"""Bring sealed per-unit flag files into the review store.

Decryption and signature checks belong to ``pipelines.flags.reader.read_flags``; this module only
loads the unit's keys, calls it per file and stores what it returns. A file that fails any check
stops the ingest with an error that names it, and nothing from that file is stored: an analyst
must never review a flag whose origin was not verified.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

__all__ = ["load_keyring", "load_trusted_signers", "expand_flag_paths", "ingest_flag_files",
           "ingest_watchlists"]

#: Suffix of the files the flags stage writes (``flags/<unit_id>/flags-<run_id>.sealed``); other
#: files in a folder are ignored.
FLAG_FILE_SUFFIXES: tuple[str, ...] = (".sealed",)


def load_keyring(paths: Sequence[str | os.PathLike]):
    """The unit's recipient private keys from key files or folders (old generations included)."""
    from pipelines.crypto import Keyring, load_private_keys

    keyring = Keyring()
    for path in paths:
        for key_id in (found := load_private_keys(path)):
            keyring.add(found[key_id])
    return keyring


def load_trusted_signers(paths: Sequence[str | os.PathLike]) -> dict:
    """Verify keys of the pipeline signers the unit trusts, by key id, from files or folders."""
    from pipelines.crypto import is_key_folder, load_verify_key, load_verify_keys

    trusted: dict = {}
    for path in paths:
        if is_key_folder(path):
            trusted.update(load_verify_keys(path))
        else:
            key = load_verify_key(path)
            trusted[key.key_id] = key
    return trusted


def expand_flag_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, folders expanded (recursively) to their flag files, sorted, no repeats."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in FLAG_FILE_SUFFIXES))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def ingest_flag_files(store, paths: Iterable[str | os.PathLike], keyring, trusted_signers,
                      *, analyst: str | None = None, expect_unit: str | None = None) -> dict:
    """Decrypt, verify and store every flag file; returns counts per outcome and files read.

    ``keyring`` and ``trusted_signers`` are what ``pipelines.crypto`` loads (see
    ``load_keyring`` / ``load_trusted_signers``). ``expect_unit`` refuses files sealed for any
    other unit (useful when one keys folder holds several units' keys, as in the demo). Every file
    is opened and checked before anything is stored, so one bad file leaves the store as it was.
    """
    from pipelines.flags.reader import read_flags

    paths = list(paths)
    files = expand_flag_paths(paths)
    if not files:
        raise ValueError("no flag files found in " + ", ".join(map(str, paths)))
    opened = [(path, read_flags(str(path), keyring, trusted_signers, expect_unit=expect_unit)) for path in files]
    totals = {"files": 0, "added": 0, "updated": 0, "unchanged": 0}
    for path, flags in opened:
        counts = store.add_flags(flags, source_file=str(path))
        totals["files"] += 1
        for name, value in counts.items():
            totals[name] += value
        if analyst:
            store.log_access(analyst, "INGEST", None,
                             f"{path.name}: {counts['added']} new, {counts['updated']} updated")
    return totals


def ingest_watchlists(store, paths: Sequence[str | os.PathLike]) -> int:
    """Load the unit's copies of watchlists (Avro or CSV, as screening reads them) for display.

    Flags carry only a reference to the entry; with the list loaded, the detail view shows the
    entry's names, dates of birth and documents beside the traveller.
    """
    from pipelines.screening.lists.watchlist import read_watchlists

    return store.add_entries(read_watchlists([str(path) for path in paths]))
