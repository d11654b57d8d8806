"""Routing: a flag reaches every entitled unit and no other; the units file is validated on load."""

from __future__ import annotations

import copy

import pytest
import yaml

from flag_samples import candidate
from pipelines.flags import routing
from pipelines.flags.routing import ConfigError


@pytest.mark.parametrize("legs, expected", [
    ((("YVR", "SEA"),), ["jpau-mia", "jpau-yvr"]),         # departs Vancouver; also CAN->USA, which Miami receives
    ((("YVR", "NRT"),), ["jpau-yvr"]),                     # departs Vancouver to a third country
    ((("MIA", "LHR"),), ["jpau-mia"]),                     # departs Miami to a third country
    ((("LHR", "YVR"),), ["jpau-yvr"]),                     # arrives Vancouver from a third country
    ((("YUL", "MIA"),), ["jpau-mia", "jpau-yvr"]),         # Montreal -> Miami: CAN->USA and MIA
    ((("MEX", "IAH"),), ["jpau-mia"]),                     # Mexico -> USA: only Miami covers MEX->USA
    ((("LHR", "CDG"),), []),                               # no North American leg
    ((("LHR", "YYZ"), ("YYZ", "JFK")), ["jpau-mia", "jpau-yvr"]),  # second leg CAN->USA
])
def test_routes(units, legs, expected):
    assert routing.route(candidate(legs), units) == expected


def test_every_entitled_unit_and_no_other(units):
    """Exhaustive over owners x categories x severities x receivers on one CAN->USA flight."""
    for owner in ("USA", "CAN", "MEX"):
        for category in ("TERRORISM", "LOOKOUT", "OTHER"):
            for severity in ("NORMAL", "HIGH", "TOP"):
                for receivers in ((), ("CAN",), ("USA",), ("CAN", "USA")):
                    item = candidate((("YUL", "JFK"),), list_owner=owner, category=category,
                                     severity=severity, receivers=receivers)
                    got = routing.route(item, units)
                    consented = set(receivers) | {owner}
                    expected = []
                    if owner in ("USA", "CAN") and {"CAN", "USA"} <= consented:
                        expected = ["jpau-mia", "jpau-yvr"] if category != "OTHER" else ["jpau-yvr"]
                    assert got == expected, (owner, category, severity, receivers)


def test_suppressed_candidates_reach_nobody(units):
    assert routing.route(candidate(suppressed_by="NEXUS-123"), units) == []


def test_min_severity(units):
    config = _modified(units, lambda doc: doc["units"]["jpau-yvr"]["receives"].update(min_severity="HIGH"))
    assert routing.route(candidate((("YVR", "LHR"),), severity="NORMAL"), config) == []
    assert routing.route(candidate((("YVR", "LHR"),), severity="TOP"), config) == ["jpau-yvr"]


def test_route_conditions_must_hold_on_the_same_leg(units):
    # Leg 1 departs CAN (to UK), leg 2 arrives USA (from UK): no single leg is CAN->USA.
    assert routing.route(candidate((("YYZ", "LHR"), ("LHR", "JFK"))), units) == []


def _document():
    return yaml.safe_load(routing.default_config_path().read_text())


def _modified(units, change):
    document = copy.deepcopy(_document())
    change(document)
    return routing.parse_units(document, source="test.yaml")


@pytest.mark.parametrize("change, where", [
    (lambda d: d["units"]["jpau-yvr"].update(traveller_fields=["surname", "eye_colour"]),
     r"units\.jpau-yvr\.traveller_fields\[1\]: unknown field 'eye_colour'"),
    (lambda d: d["units"]["jpau-mia"]["routes"].append({"from_airports": ["ZZZ"]}),
     r"units\.jpau-mia\.routes\[4\]\.from_airports: unknown IATA airport"),
    (lambda d: d["units"]["jpau-mia"]["routes"].append({}), r"units\.jpau-mia\.routes\[4\]: a route needs"),
    (lambda d: d["units"]["jpau-yvr"]["receives"].update(min_severity="LOW"),
     r"units\.jpau-yvr\.receives\.min_severity"),
    (lambda d: d["units"]["jpau-yvr"].update(suite="rsa"), r"units\.jpau-yvr\.suite"),
    (lambda d: d["units"]["jpau-yvr"].update(members=["Canada"]), r"units\.jpau-yvr\.members\[0\]"),
    (lambda d: d["units"]["jpau-yvr"].update(colour="red"), r"units\.jpau-yvr: unknown key\(s\) colour"),
    (lambda d: d["units"]["jpau-mia"].update(public_key="jpau-yvr"), r"units: two units share a public_key"),
    (lambda d: d.pop("signing_key"), r"signing_key: must be a non-empty string"),
    (lambda d: d.update(version=2), r"version: must be 1"),
])
def test_invalid_config_names_file_and_key(units, change, where):
    with pytest.raises(ConfigError, match=r"^test\.yaml: " + where):
        _modified(units, change)


def test_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nothere.yaml: units configuration not found"):
        routing.load_units(tmp_path / "nothere.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("units: [")
    with pytest.raises(ConfigError, match="broken.yaml: not valid YAML"):
        routing.load_units(broken)
