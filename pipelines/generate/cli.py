"""``paxshare generate``: write a synthetic, seeded API/PNR set with its planted-defect truth.

    paxshare generate --out DIR [--travellers 3000] [--seed 7] [--invalid-rate 0.02]
                      [--persons-per-file 50000] [--reference-date 2026-11-23] [--with-native-names]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder (api/, pnr/, truth/ and GENERATED.md go here)")
    parser.add_argument("--travellers", type=int, default=3000,
                        help="API persons to write, passengers and crew (default 3000; up to tens of millions)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--invalid-rate", type=float, default=0.02,
                        help="share of persons, manifests (and half that of PNRs) planted with one defect (default 0.02)")
    parser.add_argument("--persons-per-file", type=int, default=50_000,
                        help="API persons per Avro file; PNR files follow the API files (default 50000)")
    parser.add_argument("--reference-date", default="2026-11-23",
                        help="'today': flights depart on this day and the next --days-1 days (default 2026-11-23)")
    parser.add_argument("--days", type=int, default=7, help="days of departures from the reference date (default 7)")
    parser.add_argument("--mean-passengers", type=float, default=10.0,
                        help="mean passengers reported per flight (default 10; the sample's few hundred flights)")
    parser.add_argument("--with-native-names", action="store_true",
                        help="also write truth/persons_native.jsonl with original-script names")
    parser.add_argument("--codec", choices=("deflate", "null"), default="deflate", help="Avro block codec")
    parser.add_argument("--watchlists", choices=("auto", "yes", "no"), default="auto",
                        help="also write watchlists with true matches planted among the travellers, their truth "
                             "in watchlists/truth.jsonl (auto: yes up to 2 million travellers, since planting reads "
                             "every traveller into memory)")
    parser.add_argument("--watchlist-fillers", type=int, default=5000,
                        help="non-matching entries spread over the watchlists (default 5000)")
    parser.add_argument("--workers", type=int, default=0,
                        help="processes (default: one per CPU); the output does not depend on it")


def main(args: argparse.Namespace) -> int:
    from pipelines.generate.generator import generate
    from pipelines.generate.report import one_paragraph

    command = "paxshare generate " + " ".join(
        shlex.quote(a) for a in _command_args(args))
    started = time.perf_counter()
    try:
        summary = generate(args.out, travellers=args.travellers, seed=args.seed, invalid_rate=args.invalid_rate,
                           persons_per_file=args.persons_per_file, reference_date=args.reference_date, days=args.days,
                           with_native_names=args.with_native_names, codec=args.codec, workers=args.workers,
                           mean_passengers=args.mean_passengers, command=command)
    except ValueError as error:
        print(f"paxshare generate: {error}", file=sys.stderr)
        return 2
    print(one_paragraph(summary, args.out, time.perf_counter() - started))
    if args.watchlists == "yes" or (args.watchlists == "auto" and args.travellers <= 2_000_000):
        from pathlib import Path

        from pipelines.generate.plant import plant_watchlists

        manifests = sorted(str(p) for p in Path(args.out, "api").glob("*.avro"))
        planted = plant_watchlists(manifests, str(args.out), seed=args.seed, fillers=args.watchlist_fillers)
        print(f"Watchlists: {_describe(planted)}; planted matches and their variant types in "
              f"{args.out}/watchlists/truth.jsonl.")
        with open(Path(args.out, "GENERATED.md"), "a", encoding="utf-8") as notes:
            notes.write(WATCHLIST_NOTES.format(description=_describe(planted), fillers=args.watchlist_fillers))
    return 0


WATCHLIST_NOTES = """
## Watchlists

`watchlists/` holds the lists `paxshare generate` plants among these travellers (its `--watchlists`
default for sets up to 2 million travellers), written by `pipelines.generate.plant`: look-out and
designated-person lists and lost/stolen-document lists from the USA, Canada and Mexico, each in
Avro and CSV, with true matches planted under recorded variant types among {fillers:,} non-matching
filler entries: {description}. `watchlists/truth.jsonl` records each planted match: the traveller
(`message_id/person_id`), the entry and the variant type.
"""


def _describe(planted: dict) -> str:
    variants = ", ".join(f"{name} {count}" for name, count in sorted(planted["by_variant"].items()))
    return f"{len(planted['lists'])} list files, {planted['planted']} planted matches ({variants})"


def _command_args(args: argparse.Namespace) -> list[str]:
    """The options that shape the output, as a reproducible command line (not --workers)."""
    out = ["--out", str(args.out), "--travellers", str(args.travellers), "--seed", str(args.seed),
           "--invalid-rate", str(args.invalid_rate), "--persons-per-file", str(args.persons_per_file),
           "--reference-date", args.reference_date, "--days", str(args.days),
           "--mean-passengers", str(args.mean_passengers), "--codec", args.codec]
    if args.with_native_names:
        out.append("--with-native-names")
    if args.watchlists != "auto":
        out += ["--watchlists", args.watchlists]
    if args.watchlist_fillers != 5000:
        out += ["--watchlist-fillers", str(args.watchlist_fillers)]
    return out
