"""Scope and free text: nothing reaches a partner whose territory the journey never touches unless
a named "other relevant" rule admits it, and no remark of any kind or language ever leaves."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from pipelines.sharing.engine import SharingEngine
from pipelines.sharing.rules import RulesError, load_rules
from pipelines.sharing.scope import airport_country, itinerary_of
from sharing_samples import RULES, default_arrangements, pnr, secrets_for, traveller

ARRANGEMENTS = default_arrangements()
BY_ID = {a.id: a for a in ARRANGEMENTS}
ENGINE = SharingEngine(ARRANGEMENTS, secrets_for(ARRANGEMENTS))


def _shared_to(shares) -> set[str]:
    return {s.record["recipient"] for s in shares}


@pytest.mark.parametrize("route, provider, recipient", [
    (("ICN", "ANC", "ORD"), "USA", "MEX"),
    (("SYD", "HNL", "SFO", "IAD"), "USA", "MEX"),
    (("NRT", "TIJ", "MEX"), "MEX", "USA"),
    (("DFW", "MIA", "MXP", "MIA", "DFW"), "USA", "CAN"),
])
def test_journeys_that_never_touch_the_recipient_are_not_shared_with_it(route, provider, recipient):
    """The over-sharing seen in the review: a transit stop in the provider admitted the journey."""
    legs = [{"departure_airport": a, "arrival_airport": b} for a, b in zip(route, route[1:])]
    assert recipient not in itinerary_of(legs).countries
    for flagged in (False, True):
        api = [s for s in ENGINE.share_traveller(traveller(route=route), flagged=flagged) if s.record["provider"] == provider]
        shared_pnr = [s for s in ENGINE.share_pnr(pnr(route=route), flagged=flagged) if s.record["provider"] == provider]
        assert recipient not in _shared_to(api + shared_pnr), [s.record["scope_reason"] for s in api + shared_pnr]


def test_transit_through_a_party_to_the_other_is_shared_and_says_so():
    shares = ENGINE.share_traveller(traveller(route=("FRA", "ORD", "YYZ")), flagged=True)
    reasons = {s.record["arrangement_id"]: s.record["scope_reason"] for s in shares}
    assert reasons["USA-CAN"] == "in transit through USA (scope.flights.in_transit_through)"
    assert reasons["CAN-USA"].startswith("between CAN and USA")
    assert all(s.audit["scope_reason"] == s.record["scope_reason"] for s in shares)


# -- property: every disclosure is admitted by a rule that the itinerary satisfies ---------------

AIRPORTS = ["JFK", "LAX", "ORD", "ANC", "HNL", "MIA", "DFW", "YYZ", "YVR", "MEX", "TIJ", "CUN", "GUA", "SAL",
            "PTY", "HAV", "LHR", "MXP", "FRA", "ICN", "NRT", "SYD"]


@st.composite
def routes(draw):
    return tuple(draw(st.lists(st.sampled_from(AIRPORTS), min_size=2, max_size=5)))


def _check_admitted(shares, route):
    countries = {airport_country(a) for a in route}
    for share in shares:
        record, arrangement = share.record, BY_ID[share.record["arrangement_id"]]
        reason = record["scope_reason"]
        assert share.audit["scope_reason"] == reason  # the audit entry names the admitting rule
        assert arrangement.provider in countries
        if arrangement.recipient in countries:
            continue
        match = re.fullmatch(r"other relevant (airport|country) ([A-Z]{3}) \(scope\.flights\.other_relevant\.(airports|countries)\)", reason)
        assert match, f"{route} reached {arrangement.recipient} under {arrangement.id}: {reason}"
        kind, code = match.group(1), match.group(2)
        named = arrangement.other_airports if kind == "airport" else arrangement.other_countries
        assert code in named
        assert code in (route if kind == "airport" else countries)


@settings(max_examples=300, deadline=None)
@given(routes(), st.booleans(), st.booleans())
def test_property_no_record_reaches_an_untouched_partner_unless_a_named_rule_admits_it(route, flagged, in_transit):
    role = "IN_TRANSIT_PASSENGER" if in_transit else "PASSENGER"
    _check_admitted(ENGINE.share_traveller(traveller(route=route, role=role, in_transit=in_transit), flagged=flagged), route)
    _check_admitted(ENGINE.share_pnr(pnr(route=route), flagged=flagged), route)


# -- the default rules and the loader ------------------------------------------------------------

def _rules_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


def test_an_other_relevant_airport_of_the_provider_is_refused(tmp_path):
    folder = _rules_with(tmp_path, "mex-usa.yaml", "countries: [GTM", "airports: [TIJ]\n      countries: [GTM")
    with pytest.raises(RulesError, match="airport of the provider MEX"):
        load_rules(folder)


def test_a_party_named_as_other_relevant_country_is_refused(tmp_path):
    folder = _rules_with(tmp_path, "usa-mex.yaml", "countries: [GTM", "countries: [USA, GTM")
    with pytest.raises(RulesError, match="party to the arrangement"):
        load_rules(folder)


def test_rules_files_cite_sources_not_paths_of_a_machine():
    absolute = re.compile(r"(?<![\w.:/])/(?:[\w.-]+/)+[\w.-]+")
    for path in sorted(RULES.glob("*.yaml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not absolute.search(line), f"{path.name}:{number}: {line.strip()}"


# -- free text ------------------------------------------------------------------------------------

#: Remarks that reveal health, disability, religion, diet, ethnicity or sexual life, in English,
#: French and Spanish, written for this test (the first five are the ones seen reaching CAN).
SENSITIVE_REMARKS = [
    "chemotherapy appointment", "hearing impaired", "limited mobility after surgery", "observes Shabbat",
    "visually impaired with guide dog",
    "pax recovering from heart attack", "needs help with stairs, bad knee", "travelling for IVF treatment",
    "no pork no alcohol", "vegan strict, no animal products", "attending Eid with family", "Lent fasting",
    "member of the Roma community", "first nations elder", "travelling with same-sex partner", "his husband",
    "rendez-vous de chimiothérapie", "malentendant", "mobilité réduite après opération", "respecte le shabbat",
    "malvoyant avec chien guide", "repas sans porc", "pèlerinage à Lourdes", "voyage avec son compagnon",
    "cita de quimioterapia", "persona sorda", "movilidad reducida tras cirugía", "guarda el sabbat",
    "invidente con perro guía", "comida sin cerdo", "peregrinación a Fátima", "viaja con su pareja del mismo sexo",
    "origen indígena",
]


def test_no_remark_of_any_kind_or_language_leaves():
    record = pnr(route=("JFK", "YYZ"),
                 remarks=[("OSI", text) for text in SENSITIVE_REMARKS],
                 ssrs=[("OTHS", text) for text in SENSITIVE_REMARKS[:10]],
                 history=SENSITIVE_REMARKS[10:20])
    shares = ENGINE.share_pnr(record, flagged=True)
    assert {s.record["recipient"] for s in shares} == {"CAN", "USA"}
    for share in shares:
        sent = share.record["payload_json"].lower()
        for text in SENSITIVE_REMARKS:
            assert text.lower() not in sent, f"{text!r} reached {share.record['recipient']}"
        payload = json.loads(share.record["payload_json"])
        assert not payload.get("remarks") and not payload.get("history")


def test_every_default_arrangement_drops_free_text():
    assert {a.free_text for a in ARRANGEMENTS} == {"drop"}


def test_the_screen_policy_is_refused_with_the_reason(tmp_path):
    folder = _rules_with(tmp_path, "usa-can.yaml", "free_text: drop", "free_text: screen")
    with pytest.raises(RulesError, match="'screen' was removed"):
        load_rules(folder)
