"""No input bytes, however malformed, make the converter raise or emit a record its schema rejects."""

from __future__ import annotations

import os
from pathlib import Path

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import schemas
from pipelines.io.edifact.convert import INTERNAL_ERROR, convert_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = Path(os.environ.get("PAXSHARE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")) / "edifact"
SAMPLES = sorted(p for p in SAMPLES_DIR.glob("*") if p.suffix in (".txt", ".edi") and p.name != "SOURCES.txt"
                 and not p.name.startswith("LICENSE")) if SAMPLES_DIR.is_dir() else []
SEEDS = [p.read_bytes() for p in SAMPLES] or [b"UNB+UNOA:4+X+Y+260101:0000+1'UNH+1+PAXLST:D:05B:UN:IATA'BGM+745'UNT+3+1'UNZ+1+1'"]
#: Bytes that matter to the tokenizer: delimiters, release, line ends, non-ASCII, separators of level B.
SPECIAL = st.sampled_from([b"'", b"+", b":", b"?", b"\\", b"*", b"\r", b"\n", b"\r\n", b"UNA", b"UNH+", b"UNT+",
                           b"UNZ", b"\x1c", b"\x1d", b"\x1f", b"\xff", b"\xc3", b"NAD+FL+++", b"SRC'", b"TVL+", b"TIF+"])


def check(data: bytes) -> None:
    result = convert_bytes(data, "fuzz.edi")
    for letter in result.dead_letters:
        assert not any(INTERNAL_ERROR in reason["message"] for reason in letter["reasons"]), letter["reasons"]
    fastavro.validation.validate_many(result.manifests, schemas.load("api_manifest"), raise_errors=True)
    fastavro.validation.validate_many(result.pnrs, schemas.load("pnr"), raise_errors=True)
    fastavro.validation.validate_many(result.dead_letters, schemas.load("dead_letter"), raise_errors=True)


@st.composite
def mutated_sample(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if action == "insert":
            data[position:position] = draw(SPECIAL | st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del data[position:position + draw(st.integers(1, 20))]
        elif action == "replace" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[position:]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_sample())
def test_mutated_samples_never_crash(data):
    check(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(SPECIAL | st.binary(max_size=6) | st.sampled_from([b"BGM+745", b"DTM+329:", b"LOC+125+", b"CNT+42:",
                                                                 b"RCI+", b"SSR+DOCS:HK::XX:::::/", b"TDT+20+"]),
                max_size=40))
def test_random_token_soup_never_crashes(parts):
    check(b"".join(parts))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_prefix_of_a_sample_is_handled(sample):
    data = sample.read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 60)):
        check(data[:cut])
