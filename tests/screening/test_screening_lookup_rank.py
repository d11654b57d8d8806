"""The candidate cap's ranking (``lookup._rank``), against its definition written out in Python:
an entry born on the traveller's date first, then most shared keys, then the cheap score of the
entry's best listed date, then list position; the
first ``max_candidates`` kept, the rest counted. The compiled one counts entries in a small
hash table, scores only the entries that can make the cut, reads a packed date per entry and
reads none for entries whose listed years miss the traveller's; none of that may change what it
keeps."""

import numpy as np

from pipelines.screening.engine.compiled import lookup
from pipelines.screening.normalise.dates import DOB_ORDER, dob_level


def test_rank_keeps_what_its_definition_keeps():
    rng = np.random.default_rng(5)
    n_entries = 2000
    dobs = []
    for _ in range(n_entries):
        dobs.append(tuple((int(rng.integers(1950, 1960)), int(rng.integers(0, 3)), int(rng.integers(0, 3)))
                          for _ in range(rng.choice([0, 1, 1, 1, 2]))))
    offsets = lookup.csr_offsets(dobs)
    flat = [d for entry in dobs for d in entry]
    year, month, day = (np.array([d[i] for d in flat], np.int32) for i in range(3))
    single = lookup.pack_single_dobs(offsets, year, month, day)
    adjust = rng.uniform(-0.3, 0.1, len(DOB_ORDER))
    missing = DOB_ORDER.index("missing")

    def expected(found, cap, known, date, missing_value):
        shared = np.bincount(found, minlength=n_entries)

        def level(p):
            return min((dob_level(*date, *d) for d in dobs[p]), default=missing)

        def cheap(p):
            if not known:
                return 2048
            value = missing_value if level(p) == missing else adjust[level(p)]
            return int(np.floor(value * 1000.0 + 0.5)) + 2048

        def born_that_day(p):
            return known and DOB_ORDER[level(p)] == "exact"
        ranked = sorted(np.flatnonzero(shared).tolist(), key=lambda p: (not born_that_day(p), -shared[p], -cheap(p), p))
        return ranked[:cap], max(0, len(ranked) - cap)

    for trial in range(1000):
        found = rng.integers(0, int(rng.integers(1, n_entries)), int(rng.integers(1, 300))).astype(np.int32)
        if trial % 3 == 0:  # entries in several blocks
            found = np.concatenate([found, found[:found.size // 2], found[:found.size // 5]])
        cap = int(rng.choice([1, 5, 50, 1000]))
        known = bool(rng.integers(0, 4))
        date = (int(rng.integers(1949, 1961)), int(rng.integers(0, 3)), int(rng.integers(0, 3)))
        missing_value = float(rng.uniform(-0.3, 0.1))
        # per posting: 0 only where the entry's listed years miss the traveller's (or it has none),
        # as the look-up marks them; 1 where they may hold it (some of them marked 1 all the same,
        # as the look-up does for blocks whose years it does not read)
        covers = np.array([any(d[0] == date[0] for d in dobs[p]) for p in found.tolist()], np.uint8)
        year_may = covers | (rng.random(found.size) < 0.3).astype(np.uint8)
        table = np.zeros(4 * found.size + 16, np.int64)
        out, stats = np.zeros(found.size, np.int32), np.zeros(4, np.int64)
        n = lookup._rank(found, year_may, found.size, table, cap, out, 0, known, *date, single, offsets, year, month,
                         day, adjust, missing, missing_value, stats)
        kept, cut = expected(found, cap, known, date, missing_value)
        assert out[:n].tolist() == kept and stats[3] == cut and stats[2] == (cut > 0)
