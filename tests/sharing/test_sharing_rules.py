"""Loading and linting arrangements: the shipped defaults load, mistakes name file and line."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from pipelines.sharing import cli_rules
from pipelines.sharing.rules import RulesError, load_rules, parse_arrangement
from sharing_samples import RULES


def test_default_arrangements_load_and_cite_a_basis():
    arrangements = {a.id: a for a in load_rules(RULES)}
    assert {"USA-CAN", "CAN-USA", "USA-MEX", "MEX-USA"} <= set(arrangements)
    for a in arrangements.values():
        assert a.references and a.legal_basis and a.onward_marking
        assert a.delete_after_hours > 0
    assert arrangements["USA-CAN"].sharing_mode == "flagged_only"
    assert arrangements["USA-MEX"].sharing_mode == "all"


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / "usa-can.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


def _line_of(folder: Path, needle: str) -> int:
    return next(i for i, line in enumerate((folder / "usa-can.yaml").read_text().splitlines(), 1) if needle in line)


def test_unknown_schema_path_is_an_error_with_file_and_line(tmp_path):
    folder = _broken(tmp_path, "person.documents[].number: keep", "person.documents.number: keep")
    with pytest.raises(RulesError) as info:
        load_rules(folder)
    message = str(info.value)
    assert f"usa-can.yaml:{_line_of(folder, 'person.documents.number')}:" in message
    assert "did you mean 'person.documents[].number'" in message


def test_bad_treatment_and_duration_are_reported_together(tmp_path):
    folder = _broken(tmp_path, "person.sex: keep", "person.sex: shred")
    text = (folder / "usa-can.yaml").read_text().replace("delete_after: 3.5y", "delete_after: soon")
    (folder / "usa-can.yaml").write_text(text)
    with pytest.raises(RulesError) as info:
        load_rules(folder)
    lines = [str(p) for p in info.value.problems]
    assert any(f":{_line_of(folder, 'person.sex: shred')}: unknown treatment 'shred'" in p for p in lines)
    assert any(f":{_line_of(folder, 'delete_after: soon')}: delete_after must be a duration" in p for p in lines)


def test_jpau_units_file_is_ignored(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / "jpau_units.yaml").write_text("units: [not, an, arrangement]\n")
    assert len(load_rules(folder)) == len(load_rules(RULES))


def test_pseudonym_on_non_text_and_mask_of_unsent_field_are_errors():
    text = (RULES / "usa-mex.yaml").read_text()
    bad = text.replace("person.sex: keep", "person.sex: keep\n    person.bag_count: pseudonym")
    bad = bad.replace("- person.given_names", "- person.given_names\n      - person.address")
    arrangement, problems = parse_arrangement(bad, "x.yaml")
    assert arrangement is None
    messages = " | ".join(p.message for p in problems)
    assert "'pseudonym' applies to text fields" in messages
    assert "'person.address' is masked here but never sent" in messages


def test_invalid_yaml_names_the_line():
    arrangement, problems = parse_arrangement("format: x\nid: [unclosed\nversion: 1\n", "bad.yaml")
    assert arrangement is None and problems[0].file == "bad.yaml" and problems[0].line >= 2


def test_cli_rules_check(tmp_path, capsys):
    args = argparse.Namespace(action="check", rules_dir=str(RULES), keys=None, init_keys=str(tmp_path / "keys"))
    assert cli_rules.main(args) == 0
    assert len(list((tmp_path / "keys").glob("pseudonym-*.key"))) == 4
    folder = _broken(tmp_path, "person.sex: keep", "person.gender: keep")
    args = argparse.Namespace(action="check", rules_dir=str(folder), keys=None, init_keys=None)
    assert cli_rules.main(args) == 1
    assert "is not a field of the API schema" in capsys.readouterr().err


def test_push_times_load_sorted_and_give_the_next_push(tmp_path):
    from datetime import datetime, timezone

    folder = _broken(tmp_path, "sharing_mode: flagged_only", 'sharing_mode: flagged_only\ncadence:\n  push_at: ["18:00", "06:30"]')
    arrangement = {a.id: a for a in load_rules(folder)}["USA-CAN"]
    assert arrangement.push_minutes == (390, 1080)
    at = datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc)
    assert arrangement.next_push(at) == datetime(2026, 11, 23, 18, 0, tzinfo=timezone.utc)  # strictly after
    assert arrangement.next_push(at.replace(hour=19)) == datetime(2026, 11, 24, 6, 30, tzinfo=timezone.utc)
    assert {a.id: a for a in load_rules(RULES)}["USA-MEX"].next_push(at) is None  # per window


@pytest.mark.parametrize("cadence, message", [
    ("cadence:\n  push_at: [12:00]", "write push times in quotes"),
    ('cadence:\n  push_at: ["25:00"]', "is not a UTC time of day"),
    ('cadence:\n  push_at: ["06:00", "06:00"]', "is given twice"),
    ("cadence:\n  push_at: []", "must name at least one time"),
    ('cadence:\n  every: ["06:00"]', "unknown key 'every'"),
])
def test_bad_push_times_name_file_and_line(tmp_path, cadence, message):
    folder = _broken(tmp_path, "sharing_mode: flagged_only", "sharing_mode: flagged_only\n" + cadence)
    with pytest.raises(RulesError) as info:
        load_rules(folder)
    line = _line_of(folder, cadence.splitlines()[-1].strip())
    assert any(p.line == line and message in p.message for p in info.value.problems), info.value.problems
