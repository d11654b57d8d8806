"""Settings are validated on load against the packaged defaults; one alert decision."""

from __future__ import annotations

import json

import pytest

from pipelines.screening.engine.index import CandidateIndex
from pipelines.screening.engine.score import Candidate
from pipelines.screening.engine.settings import SettingsError, alerts, default_settings, load_settings


def test_a_misspelt_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("thresholds:\n  TERRORISM: 0.76\ncomparisons:\n  name:\n    exact: 1.0\n    phonetc: 0.9\n")
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert error.value.problems == [f"{path}:6: unknown key 'comparisons.name.phonetc' (did you mean 'phonetic'?)"]


def test_wrong_types_and_scores_are_refused(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("thresholds:\n  LOOKOUT: 1.5\nblocking:\n  max_candidates: 2.5\n  token_pairs: 1\nfloor: x\n")
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert error.value.problems == [
        f"{path}:2: 'thresholds.LOOKOUT' must be a score from 0 to 1, not 1.5",
        f"{path}:4: 'blocking.max_candidates' must be a whole number, not 2.5",
        f"{path}:5: 'blocking.token_pairs' must be true or false, not 1",
        f"{path}:6: 'floor' must be a number, not 'x'",
    ]
    with pytest.raises(SettingsError, match="unknown key 'blocking.max_block'"):
        load_settings(overrides={"blocking": {"max_block": 10}})


def test_valid_overrides_apply_key_by_key(tmp_path):
    path = tmp_path / "site.json"
    path.write_text(json.dumps({"thresholds": {"NEW_CATEGORY": 0.85}, "comparisons": {"name": {"initial": 0.7}}}))
    settings = load_settings(path)
    assert settings.threshold("new_category") == 0.85
    assert settings.name["initial"] == 0.7 and settings.name["exact"] == default_settings().name["exact"]


def test_defaults_live_in_the_packaged_file():
    blocking = default_settings().blocking
    index = CandidateIndex([])
    assert index.max_block == blocking["max_block_size"]
    assert index.max_candidates == blocking["max_candidates"]
    assert index.max_initial_block == blocking["max_initial_block_size"]
    settings = default_settings()
    assert settings.lowest_threshold == min(settings.raw["thresholds"].values())


def test_one_alert_decision():
    candidate = Candidate("T1", {"entry_id": "E1"}, 0.8, 0.8, "")
    assert alerts(0.8, 0.8) and not alerts(0.7999, 0.8)
    assert candidate.reaches_threshold and candidate.alert
    suppressed = Candidate("T1", {"entry_id": "E1"}, 0.9, 0.8, "", suppressed_by="cleared:C1")
    assert suppressed.reaches_threshold and not suppressed.alert


def test_sections_are_typed_and_their_fields_are_the_packaged_keys():
    """Each section is a frozen dataclass whose fields are exactly the packaged file's keys (the
    file holds the defaults, the classes the types), values cast to their field's type."""
    import dataclasses

    from pipelines.screening.engine.settings import _defaults_document

    settings = default_settings()
    document = _defaults_document()
    sections = {"blocking": document["blocking"], "name": document["comparisons"]["name"],
                "dob": document["comparisons"]["date_of_birth"], "sex": document["comparisons"]["sex"],
                "nationality": document["comparisons"]["nationality"],
                "document": document["comparisons"]["document"]}
    for attribute, values in sections.items():
        section = getattr(settings, attribute)
        assert dataclasses.is_dataclass(section)
        assert [f.name for f in dataclasses.fields(section)] == list(values), attribute
        assert dict(section) == values  # also a read-only mapping by key
    assert settings.name.phonetic == 0.92 and isinstance(settings.name.rare_token_min, int)
    assert settings.blocking.token_pairs is True and settings.dob.year_far == -0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.name.phonetic = 0.5
    overridden = load_settings(overrides={"comparisons": {"name": {"travelling_population": 1000}}})
    assert overridden.name.travelling_population == 1000 and overridden.name.phonetic == 0.92
    from pipelines.screening.engine.settings import AgreementSettings
    with pytest.raises(SettingsError, match=r"comparisons.sex: missing keys \['differ'\], unknown keys \['differs'\]"):
        AgreementSettings.of({"agree": 0.0, "differs": -0.2}, "comparisons.sex")
