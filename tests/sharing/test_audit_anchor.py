"""Signed checkpoints anchor the audit log: every attack from the review is caught, and a torn
tail left by a crash is quarantined and repaired instead of blocking later runs."""

from __future__ import annotations

import argparse
import json
import os
import stat

import pytest

from pipelines import crypto
from pipelines.sharing import cli_audit
from pipelines.sharing.audit import (GENESIS, Checkpoint, LocalStore, append_checkpointed, chain, entry_hash,
                                     latest_checkpoint, prepare, repair, segment_names, verify)


@pytest.fixture(scope="module")
def signer():
    return crypto.generate_signing_key("pipeline-signing")


@pytest.fixture(scope="module")
def trusted(signer):
    return {signer.key_id: signer.public_key()}


def _entries(n, start=0):
    return [prepare({"event": "share", "record_id": f"r{start + i}", "recipient": "CAN", "content_hash": f"h{start + i}"})
            for i in range(n)]


def _log(tmp_path, signer, sizes=(3, 2, 2)):
    store = LocalStore(tmp_path / "audit")
    checkpoints = [append_checkpointed(store, _entries(size, index * 10), f"run-{index}", f"2026-11-23T0{index}:00:00Z", signer)
                   for index, size in enumerate(sizes)]
    return store, checkpoints


def _read(store):
    return [json.loads(line) for name in segment_names(store) for line in store.read(name).splitlines()]


def _rewrite_log(store, entries_by_segment):
    for name in segment_names(store):
        (store.directory / name).unlink()
    for name, entries in entries_by_segment:
        (store.directory / name).write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))


def _segments(store):
    return [(name, [json.loads(line) for line in store.read(name).splitlines()]) for name in segment_names(store)]


def test_intact_log_verifies_with_signatures_and_anchors(tmp_path, signer, trusted):
    store, checkpoints = _log(tmp_path, signer)
    result = verify(store, trusted=trusted, anchors=checkpoints)
    assert result.ok and result.checkpoints == 3 and result.anchors == 3
    assert latest_checkpoint(store).head == checkpoints[-1].head
    assert checkpoints[-1].count == (1 + 3 + 1) + (1 + 2 + 1) + (1 + 2)


def test_segments_are_owner_only_and_the_folder_0700_whatever_the_umask(tmp_path, signer):
    old = os.umask(0)
    try:
        store, _ = _log(tmp_path, signer, sizes=(1,))
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    for name in segment_names(store):
        assert stat.S_IMODE((store.directory / name).stat().st_mode) == 0o600


def test_deleting_the_newest_segment_is_caught_by_any_held_checkpoint(tmp_path, signer, trusted):
    store, checkpoints = _log(tmp_path, signer)
    (store.directory / segment_names(store)[-1]).unlink()
    assert verify(store, trusted=trusted).ok  # no chain can show this on its own...
    result = verify(store, trusted=trusted, anchors=[checkpoints[-1]])  # ...the run report's or a partner's checkpoint does
    assert not result.ok and "deleted" in result.reason


def test_cutting_the_tail_and_fixing_the_count_is_caught(tmp_path, signer, trusted):
    store, _ = _log(tmp_path, signer)
    segments = _segments(store)
    name, entries = segments[-1]
    start, body = entries[0], entries[1:-2]          # drop the last entry and the checkpoint
    start = dict(start, entries=len(body))
    prev = segments[-2][1][-1]["hash"]
    relinked = chain([start, *body], prev, start["seq"])
    _rewrite_log(store, [*segments[:-1], (name, relinked)])
    assert verify(store).ok  # the bare chain is consistent again...
    result = verify(store, trusted=trusted)
    assert not result.ok and "without a signed checkpoint" in result.reason
    # keeping the old checkpoint does not help: it covers entries that are gone
    _rewrite_log(store, [*segments[:-1], (name, chain([start, *body, entries[-1]], prev, start["seq"]))])
    assert not verify(store, trusted=trusted).ok


def test_re_hashing_after_an_edit_is_caught(tmp_path, signer, trusted):
    store, _ = _log(tmp_path, signer)
    flat = _read(store)
    flat[2]["recipient"] = "MEX"
    relinked = chain(flat, GENESIS, 1)
    sizes = [len(entries) for _, entries in _segments(store)]
    names = segment_names(store)
    parts, at = [], 0
    for name, size in zip(names, sizes):
        parts.append((name, relinked[at:at + size]))
        at += size
    _rewrite_log(store, parts)
    result = verify(store, trusted=trusted)
    assert not result.ok and "checkpoint" in result.reason


def test_a_log_rebuilt_from_scratch_is_caught(tmp_path, signer, trusted):
    store, checkpoints = _log(tmp_path, signer)
    for name in segment_names(store):
        (store.directory / name).unlink()
    forger = crypto.generate_signing_key("pipeline-signing")  # same name, another key
    append_checkpointed(store, _entries(3), "run-0", "2026-11-23T00:00:00Z", forger)
    result = verify(store, trusted=trusted)
    assert not result.ok and "forged" in result.reason
    for name in segment_names(store):
        (store.directory / name).unlink()
    append_checkpointed(store, _entries(3), "run-0", "2026-11-23T00:00:00Z", crypto.generate_signing_key("mallory"))
    result = verify(store, trusted=trusted)
    assert not result.ok and "not a trusted signer" in result.reason
    for name in segment_names(store):
        (store.directory / name).unlink()
    from pipelines.sharing.audit import append_prepared_segment
    append_prepared_segment(store, _entries(3, 100), "run-0", "2026-11-23T00:00:00Z")  # other entries, no checkpoint
    assert not verify(store, trusted=trusted).ok
    # and an anchor from before shows the rebuild even to a reader without keys
    assert not verify(store, anchors=[checkpoints[0]]).ok


def test_a_forged_anchor_is_refused(tmp_path, signer, trusted):
    store, checkpoints = _log(tmp_path, signer)
    forged = Checkpoint(dict(checkpoints[0].statement, count=1), checkpoints[0].signature)
    result = verify(store, trusted=trusted, anchors=[forged])
    assert not result.ok and "anchor" in result.broken_at


def test_cli_verifies_signatures_and_a_run_report_checkpoint(tmp_path, signer, trusted, capsys):
    store, checkpoints = _log(tmp_path, signer)
    keys = tmp_path / "keys"
    keys.mkdir()
    crypto.save_public_key(signer, keys / crypto.public_key_file_name(signer.key_id))
    report = tmp_path / "run_report.json"
    report.write_text(json.dumps({"audit": {"checkpoint": checkpoints[-1].as_dict()}}))

    def run(*extra):
        return cli_audit.main(argparse.Namespace(action="verify", path=str(store.directory), expect_head=None,
                                                 keys=str(keys), checkpoint=[str(report)], partner_file=list(extra)))
    assert run() == 0 and "3 signed checkpoints" in capsys.readouterr().out
    (store.directory / segment_names(store)[-1]).unlink()
    assert run() == 1 and "deleted" in capsys.readouterr().err


# -- crash recovery ------------------------------------------------------------------------------

def test_a_torn_tail_is_quarantined_with_a_message_and_the_log_continues(tmp_path, signer, trusted):
    store, _ = _log(tmp_path, signer, sizes=(2, 3))
    newest = store.directory / segment_names(store)[-1]
    text = newest.read_text()
    newest.write_text(text[: len(text) - 40])  # SIGKILL while the last line was written
    assert not verify(store, trusted=trusted).ok
    messages = repair(store)
    assert len(messages) == 1 and "torn" in messages[0] and "quarantine" in messages[0]
    assert len(list((store.directory / "quarantine").iterdir())) == 2  # the bytes and the reason
    assert verify(store, trusted=trusted).ok  # back to the previous segment
    append_checkpointed(store, _entries(1, 50), "run-9", "2026-11-24T00:00:00Z", signer, {"repairs": messages})
    result = verify(store, trusted=trusted)
    assert result.ok and result.checkpoints == 2
    assert repair(store) == []


def test_a_temporary_segment_of_a_killed_writer_is_removed(tmp_path, signer, trusted):
    store, _ = _log(tmp_path, signer, sizes=(1,))
    (store.directory / ".tmp-123-000000000004-run-1.jsonl.part").write_text('{"event":')
    assert "never published" in repair(store)[0]
    assert verify(store, trusted=trusted).ok and not list(store.directory.glob(".tmp-*"))


def test_entry_hashes_are_canonical(tmp_path, signer):
    store, _ = _log(tmp_path, signer, sizes=(1,))
    assert all(entry["hash"] == entry_hash(entry) for entry in _read(store))
