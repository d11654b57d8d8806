"""Fixtures for the flags tests: a keys folder made by `paxshare keys demo` and candidate dicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import crypto
from pipelines.flags import cli_keys, routing


@pytest.fixture(scope="session")
def units():
    return routing.load_units()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    cli_keys.create_demo_keys(directory)
    return directory


@pytest.fixture(scope="session")
def keyring(keys_dir):
    return crypto.load_private_keys(keys_dir)


@pytest.fixture(scope="session")
def trusted(keys_dir):
    return crypto.load_verify_keys(keys_dir)
