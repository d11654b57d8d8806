"""Shared fixtures. Evaluation data lives in ../shared/data beside the checkout (never copied in)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("PAXSHARE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: EDIFACT samples and name-matching sets."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared evaluation data not found at {SHARED_DATA}; set PAXSHARE_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
