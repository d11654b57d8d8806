"""Score record pairs with OpenSanctions' nomenklatura logic-v2 (the reference matcher).

Runs inside its own virtualenv so nomenklatura's dependencies never touch the project's:

    python3 -m venv .venv-nomenklatura && .venv-nomenklatura/bin/pip install nomenklatura
    .venv-nomenklatura/bin/python benchmarks/nomenklatura_score.py pairs.jsonl scores.jsonl

Input: one JSON object a line, ``{"a": {...}, "b": {...}}`` where each side has ``name`` (str) and
optionally ``birth_date``, ``gender`` (M/F), ``nationality`` (alpha-2/3), ``document``
(passport number). Output: one score a line,
``{"score": float}``, in the same order. benchmarks/matching_quality.py calls this via subprocess.
"""

from __future__ import annotations

import json
import sys

from followthemoney import model
from nomenklatura.matching import get_algorithm
from nomenklatura.matching.types import ScoringConfig


def _entity(side: dict, key: str):
    proxy = model.make_entity("Person")
    proxy.id = key
    if side.get("name"):
        proxy.add("name", side["name"])
    if side.get("document"):
        proxy.add("passportNumber", side["document"])
    if side.get("birth_date"):
        proxy.add("birthDate", side["birth_date"])
    if side.get("gender") in ("M", "F"):
        proxy.add("gender", "male" if side["gender"] == "M" else "female")
    if side.get("nationality"):
        proxy.add("nationality", side["nationality"])
    return proxy


def main(in_path: str, out_path: str) -> int:
    algorithm = get_algorithm("logic-v2")
    config = ScoringConfig.defaults()
    with open(in_path, encoding="utf-8") as source, open(out_path, "w", encoding="utf-8") as sink:
        for number, line in enumerate(source):
            pair = json.loads(line)
            result = algorithm.compare(_entity(pair["a"], f"a{number}"), _entity(pair["b"], f"b{number}"), config)
            sink.write(json.dumps({"score": float(result.score)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
