"""``paxshare screen``: match travellers against watchlists, one JSON line per candidate.

    paxshare screen --watchlist usa.csv --watchlist can.avro --travellers q.csv --out matches.jsonl

Watchlists and travellers may be CSV or Avro (told apart by content). Every candidate scoring at
least ``--min-score`` is written, with whether it alerts at its category's threshold.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--watchlist", "-w", action="append", required=True, metavar="WL",
                        help="watchlist file (CSV or Avro); repeat for several lists")
    parser.add_argument("--travellers", "-t", action="append", required=True, metavar="Q",
                        help="travellers: CSV, ApiTraveller Avro or ApiManifest Avro; repeatable")
    parser.add_argument("--out", "-o", required=True, help="output JSON lines file ('-' for stdout)")
    parser.add_argument("--min-score", type=float, default=0.5, help="lowest score written (default 0.5)")
    parser.add_argument("--settings", help="YAML/JSON file overriding data/settings.yaml")
    parser.add_argument("--cleared", help="cleared-traveller (redress) list, CSV or JSONL")
    parser.add_argument("--trusted", help="trusted-traveller list keyed by document, CSV or JSONL")
    parser.add_argument("--alerts-only", action="store_true", help="write only candidates that alert")


def main(args: argparse.Namespace) -> int:
    from pipelines.screening.records import json_line
    from pipelines.screening.engine.score import Screener
    from pipelines.screening.engine.settings import load_settings
    from pipelines.screening.engine.suppression import Suppressor
    from pipelines.screening.lists.cleared import load_cleared, load_trusted
    from pipelines.screening.lists.watchlist import ScreeningInputError, read_travellers, read_watchlists

    try:
        settings = load_settings(args.settings)
        started = time.perf_counter()
        entries = read_watchlists(args.watchlist)
        suppressor = Suppressor(load_cleared(args.cleared) if args.cleared else (),
                                load_trusted(args.trusted) if args.trusted else ())
        screener = Screener(entries, settings, suppressor)
        built = time.perf_counter() - started
        travellers = candidates = alerts = 0
        out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
        try:
            for path in args.travellers:
                rows = read_travellers(path)
                # batches: one call into the compiled pre-scoring per thousand travellers
                while batch := list(itertools.islice(rows, 1000)):
                    travellers += len(batch)
                    found = screener.screen_many(batch, min_score=min(args.min_score, settings.floor))
                    for traveller, batch_candidates in zip(batch, found):
                        for candidate in batch_candidates:
                            if candidate.score < args.min_score or (args.alerts_only and not candidate.alert):
                                continue
                            candidates += 1
                            alerts += candidate.alert
                            out.write(json_line(traveller, candidate) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
    except (ScreeningInputError, FileNotFoundError, ValueError) as error:
        print(f"paxshare screen: {error}", file=sys.stderr)
        return 2
    print(f"screened {travellers} travellers against {len(entries)} entries "
          f"(index {built:.1f}s): {candidates} candidates, {alerts} alerts", file=sys.stderr)
    return 0
