"""A UNA that declares a segment terminator the body never uses: the real one is detected.

GTAS meets such interchanges in production: the UNA string says ``~`` (or anything else) while
every segment ends with ``'``. Read as declared, the whole interchange was one segment and every
traveller in it was lost. Each real-format sample is altered the same way and must convert to the
same travellers and PNRs, with a warning.
"""

from __future__ import annotations

import re

import pytest

from pipelines.io.edifact.convert import convert_bytes
from tests.edifact.test_edifact_tolerance import PERSON, interchange, paxlst, text_of

SAMPLES = ["2_pnrs_basic.edi", "adult_and_infant.edi", "apisMessage.txt", "multiple_flight_leg_apis.txt",
           "no_pnr_history.edi", "codeshare.edi"]


def _without_warnings(records):
    return [{k: v for k, v in r.items() if k not in ("warnings", "source_file")} for r in records]


def _declare(text: str, terminator: str) -> str:
    """The same interchange with its UNA declaring ``terminator`` instead of the one it uses."""
    match = re.search(r"UNA(.{5,6}?)(?=\s*UN[BGH])", text, re.S)
    assert match, "sample has a UNA string"
    service = match.group(1)
    return text[:match.start(1)] + service[:-1] + terminator + text[match.end(1):]


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("declared", ["~", "|", "\u00a7"])
def test_a_declared_terminator_the_body_never_uses_is_replaced_by_the_one_it_does(shared_data, name, declared):
    original = (shared_data / "edifact" / name).read_text(encoding="utf-8", errors="replace")
    assert declared not in original
    baseline = convert_bytes(original.encode("utf-8"), name)
    assert baseline.manifests or baseline.pnrs
    altered = convert_bytes(_declare(original, declared).encode("utf-8"), name)
    assert not [d for d in altered.dead_letters if d["kind"] == "FILE"]
    assert _without_warnings(altered.manifests) == _without_warnings(baseline.manifests)
    assert _without_warnings(altered.pnrs) == _without_warnings(baseline.pnrs)
    warnings = altered.warnings + [w for r in altered.manifests + altered.pnrs for w in r.get("warnings", [])]
    assert any("never uses" in w and repr(declared) in w for w in warnings), warnings


def test_a_terminator_that_is_used_is_never_second_guessed():
    text = text_of(interchange(paxlst(persons=[PERSON, PERSON])))
    result = convert_bytes(text.encode(), "t.edi")
    assert len(result.manifests[0]["persons"]) == 2
    assert not any("never uses" in w for w in result.warnings)


def test_without_a_clear_terminator_nothing_is_guessed():
    # the body uses neither the declared terminator nor any one character before its tags
    text = "UNA:+.? ~UNB+UNOA:4+X:ZZ+Y:ZZ+261123:1200+IC1'UNH+1+PAXLST:D:05B:UN:IATA!BGM+745"
    result = convert_bytes(text.encode(), "t.edi")
    assert not any("never uses" in w for w in result.warnings)
