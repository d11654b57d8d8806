"""Synthetic, seeded, realistic API/PNR manifests with planted truth.

``generate(out_dir, travellers=..., seed=...)`` writes Avro files with the project's schemas plus a
ground-truth folder; ``paxshare generate`` is its command line. Names come from per-culture tables
(``data/names_*.csv``) holding each name's native form and its Latin passport spellings;
:func:`draw_name` returns a :class:`PersonName` whose :meth:`~PersonName.native` gives the
original-script form, and ``truth/persons_native.jsonl`` (``with_native_names=True``) maps each
generated person's record key to it. :func:`read_native_names` reads that file back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from pipelines.generate.generator import Options, generate
from pipelines.generate.names import PersonName, culture_names, cultures, draw_name, relative_name


def read_native_names(out_dir) -> Iterator[dict]:
    """Rows of ``truth/persons_native.jsonl`` in a generated set: record_key, culture, script,
    native_surname, native_given_names, surname, given_names."""
    path = Path(out_dir) / "truth" / "persons_native.jsonl"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def native_name_index(out_dir) -> dict[str, tuple[str | None, str | None]]:
    """record_key -> (native surname, native given names) for a generated set."""
    return {row["record_key"]: (row["native_surname"], row["native_given_names"]) for row in read_native_names(out_dir)}


__all__ = ["Options", "PersonName", "culture_names", "cultures", "draw_name", "generate", "native_name_index",
           "read_native_names", "relative_name"]
