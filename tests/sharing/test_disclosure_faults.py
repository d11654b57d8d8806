"""Random-kill fault test of the write-ahead disclosure: the process is SIGKILLed at random I/O
points (after a write, before an fsync, before a rename, between partner files...), re-run, and
after every re-run each record a partner holds has exactly one ``share`` entry, the chain and its
signed checkpoints verify, and no staging or temporary file is left.

The kill points are the ``audit.fault_point`` calls that every durable write of the disclosure
path goes through (``write_atomic``: after the write, after the fsync, after the rename; the
commit: before the segment, before each partner file, before removing the staging folder). A
forked child runs the same functions the Beam transforms call (``output.container``,
``output.seal_bytes``, ``disclose.stage``, ``disclose.commit``) and kills itself at the N-th point.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pipelines import crypto
from pipelines.sharing import audit, disclose, output
from pipelines.sharing.audit import LocalStore, disclosure_key, prepare, verify
from pipelines.sharing.engine import SharingEngine
from sharing_samples import default_arrangements, secrets_for, traveller

SEED = int(os.environ.get("PAXSHARE_FAULT_SEED", "20261207"))
KILLS_PER_RUN = int(os.environ.get("PAXSHARE_FAULT_KILLS", "24"))
SHARDS = 2
ARRANGEMENTS = default_arrangements()
ENGINE = SharingEngine(ARRANGEMENTS, secrets_for(ARRANGEMENTS))
ROUTES = [("LAX", "MEX"), ("JFK", "YYZ"), ("ORD", "LAX", "MEX"), ("YVR", "SEA"), ("MEX", "YYZ")]


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    public = {}
    for code in ("USA", "CAN", "MEX"):
        key = crypto.generate_recipient_key(code)
        crypto.save_private_key(key, folder / crypto.private_key_file_name(code))
        public[code] = key.public_key()
    signer = crypto.generate_signing_key(disclose.SIGNING_KEY_NAME)
    return {"public": public, "signer": signer, "trusted": {signer.key_id: signer.public_key()},
            "keyring": crypto.load_private_keys(folder)}


def _travellers(first, last):
    return [traveller(f"M{i}/1", ROUTES[i % len(ROUTES)], surname=f"NAME{i}") for i in range(first, last)]


def _disclose(out: Path, keys, run_id: str, travellers) -> None:
    """One run of the disclosure path, as the Beam transforms do it."""
    _disclose_shares(out, keys, run_id, [share for t in travellers for share in ENGINE.share_traveller(
        t, flagged=True, run_id=run_id, shared_at="2026-11-23T12:00:00Z")])


def _disclose_shares(out: Path, keys, run_id: str, shares) -> None:
    """Stage, log and publish ``shares`` (records or withdrawal notices) as one run."""
    files = defaultdict(list)
    for share in shares:
        shared = share.record
        kind = shared["data_kind"]
        key = (shared["recipient"], output.shard_of(shared["record_id"], SHARDS))
        files[key].append(((shared["arrangement_id"], kind, shared["record_id"]), output.record_bytes(shared),
                           ((shared["recipient"], shared["arrangement_id"], kind, shared["record_id"]),
                            prepare(share.audit), disclosure_key(share.audit), shared["content_hash"])))
    staged = []
    for recipient in ("CAN", "MEX", "USA"):
        for shard in range(SHARDS):
            records = sorted(files.get((recipient, shard), []))
            name = output.file_name(recipient, run_id, shard, SHARDS)
            envelope = output.seal_bytes(output.container([data for _, data, _ in records]), keys["public"][recipient],
                                         recipient, name, keys["signer"])
            staged.append(disclose.stage(str(out), run_id, name, recipient, envelope, [a for _, _, a in records]))
    disclose.commit(str(out), LocalStore(out / "audit"), staged, run_id, "2026-11-23T12:00:00Z", keys["signer"])


def _killed_at(point: int, out: Path, keys, run_id: str, travellers) -> bool:
    """Run in a forked child that SIGKILLs itself at the ``point``-th fault point; True if it died."""
    pid = os.fork()
    if pid == 0:  # child
        try:
            audit._FAULT.update(at=point, count=0)
            _disclose(out, keys, run_id, travellers)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def _count_points(out: Path, keys, run_id, travellers) -> int:
    audit._FAULT.update(at=10**9, count=0)
    try:
        _disclose(out, keys, run_id, travellers)
        return audit.fault_points_reached()
    finally:
        audit._FAULT.update(at=0, count=0)


def _check(out: Path, keys) -> int:
    """The invariants after a completed run; returns the number of partner records."""
    store = LocalStore(out / "audit")
    result = verify(store, trusted=keys["trusted"])
    assert result.ok, str(result)
    shares = Counter()
    for name in audit.segment_names(store):
        for line in store.read(name).splitlines():
            entry = __import__("json").loads(line)
            if entry["event"] in audit.DISCLOSURE_EVENTS:  # a record shared, or a withdrawal notice
                shares[disclosure_key(entry)] += 1
    held = 0
    for path in sorted((out / "partners").glob("*/*" + output.SEALED_SUFFIX)):
        name = str(path.relative_to(out))
        manifest, records = output.open_partner_file(path.read_bytes(), keys["keyring"], keys["trusted"],
                                                     path.parent.name, name)
        verify(store, trusted=keys["trusted"], anchors=[audit.Checkpoint.from_dict(manifest["checkpoint"])])
        for record in records:
            import hashlib

            key = (record["recipient"], record["arrangement_id"], record["record_id"],
                   hashlib.sha256(record["payload_json"].encode()).hexdigest())
            assert shares[key] == 1, f"{name}: record {record['record_id']} has {shares[key]} first disclosure entries"
            held += 1
    assert not (out / disclose.STAGING).exists() or not any((out / disclose.STAGING).rglob("*.sealed"))
    assert not list(out.rglob(".tmp-*"))
    return held


def _visible_files_are_logged(out: Path, keys) -> None:
    """Right after a kill, before any repair: every published partner file's records are logged."""
    store = LocalStore(out / "audit")
    logged = set()
    for name in audit.segment_names(store):
        for line in store.read(name).splitlines():
            if line.endswith("}"):
                entry = __import__("json").loads(line)
                logged.add(entry.get("content_hash"))
    for path in sorted((out / "partners").glob("*/*" + output.SEALED_SUFFIX)):
        _, records = output.open_partner_file(path.read_bytes(), keys["keyring"], keys["trusted"],
                                              path.parent.name, str(path.relative_to(out)))
        assert {r["content_hash"] for r in records} <= logged, f"{path.name} is visible before its audit entries"


def _points(total: int, rng: random.Random) -> list[int]:
    chosen = {1, total}
    chosen.update(rng.sample(range(2, total), min(KILLS_PER_RUN, total - 2)))
    return sorted(chosen)


def test_random_kills_then_re_runs_leave_one_disclosure_entry_per_partner_record(tmp_path, keys):
    rng = random.Random(SEED)
    first, second = _travellers(0, 12), _travellers(6, 20)  # the second run re-sends six travellers
    baseline = tmp_path / "baseline"
    total_first = _count_points(baseline, keys, "run-a", first)
    clean = _check(baseline, keys)
    assert total_first >= 20 and clean > 0
    after_first = tmp_path / "after-first"
    shutil.copytree(baseline, after_first)
    total_second = _count_points(tmp_path / "probe", keys, "run-b", second)  # a fresh log: same points
    assert total_second >= 20

    kills = 0
    for run_id, travellers, start, total in (("run-a", first, None, total_first), ("run-b", second, after_first, total_second)):
        for point in _points(total, rng):
            out = tmp_path / f"{run_id}-kill-{point}"
            if start is not None:
                shutil.copytree(start, out)
            kills += _killed_at(point, out, keys, run_id, travellers)
            _visible_files_are_logged(out, keys)
            _disclose(out, keys, run_id, travellers)   # the re-run after the crash
            _check(out, keys)
            _disclose(out, keys, run_id, travellers)   # and a clean re-run logs re-sends only
            _check(out, keys)
    assert kills >= 2 * 20, f"only {kills} kills landed (seed {SEED})"
