"""Fixtures for the analysts' review tests: stores on SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from pipelines.review.store import ReviewStore

from review_factories import NOW, make_entry, sample_flags


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2id still, with the smallest cost parameters: tests sign in hundreds of times."""
    from argon2 import PasswordHasher

    from pipelines.review import accounts

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def now() -> datetime:
    return NOW


def _database_urls() -> list:
    urls = [pytest.param("sqlite", id="sqlite")]
    urls.append(pytest.param(
        "postgresql", id="postgresql",
        marks=pytest.mark.skipif(not os.environ.get("PAXSHARE_TEST_DATABASE_URL"),
                                 reason="set PAXSHARE_TEST_DATABASE_URL to test on PostgreSQL")))
    return urls


def _fresh_store(kind: str, tmp_path) -> ReviewStore:
    if kind == "sqlite":
        return ReviewStore(str(tmp_path / "review.sqlite"), clock=lambda: NOW)
    import sqlalchemy as sa
    from pipelines.review.store import database_url, metadata

    engine = sa.create_engine(database_url(os.environ["PAXSHARE_TEST_DATABASE_URL"]))
    metadata.drop_all(engine)
    return ReviewStore(os.environ["PAXSHARE_TEST_DATABASE_URL"], clock=lambda: NOW, engine=engine)


@pytest.fixture(params=_database_urls())
def store(request, tmp_path):
    """An empty review store on SQLite (and PostgreSQL when PAXSHARE_TEST_DATABASE_URL is set)."""
    review_store = _fresh_store(request.param, tmp_path)
    yield review_store
    review_store.close()


@pytest.fixture
def sqlite_store(tmp_path):
    review_store = _fresh_store("sqlite", tmp_path)
    yield review_store
    review_store.close()




#: Password of every test account (argon2id-hashed in the store like any other).
PASSWORD = "correct horse battery staple"

#: name -> (roles, units, country): two units, all three roles, officers of CAN, USA and MEX.
TEST_USERS = {
    "ana": (["analyst"], ["jpau-yvr"], "CAN"),
    "sam": (["supervisor"], ["jpau-yvr"], "USA"),
    "aud": (["auditor"], ["jpau-yvr"], "CAN"),
    "mia": (["analyst"], ["jpau-mia"], "USA"),
}


def add_test_users(review_store, names=None) -> None:
    from pipelines.review.accounts import Accounts

    accounts = Accounts(review_store)
    for name in names or TEST_USERS:
        roles, units, country = TEST_USERS[name]
        accounts.add(name, roles=roles, units=units, country=country, password=PASSWORD)


@pytest.fixture
def loaded_store(sqlite_store):
    """A SQLite store holding sample_flags(), entry E1 and the TEST_USERS accounts."""
    sqlite_store.add_flags(sample_flags(), source_file="flags-jpau-yvr.avro")
    sqlite_store.add_entries([make_entry("E1")])
    add_test_users(sqlite_store)
    return sqlite_store
