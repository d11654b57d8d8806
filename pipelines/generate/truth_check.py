"""Compare a run's dead letters with the generator's planted truth.

Every planted defect must be in the dead-letter output under the same record with the same reason
code and field; nothing else may be rejected (a valid generated record rejected is a false
rejection). Used by the spine tests and ``benchmarks/pipeline_throughput.py``.
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from pathlib import Path

import fastavro


def dead_letter_reasons(output_dir: str) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(kind, record_key) -> {(code, field)} for every record-level dead letter of a run."""
    found: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for path in glob.glob(f"{output_dir}/dead_letter/*.avro"):
        with open(path, "rb") as handle:
            for letter in fastavro.reader(handle):
                if letter["kind"] == "FILE":
                    continue
                key = (letter["kind"], letter["record_key"])
                found.setdefault(key, set()).update((r["code"], r["field"]) for r in letter["reasons"])
    return found


def compare(generated_dir: str, output_dir: str) -> dict:
    """Missed plants, wrong reasons and false rejections, with counts per code."""
    planted = [json.loads(line) for line in Path(generated_dir, "truth", "planted_invalid.jsonl").open()]
    found = dead_letter_reasons(output_dir)
    missed, wrong_reason = [], []
    planted_keys = set()
    for plant in planted:
        key = (plant["kind"], plant["record_key"])
        planted_keys.add(key)
        if key not in found:
            missed.append(plant)
        elif (plant["code"], plant["field"]) not in found[key]:
            wrong_reason.append({"planted": plant, "found": sorted(found[key])})
    false_rejections = [{"key": key, "reasons": sorted(reasons)} for key, reasons in found.items()
                        if key not in planted_keys]
    return {
        "planted": len(planted), "caught_with_right_reason": len(planted) - len(missed) - len(wrong_reason),
        "missed": missed, "wrong_reason": wrong_reason, "false_rejections": false_rejections,
        "planted_by_code": dict(Counter(p["code"] for p in planted)),
        "exact": not missed and not wrong_reason and not false_rejections,
    }
