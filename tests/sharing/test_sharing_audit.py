"""The hash-chained audit log: verification passes, and every kind of tampering is named."""

from __future__ import annotations

import argparse
import json

import pytest
from hypothesis import given, settings, strategies as st

from pipelines.sharing import cli_audit
from pipelines.sharing.audit import LocalStore, append_segment, segment_names, verify


def _entries(n, start=0):
    return [{"event": "share", "record_id": f"r{start + i}", "recipient": "CAN", "fields_sent": ["person.surname"]}
            for i in range(n)]


def _log(tmp_path, sizes=(3, 2)):
    store = LocalStore(tmp_path / "audit")
    for index, size in enumerate(sizes):
        append_segment(store, _entries(size, index * 10), f"run-{index}", "2026-11-23T00:00:00Z")
    return store


def _lines(store, name):
    return store.read(name).splitlines()


def _rewrite(store, name, lines):
    (store.directory / name).write_text("".join(line + "\n" for line in lines))


def test_intact_log_verifies_and_cli_says_ok(tmp_path, capsys):
    store = _log(tmp_path)
    result = verify(store)
    assert result.ok and result.entries == 3 + 2 + 2  # two segment_start entries
    assert cli_audit.main(argparse.Namespace(action="verify", path=str(tmp_path), expect_head=None)) == 0
    assert "OK" in capsys.readouterr().out


def test_edited_entry_is_named(tmp_path, capsys):
    store = _log(tmp_path)
    name = segment_names(store)[0]
    lines = _lines(store, name)
    entry = json.loads(lines[2])
    entry["recipient"] = "MEX"
    lines[2] = json.dumps(entry, sort_keys=True)
    _rewrite(store, name, lines)
    result = verify(store)
    assert not result.ok and result.broken_at == f"{name}:3 (seq 3)" and "edited" in result.reason
    assert cli_audit.main(argparse.Namespace(action="verify", path=str(store.directory), expect_head=None)) == 1
    assert f"{name}:3" in capsys.readouterr().err


def test_deleted_entry_is_detected(tmp_path):
    store = _log(tmp_path)
    name = segment_names(store)[0]
    lines = _lines(store, name)
    del lines[1]
    _rewrite(store, name, lines)
    result = verify(store)
    assert not result.ok and "seq 3" in result.broken_at


def test_deleted_last_entry_is_detected_by_the_segment_count(tmp_path):
    store = _log(tmp_path)
    name = segment_names(store)[-1]
    _rewrite(store, name, _lines(store, name)[:-1])
    assert not verify(store).ok


def test_reordered_entries_are_detected(tmp_path):
    store = _log(tmp_path)
    name = segment_names(store)[0]
    lines = _lines(store, name)
    lines[1], lines[2] = lines[2], lines[1]
    _rewrite(store, name, lines)
    result = verify(store)
    assert not result.ok and result.broken_at.startswith(f"{name}:2")


def test_deleted_middle_segment_and_newest_segment(tmp_path):
    store = _log(tmp_path, sizes=(2, 2, 2))
    head = verify(store).head
    names = segment_names(store)
    (store.directory / names[1]).unlink()
    assert not verify(store).ok
    store = _log(tmp_path / "b", sizes=(2, 2))
    head = verify(store).head
    (store.directory / segment_names(store)[-1]).unlink()
    assert verify(store).ok  # undetectable without an anchor...
    assert not verify(store, expected_head=head).ok  # ...caught against the recorded head


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.data())
def test_property_any_single_edit_delete_or_swap_is_detected(tmp_path_factory, sizes, data):
    store = _log(tmp_path_factory.mktemp("audit"), sizes=tuple(sizes))
    names = segment_names(store)
    name = data.draw(st.sampled_from(names))
    lines = _lines(store, name)
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["edit", "delete", "swap"]))
    if action == "edit":
        entry = json.loads(lines[index])
        entry["tampered"] = True
        lines[index] = json.dumps(entry)
    elif action == "delete":
        del lines[index]
    else:
        if len(lines) < 2:
            return
        other = (index + 1) % len(lines)
        lines[index], lines[other] = lines[other], lines[index]
    _rewrite(store, name, lines)
    assert not verify(store).ok


def test_segments_are_never_overwritten(tmp_path):
    store = _log(tmp_path, sizes=(1,))
    with pytest.raises(FileExistsError):
        store.create(segment_names(store)[0], "x")


# -- prepared entries (the pipeline's fast path) must chain exactly like chain() ---------------

_values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                    st.lists(st.text(max_size=6), max_size=3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=8), _values, max_size=6), max_size=5))
def test_prepared_entries_chain_like_chain(entries):
    from pipelines.sharing.audit import GENESIS, chain, link_prepared, prepare

    try:
        prepared = [prepare(e) for e in entries]
    except ValueError:  # an entry holding the reserved marker: the fast path refuses it
        return
    lines, head_hash = link_prepared(prepared, GENESIS, 5)
    linked = chain(entries, GENESIS, 5)
    assert [json.loads(line) for line in lines] == linked
    assert head_hash == (linked[-1]["hash"] if linked else GENESIS)


def test_prepared_segment_verifies_and_mixes_with_plain_segments(tmp_path):
    from pipelines.sharing.audit import append_prepared_segment, prepare

    store = LocalStore(tmp_path / "audit")
    append_segment(store, _entries(2), "run-0", "2026-11-23T00:00:00Z")
    name, new_head = append_prepared_segment(store, [prepare(e) for e in _entries(3, 10)], "run-1", "2026-11-23T01:00:00Z")
    append_segment(store, _entries(1, 20), "run-2", "2026-11-23T02:00:00Z")
    assert name.startswith("000000000004-")
    result = verify(store)
    assert result.ok and result.entries == 3 + 4 + 2
    # tampering with a prepared line is caught like any other
    path = tmp_path / "audit" / name
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace('"r11"', '"r99"')
    path.write_text("\n".join(lines) + "\n")
    broken = verify(store)
    assert not broken.ok and broken.broken_at.startswith(f"{name}:3")


def test_writers_appending_at_once_keep_one_chain(tmp_path, monkeypatch):
    """Two window firings of a stream may commit at the same moment. Each reads the head and then
    writes the segment after it: without one writer at a time both would link to the same head
    and the log would fork (two segments at one seq, and verify fails from there on)."""
    import threading
    import time

    from pipelines.sharing import audit

    store = LocalStore(tmp_path / "audit")
    read_head = audit.head

    def slow_head(s):  # widen the window between reading the head and writing after it
        found = read_head(s)
        time.sleep(0.05)
        return found

    monkeypatch.setattr(audit, "head", slow_head)
    errors = []

    def writer(index):
        try:
            for round_ in range(3):
                with audit.one_writer(store):
                    append_segment(store, _entries(2, index * 100 + round_ * 10), f"w{index}-{round_}",
                                   "2026-11-23T00:00:00Z")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = verify(store)
    assert result.ok, result
    assert result.entries == 4 * 3 * 3  # 12 segments of a segment_start and 2 entries
    assert len({name[:12] for name in segment_names(store)}) == 12


def test_a_fork_is_named(tmp_path):
    store = _log(tmp_path, sizes=(2,))
    first = segment_names(store)[0]
    (store.directory / first.replace("run-0", "run-x")).write_text(store.read(first))
    result = verify(store)
    assert not result.ok and "two segments start at seq 1" in result.reason


def _share(record_id, payload="ab" * 32):
    return {"event": "share", "recipient": "CAN", "arrangement_id": "a1", "record_id": record_id,
            "payload_sha256": payload}


class _CountingStore(LocalStore):
    def __init__(self, directory):
        super().__init__(directory)
        self.reads = []

    def read(self, name):
        self.reads.append(name)
        return super().read(name)


def test_the_disclosure_index_reads_each_segment_once_per_process(tmp_path):
    """A stream commits every window: the resend index must not re-read the whole log each time."""
    from pipelines.sharing.audit import disclosed, disclosure_key

    store = _CountingStore(tmp_path / "audit")
    append_segment(store, [_share("r1"), _share("r2")], "w1", "2026-11-23T00:00:00Z")
    first = disclosed(store)
    assert disclosure_key(_share("r1")) in first and first[disclosure_key(_share("r2"))] == 3
    assert disclosure_key(_share("r1", "cd" * 32)) not in first  # another payload: a new disclosure
    append_segment(store, [_share("r3")], "w2", "2026-11-23T00:01:00Z")
    store.reads.clear()
    second = disclosed(store)
    assert store.reads == segment_names(store)  # the one it read last (unchanged?) and the new one
    assert len(second) == 3 and second[disclosure_key(_share("r3"))] == 5
    # a fresh process (no cache) finds the same
    from pipelines.sharing import audit
    audit._DISCLOSURES.clear()
    assert len(disclosed(store)) == 3


def _torn(store, name):
    lines = _lines(store, name)
    _rewrite(store, name, lines[:-1] + [lines[-1][:20]])  # a killed writer's segment
    from pipelines.sharing.audit import repair
    assert repair(store)  # quarantined


def _replaced(store, name):  # another process quarantined it and its re-run wrote one of the same name
    (store.directory / name).unlink()
    append_segment(store, [_share("r9")], "w2", "2026-11-23T00:02:00Z")
    assert segment_names(store)[-1] == name


@pytest.mark.parametrize("change", [_torn, _replaced])
def test_the_disclosure_index_forgets_a_segment_that_left_the_log(tmp_path, change):
    from pipelines.sharing.audit import disclosed, disclosure_key

    store = LocalStore(tmp_path / "audit")
    append_segment(store, [_share("r1")], "w1", "2026-11-23T00:00:00Z")
    append_segment(store, [_share("r2")], "w2", "2026-11-23T00:01:00Z")
    assert disclosure_key(_share("r2")) in disclosed(store)
    change(store, segment_names(store)[-1])
    index = disclosed(store)
    assert disclosure_key(_share("r1")) in index and disclosure_key(_share("r2")) not in index
    assert (disclosure_key(_share("r9")) in index) == (change is _replaced)
