"""Benchmark: PAXLST conversion speed on one core (target: at least 20,000 persons/s).

Synthesises a PAXLST interchange of many messages (default 100,000 persons in messages of 100),
writes it to a temporary file, reads it back and times ``convert_bytes`` on it: tokenizing,
mapping and building the records, not Avro writing. Runs in one process, so on one core.

    .venv/bin/python benchmarks/edifact_convert.py [--persons 100000] [--per-message 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from pipelines.io.edifact.convert import convert_bytes

SURNAMES = ("SMITH", "GARCIA", "MUELLER", "TREMBLAY", "NGUYEN", "HERNANDEZ", "OBRIEN", "KOWALSKI", "ROSSI")
GIVEN = ("ANNA", "JOSE", "MARIA", "JEAN PIERRE", "LI", "AHMED", "OLGA", "JOHN", "SOFIA")
COUNTRIES = ("USA", "CAN", "MEX", "GBR", "DEU", "FRA", "CHN", "IND", "BRA")


def person_segments(rng: random.Random, index: int) -> list[str]:
    country = rng.choice(COUNTRIES)
    return [
        f"NAD+FL+++{rng.choice(SURNAMES)}:{rng.choice(GIVEN)}",
        f"ATT+2++{rng.choice('MF')}",
        f"DTM+329:{rng.randint(30, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        f"MEA+CT++{rng.randint(0, 3)}",
        f"MEA+WT++KGM:{rng.randint(0, 40)}",
        f"FTX+BAG+++UA{700000 + index}",
        "LOC+178+YYZ", "LOC+179+IAH", f"LOC+174+{country}", f"NAT+2+{country}",
        f"RFF+AVF:{rng.randrange(36 ** 6):06X}", f"RFF+ABO:U{index:08d}", f"RFF+SEA:{rng.randint(1, 40)}{rng.choice('ABCDEF')}",
        f"DOC+P:110:111+{rng.randrange(10 ** 9):09d}", f"DTM+36:{rng.randint(26, 34)}{rng.randint(1, 12):02d}15",
        f"LOC+91+{country}",
    ]


def synthesise(persons: int, per_message: int, seed: int = 7) -> bytes:
    """One interchange of PAXLST messages, CRLF after each segment, about 500 bytes per person."""
    rng = random.Random(seed)
    segments = ["UNA:+.? '", "UNB+UNOA:4+BENCHAIR:ZZ+USCSAPIS:ZZ+260301:1200+000000001++APIS"]
    made, message = 0, 0
    while made < persons:
        message += 1
        count = min(per_message, persons - made)
        body = ["BGM+745", f"RFF+TN:BENCH{message:06d}", "NAD+MS+++BENCH OPS", "COM+1-555-0100:TE",
                f"TDT+20+UA{message % 9000 + 1:04d}+++UA", "LOC+125+YYZ", "DTM+189:2603011200:201",
                "LOC+87+IAH", "DTM+232:2603011500:201"]
        for _ in range(count):
            body.extend(person_segments(rng, made))
            made += 1
        body.append(f"CNT+42:{count}")
        segments.append(f"UNH+M{message}+PAXLST:D:05B:UN:IATA")
        segments.extend(body)
        segments.append(f"UNT+{len(body) + 2}+M{message}")
    segments.append(f"UNZ+{message}+000000001")
    return ("'\r\n".join(segments) + "'\r\n").encode("ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--per-message", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_paxlst.edi"
        path.write_bytes(synthesise(args.persons, args.per_message))
        data = path.read_bytes()
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = convert_bytes(data, str(path))
            best = min(best, time.perf_counter() - start)
    converted = sum(len(manifest["persons"]) for manifest in result.manifests)
    if converted != args.persons or result.dead_letters:
        print(f"conversion incomplete: {converted} persons, {len(result.dead_letters)} dead letters", file=sys.stderr)
        return 1
    print(f"{len(data) / 1e6:.1f} MB, {len(result.manifests)} messages, {converted} persons: "
          f"best of {args.repeat}: {best:.2f} s, {converted / best:,.0f} persons/s on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
