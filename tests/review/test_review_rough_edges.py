"""What a new analyst hit first: missing databases, id prefixes, pipes, usage lines, re-ingests."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from conftest import add_test_users
from review_factories import sample_flags

from pipelines.cli import main
from pipelines.review.charts import count_ticks
from pipelines.review.store import ReviewError, ReviewStore


def review(*argv: str) -> int:
    return main(["review", *argv])


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "review.sqlite"
    store = ReviewStore(str(path))
    store.add_flags(sample_flags())
    add_test_users(store)
    store.close()
    return str(path)


@pytest.mark.parametrize("command", [["list"], ["serve"], ["show", "p1"], ["log"]])
def test_a_missing_database_is_refused_not_created(tmp_path, capsys, command):
    path = tmp_path / "typo.sqlite"
    assert review(*command, "--db", str(path), "--analyst", "ana") == 2
    err = capsys.readouterr().err
    assert f"no review database at {path}" in err and "paxshare review init" in err
    assert not path.exists()


def test_a_database_in_a_missing_folder_is_one_clear_line(tmp_path, capsys):
    path = tmp_path / "nowhere" / "review.sqlite"
    assert review("init", "--db", str(path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"folder {path.parent} does not exist" in err
    assert "Traceback" not in err


def test_init_creates_the_database_readable_by_its_owner_only(tmp_path, capsys):
    path = tmp_path / "review.sqlite"
    old = os.umask(0o022)
    try:
        assert review("init", "--db", str(path)) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store = ReviewStore(str(path), create=False)
    add_test_users(store, ["ana"])
    store.close()
    assert review("list", "--db", str(path), "--analyst", "ana") == 0
    assert "No flags to show." in capsys.readouterr().out


def test_an_existing_database_readable_by_others_is_tightened(tmp_path, capsys):
    path = tmp_path / "review.sqlite"
    ReviewStore(str(path)).close()
    path.chmod(0o644)
    ReviewStore(str(path), create=False).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "now 0600" in capsys.readouterr().err


def test_a_postgres_url_without_tables_is_refused_without_create(monkeypatch):
    url = os.environ.get("PAXSHARE_TEST_DATABASE_URL")
    if not url:
        pytest.skip("set PAXSHARE_TEST_DATABASE_URL to test on PostgreSQL")
    import sqlalchemy as sa
    from pipelines.review.store import database_url, metadata

    engine = sa.create_engine(database_url(url))
    metadata.drop_all(engine)
    engine.dispose()
    with pytest.raises(ReviewError, match="holds no review database yet"):
        ReviewStore(url, create=False)


def test_unique_prefixes_open_flags_as_git_does(tmp_path, capsys):
    store = ReviewStore(str(tmp_path / "r.sqlite"))
    store.add_flags([dict(sample_flags()[0], flag_id="abcd1234ffff"), dict(sample_flags()[1], flag_id="abce9999"),
                     dict(sample_flags()[2], flag_id="abcd12_x")])
    add_test_users(store, ["ana"])
    assert store.resolve_flag_id("abcd1234") == "abcd1234ffff"
    assert store.resolve_flag_id("abce") == "abce9999"
    assert store.resolve_flag_id("abcd12_x") == "abcd12_x"
    with pytest.raises(ReviewError, match="ambiguous"):
        store.resolve_flag_id("abcd")
    with pytest.raises(ReviewError, match="at least 4 characters"):
        store.resolve_flag_id("abc")
    with pytest.raises(ReviewError, match="no flag with id 'zzzz'"):
        store.resolve_flag_id("zzzz")
    store.close()
    db = str(tmp_path / "r.sqlite")
    assert review("show", "abce", "--db", db, "--analyst", "ana") == 0
    assert "flag abce9999" in capsys.readouterr().out
    assert review("decide", "abcd1234", "--disposition", "refer-secondary", "--note", "check",
                  "--db", db, "--analyst", "ana") == 0
    assert "for abcd1234ffff" in capsys.readouterr().out


def test_the_list_hint_works_as_printed(db, capsys):
    assert review("list", "--db", db, "--analyst", "ana", "--show", "all") == 0
    hint = capsys.readouterr().out.splitlines()[-1]
    assert f"paxshare review show FLAG --db {db} --analyst ana" in hint


def test_a_closed_pipe_ends_quietly(db):
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "review", "show", "p1", "--db", db,
                                "--analyst", "ana"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader (`| head`) is gone before anything is written
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_port_has_help_and_a_wrong_option_names_its_command(capsys):
    with pytest.raises(SystemExit):
        review("serve", "--help")
    assert "TCP port to listen on" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        review("list", "--bogus")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: paxshare review list") and "--bogus" in err


def test_the_same_flags_from_a_later_run_are_unchanged(sqlite_store):
    flags = sample_flags()
    assert sqlite_store.add_flags(flags)["added"] == len(flags)
    again = [dict(flag, run_id="run-2", created_utc="2026-11-24T00:00:00Z") for flag in flags]
    assert sqlite_store.add_flags(again) == {"added": 0, "updated": 0, "unchanged": len(flags)}
    changed = [dict(flags[0], score=0.5)]
    assert sqlite_store.add_flags(changed) == {"added": 0, "updated": 1, "unchanged": 0}


def test_chart_axes_have_round_ticks():
    assert count_ticks(0) == [0, 1]
    assert count_ticks(6) == [0, 1, 2, 3, 4, 5, 6]
    assert count_ticks(7) == [0, 2, 4, 6, 8]
    assert count_ticks(130) == [0, 50, 100, 150]
